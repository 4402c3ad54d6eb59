-- A private calendar (ICS) feed per person. The address is signed, not
-- stored: `<user id>.<HMAC of "calendar-feed:<generation>" and the user id>`.
-- A new address bumps the generation (the old one stops working); turning the
-- feed off keeps the row with enabled = false. No row: generation 1, on.
create table calendar_feeds (
    user_id    uuid primary key references users (id) on delete cascade,
    generation integer not null default 1 check (generation >= 1),
    enabled    boolean not null default true,
    updated_at timestamptz not null default now()
);

alter table calendar_feeds enable row level security;
alter table calendar_feeds force row level security;
create policy calendar_feeds_owner on calendar_feeds
    using (user_id = app_current_user()) with check (user_id = app_current_user());
