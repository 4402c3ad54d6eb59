-- Personal access tokens for the JSON API (/api/v1). Only a SHA-256 of each
-- token is kept; the token itself is shown once, when it is made. Like
-- sessions, tokens are looked up before anyone is known (by their hash), so
-- this table has no row-level security; every query names the owner.
create table api_tokens (
    id           uuid primary key default gen_random_uuid(),
    user_id      uuid not null references users (id) on delete cascade,
    name         text not null check (length(name) between 1 and 100),
    token_hash   text not null unique,
    -- The first characters, so people can tell their tokens apart.
    prefix       text not null,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
create index api_tokens_owner on api_tokens (user_id, created_at desc);

-- Brain dumps made through the API start as 'new' (not the person's draft).
alter table brain_dumps drop constraint brain_dumps_status_check;
alter table brain_dumps add constraint brain_dumps_status_check
    check (status in ('draft', 'new', 'processing', 'parsed', 'applied', 'undone', 'failed'));
