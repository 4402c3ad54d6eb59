-- The error log: every 5xx answer and every failed job attempt, with its
-- context, grouped by cause on the admin errors page. Only the system reads
-- and writes it (app.system on): a person never sees it.
create table error_events (
    id          bigint generated always as identity primary key,
    -- The cause with its particulars (numbers, ids, quoted values) taken out:
    -- the events of one group share it.
    fingerprint text not null check (length(fingerprint) = 32),
    summary     text not null check (length(summary) between 1 and 500),
    kind        text not null check (kind in ('http', 'job')),
    -- The whole cause chain as logged.
    cause       text not null check (length(cause) <= 4000),
    method      text check (length(method) <= 10),
    route       text check (length(route) <= 200),
    status      integer,
    request_id  text check (length(request_id) <= 64),
    user_id     uuid references users (id) on delete set null,
    queue       text check (length(queue) <= 50),
    job_id      text check (length(job_id) <= 64),
    created_at  timestamptz not null default now()
);
create index error_events_group on error_events (fingerprint, created_at);
create index error_events_time on error_events (created_at);
create index error_events_user on error_events (user_id) where user_id is not null;

alter table error_events enable row level security;
alter table error_events force row level security;
create policy error_events_system on error_events using (app_system()) with check (app_system());
