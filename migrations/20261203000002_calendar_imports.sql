-- Calendars brought in from elsewhere (an uploaded .ics file, or an address
-- the worker refreshes hourly) and their events, expanded from their
-- repeat rules over a window around today. The events count as busy time.
create table calendar_sources (
    id           uuid primary key default gen_random_uuid(),
    user_id      uuid not null references users (id) on delete cascade,
    name         text not null check (length(name) between 1 and 200),
    -- None for an uploaded file.
    url          text check (url is null or length(url) between 1 and 2000),
    refreshed_at timestamptz,
    -- Why the last refresh failed (the events of the one before are kept).
    error        text,
    events       integer not null default 0,
    created_at   timestamptz not null default now()
);
create index calendar_sources_owner on calendar_sources (user_id, created_at);

create table calendar_events (
    source_id uuid not null references calendar_sources (id) on delete cascade,
    user_id   uuid not null references users (id) on delete cascade,
    uid       text not null,
    summary   text not null,
    starts_at timestamptz not null,
    ends_at   timestamptz not null check (ends_at >= starts_at),
    all_day   boolean not null,
    primary key (source_id, uid, starts_at)
);
create index calendar_events_owner_time on calendar_events (user_id, starts_at);

alter table calendar_sources enable row level security;
alter table calendar_sources force row level security;
create policy calendar_sources_owner on calendar_sources
    using (user_id = app_current_user() or app_system()) with check (user_id = app_current_user() or app_system());

alter table calendar_events enable row level security;
alter table calendar_events force row level security;
create policy calendar_events_owner on calendar_events
    using (user_id = app_current_user()) with check (user_id = app_current_user());
