-- Daily briefs, their delivery by email and SMS, and each person's preferences.
-- Jobs themselves live in the `apalis` schema (created by apalis-postgres); the
-- rows here are what the jobs produce, with unique keys that make a job safe to
-- run twice (one brief per person per local date, one email per brief, one SMS
-- per message id).

create table brief_preferences (
    user_id      uuid primary key references users (id) on delete cascade,
    enabled      boolean not null default true,
    frequency    text not null default 'daily' check (frequency in ('daily', 'weekly')),
    -- For weekly briefs: 1 = Monday … 7 = Sunday (ISO).
    day_of_week  smallint not null default 1 check (day_of_week between 1 and 7),
    time_of_day  time not null default '07:00',
    email        boolean not null default true,
    updated_at   timestamptz not null default now()
);
create trigger brief_preferences_updated_at before update on brief_preferences
    for each row execute function set_updated_at();

create table briefs (
    id           uuid primary key default gen_random_uuid(),
    user_id      uuid not null references users (id) on delete cascade,
    -- The person's local date the brief is for.
    brief_date   date not null,
    status       text not null default 'queued'
                 check (status in ('queued', 'generating', 'ready', 'failed')),
    -- Rule-built sections (app::brief::model::BriefContent, as JSON).
    content      jsonb,
    summary      text,
    summary_engine text check (summary_engine in ('offline', 'llm')),
    error        text,
    generated_at timestamptz,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    unique (user_id, brief_date),
    unique (id, user_id)
);
create index briefs_history on briefs (user_id, brief_date desc);
create trigger briefs_updated_at before update on briefs
    for each row execute function set_updated_at();

-- Every email sent (or written to the outbox); `key` makes sending idempotent.
create table emails (
    id          uuid primary key default gen_random_uuid(),
    user_id     uuid not null references users (id) on delete cascade,
    key         text not null unique,
    to_address  text not null,
    subject     text not null,
    status      text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
    -- Message-ID header: the same on every attempt.
    message_id  text not null,
    error       text,
    sent_at     timestamptz,
    created_at  timestamptz not null default now()
);

create table sms_preferences (
    user_id         uuid primary key references users (id) on delete cascade,
    phone           text check (phone ~ '^\+[1-9][0-9]{6,14}$'),
    verified_at     timestamptz,
    brief_ready     boolean not null default false,
    task_reminders  boolean not null default false,
    -- Quiet hours in the person's timezone (no SMS from start to end; may wrap midnight).
    quiet_start     time,
    quiet_end       time,
    daily_cap       smallint not null default 5 check (daily_cap between 0 and 50),
    updated_at      timestamptz not null default now()
);
create trigger sms_preferences_updated_at before update on sms_preferences
    for each row execute function set_updated_at();

create table phone_verifications (
    user_id     uuid primary key references users (id) on delete cascade,
    phone       text not null check (phone ~ '^\+[1-9][0-9]{6,14}$'),
    code_hash   text not null,
    attempts    smallint not null default 0,
    expires_at  timestamptz not null,
    created_at  timestamptz not null default now()
);

create table sms_messages (
    id           uuid primary key default gen_random_uuid(),
    user_id      uuid not null references users (id) on delete cascade,
    -- What it is about ("verify", "brief:<id>", "reminder:<task id>:<date>"): one SMS per key.
    key          text not null unique,
    to_phone     text not null,
    body         text not null check (length(body) between 1 and 1600),
    status       text not null default 'queued'
                 check (status in ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed')),
    provider_sid text unique,
    error        text,
    sent_at      timestamptz,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now()
);
create index sms_messages_daily on sms_messages (user_id, created_at);
create trigger sms_messages_updated_at before update on sms_messages
    for each row execute function set_updated_at();

-- Row-level security, as for projects: a person sees only their own rows.
-- The worker acts for one person by setting app.user_id, like the web. Its
-- scheduler (which must see everyone's preferences to enqueue their briefs)
-- and the pruning job set app.system = 'on' in their own transactions; the web
-- never sets it.
create function app_system() returns boolean language sql stable as $$
    select coalesce(current_setting('app.system', true), '') = 'on'
$$;

do $$
declare t text;
begin
    foreach t in array array['brief_preferences', 'briefs', 'emails', 'sms_preferences', 'phone_verifications', 'sms_messages']
    loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy %I on %I using (user_id = app_current_user() or app_system()) with check (user_id = app_current_user() or app_system())',
                       t || '_owner', t);
    end loop;
end $$;

-- Keys the web and the worker share (e.g. for signed unsubscribe links), made
-- once per database; SECRET_KEY in the environment overrides it.
create table app_secrets (
    name  text primary key,
    value text not null
);
insert into app_secrets (name, value)
values ('signing_key', encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')), 'hex'));
