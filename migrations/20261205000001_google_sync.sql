-- Two-way Google Calendar sync.
--
-- google_calendars: the connected person's calendars, which count as busy
-- time, which one receives scheduled tasks, and where each one's sync
-- stands (Google's sync token, the last sync, its error). `sync_wanted` turns
-- any number of triggers (polling, push notifications) into one queued sync.
create table google_calendars (
    user_id     uuid not null references google_connections (user_id) on delete cascade,
    calendar_id text not null check (length(calendar_id) between 1 and 1024),
    summary     text not null default '',
    busy        boolean not null default false,
    target      boolean not null default false,
    sync_token  text,
    synced_at   timestamptz,
    error       text,
    -- Google answered 404: the calendar is gone or no longer shared.
    disabled    boolean not null default false,
    sync_wanted boolean not null default false,
    primary key (user_id, calendar_id)
);
create unique index google_calendars_one_target on google_calendars (user_id) where target;

-- Events of the busy calendars (recurring ones expanded), as busy time.
-- Task events of our own are not kept here: the task stands for them.
create table google_events (
    user_id     uuid not null,
    calendar_id text not null,
    event_id    text not null,
    summary     text not null,
    starts_at   timestamptz not null,
    ends_at     timestamptz not null check (ends_at >= starts_at),
    all_day     boolean not null,
    primary key (user_id, calendar_id, event_id),
    foreign key (user_id, calendar_id) references google_calendars (user_id, calendar_id) on delete cascade
);
create index google_events_owner_time on google_events (user_id, starts_at);

-- A scheduled task's block: when it starts (its length is duration_minutes),
-- and whether the person placed it themselves (moved in Google, or by hand),
-- which a planner must not move.
alter table tasks add column scheduled_at timestamptz, add column pinned boolean not null default false;

-- A task's event in Google, as last written or read: what the next write
-- compares with (the etag for If-Match; times and title to tell whose side changed).
create table task_events (
    task_id     uuid primary key references tasks (id) on delete cascade,
    user_id     uuid not null references users (id) on delete cascade,
    calendar_id text not null,
    event_id    text not null,
    etag        text not null,
    summary     text not null,
    starts_at   timestamptz not null,
    ends_at     timestamptz not null
);

-- Push notification channels (Google's events.watch), one per busy or target
-- calendar while PUBLIC_BASE_URL is https. The token is checked on every notification.
create table google_channels (
    id          uuid primary key,
    user_id     uuid not null,
    calendar_id text not null,
    token       text not null,
    resource_id text not null,
    expires_at  timestamptz not null,
    created_at  timestamptz not null default now(),
    foreign key (user_id, calendar_id) references google_calendars (user_id, calendar_id) on delete cascade
);
create index google_channels_expiry on google_channels (expires_at);

-- Row-level security as for every person's table, by one function that later
-- migrations use too: the owner sees their rows, system transactions all.
create function app_owned_by_person(t text) returns void language plpgsql as $$
begin
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format('create policy %I on %I using (user_id = app_current_user() or app_system()) with check (user_id = app_current_user() or app_system())',
                   t || '_owner', t);
end $$;
select app_owned_by_person(t) from unnest(array['google_calendars', 'google_events', 'task_events', 'google_channels']) t;

-- Every write that changes what a task's event shows (its time, length,
-- title, done or deleted) queues the job that brings Google in step, in the
-- same transaction, whichever path made the write. Only for people with a
-- calendar that receives tasks, and only for tasks that have or need an event.
create function task_event_push() returns trigger language plpgsql as $$
begin
    if (new.scheduled_at is not null or exists (select 1 from task_events where task_id = new.id))
       and exists (select 1 from google_calendars c join google_connections g using (user_id)
                   where c.user_id = new.user_id and c.target and not c.disabled and g.status = 'connected') then
        insert into apalis.jobs (id, job_type, job, max_attempts, run_at)
        values (apalis.generate_ulid(), 'google-events',
                convert_to(json_build_object('task_id', new.id, 'user_id', new.user_id)::text, 'UTF8'), 5, now());
    end if;
    return null;
end $$;
create trigger tasks_event_push_insert after insert on tasks
    for each row execute function task_event_push();
create trigger tasks_event_push_update after update of scheduled_at, duration_minutes, title, status, deleted_at
    on tasks for each row
    when (old.scheduled_at is distinct from new.scheduled_at or old.duration_minutes is distinct from new.duration_minutes
          or old.title is distinct from new.title or old.status is distinct from new.status
          or old.deleted_at is distinct from new.deleted_at)
    execute function task_event_push();
