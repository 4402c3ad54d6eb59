-- Accounts that cannot be abused: verified email addresses, admins marked in
-- the database, single-use links sent by email, what the failed-login limits
-- need to recognise a known device, sign-up counts and LLM use per person.
-- Like the other account tables, these are read before anyone is known (a
-- link, a login), so the app's own checks guard them, not row-level security.

alter table users
    add column email_verified_at timestamptz,
    -- Set from ADMIN_EMAILS, for verified addresses only.
    add column is_admin boolean not null default false,
    -- Devices and addresses known before this no longer count as known.
    add column password_changed_at timestamptz;

-- The SHA-256 of the device cookie of a successful login (a person's own
-- browser is recognised, and never locked out by someone else's guesses).
alter table login_attempts add column device text;
create index login_attempts_success on login_attempts (email, created_at) where succeeded;

-- Links sent by email: confirm an address, reset a password, confirm a new
-- address, finish a sign-in. Only the SHA-256 of the token is kept; each is
-- used once, and a newer link of the same kind replaces the older ones.
create table account_tokens (
    id         uuid primary key default gen_random_uuid(),
    user_id    uuid not null references users (id) on delete cascade,
    purpose    text not null check (purpose in ('verify_email', 'reset_password', 'change_email', 'sign_in')),
    token_hash bytea not null unique,
    -- The address being confirmed, for change_email.
    new_email  text check (new_email = lower(new_email) and length(new_email) <= 254),
    expires_at timestamptz not null,
    used_at    timestamptz,
    created_at timestamptz not null default now()
);
create index account_tokens_owner on account_tokens (user_id, purpose, created_at);

create table signup_attempts (
    id         bigint generated always as identity primary key,
    ip         inet,
    created_at timestamptz not null default now()
);
create index signup_attempts_ip on signup_attempts (ip, created_at);
create index signup_attempts_time on signup_attempts (created_at);

-- Each request to the language model, for the per-person and global quotas.
create table llm_calls (
    id         bigint generated always as identity primary key,
    user_id    uuid not null references users (id) on delete cascade,
    purpose    text not null check (purpose in ('brain_dump', 'brief')),
    created_at timestamptz not null default now()
);
create index llm_calls_owner on llm_calls (user_id, created_at);
create index llm_calls_time on llm_calls (created_at);

-- A page waiting on a brain dump processed elsewhere hears when its status
-- changes (NOTIFY with the dump's id only), instead of asking every 500 ms.
create function brain_dump_status_notify() returns trigger language plpgsql as $$
begin
    if new.status is distinct from old.status then
        perform pg_notify('brain_dump_status', new.id::text);
    end if;
    return new;
end $$;
create trigger brain_dumps_status_notify after update on brain_dumps
    for each row execute function brain_dump_status_notify();
