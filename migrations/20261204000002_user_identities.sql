-- Accounts signed in to through another provider (Google): its subject
-- identifier, linked to one account. Read before anyone is known (signing
-- in), so guarded by the app's own checks, like the other account tables.
create table user_identities (
    provider   text not null check (provider in ('google')),
    subject    text not null check (length(subject) between 1 and 255),
    user_id    uuid not null references users (id) on delete cascade,
    email      text,
    created_at timestamptz not null default now(),
    primary key (provider, subject)
);
create index user_identities_owner on user_identities (user_id);
