-- Accounts, sessions and login attempts.
-- These tables are read before anyone is known (log in looks a person up by
-- email; the session layer loads a session by its id), so they are guarded by
-- the app's own checks rather than row-level security.

create function set_updated_at() returns trigger language plpgsql as $$
begin
    new.updated_at = now();
    return new;
end $$;

create table users (
    id            uuid primary key default gen_random_uuid(),
    email         text not null unique check (email = lower(email) and length(email) <= 254),
    password_hash text not null,
    display_name  text not null default '' check (length(display_name) <= 100),
    timezone      text not null default 'UTC',
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create trigger users_updated_at before update on users
    for each row execute function set_updated_at();

create table sessions (
    id         text primary key,
    user_id    uuid references users (id) on delete cascade,
    data       jsonb not null,
    expires_at timestamptz not null
);
create index sessions_expires_at on sessions (expires_at);
create index sessions_user_id on sessions (user_id);

create table login_attempts (
    id         bigint generated always as identity primary key,
    email      text not null,
    ip         inet,
    succeeded  boolean not null,
    created_at timestamptz not null default now()
);
create index login_attempts_email on login_attempts (email, created_at);
create index login_attempts_ip on login_attempts (ip, created_at);
