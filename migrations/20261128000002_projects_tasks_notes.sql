-- Projects, tasks and notes: every row belongs to one person.
--
-- Two walls keep people apart: the app scopes every query to its owner, and
-- row-level security (forced, so it binds the owning role too) hides every
-- row whose user_id is not the transaction's `app.user_id`.
-- Composite foreign keys (id, user_id) make it impossible to hang a task or a
-- note on somebody else's project, whatever the app sends.

create function app_current_user() returns uuid language sql stable as $$
    select nullif(current_setting('app.user_id', true), '')::uuid
$$;

create table projects (
    id                uuid primary key default gen_random_uuid(),
    user_id           uuid not null references users (id) on delete cascade,
    name              text not null check (length(name) between 1 and 200),
    slug              text not null check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    description       text not null default '' check (length(description) <= 2000),
    context           text not null default '' check (length(context) <= 100000),
    executive_summary text not null default '' check (length(executive_summary) <= 5000),
    status            text not null default 'active'
                      check (status in ('active', 'paused', 'completed', 'archived')),
    tags              text[] not null default '{}',
    start_date        date,
    end_date          date check (end_date is null or start_date is null or end_date >= start_date),
    deleted_at        timestamptz,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    unique (user_id, slug),
    unique (id, user_id)
);
create trigger projects_updated_at before update on projects
    for each row execute function set_updated_at();

create table tasks (
    id               uuid primary key default gen_random_uuid(),
    user_id          uuid not null references users (id) on delete cascade,
    project_id       uuid,
    parent_task_id   uuid,
    title            text not null check (length(title) between 1 and 500),
    description      text not null default '' check (length(description) <= 5000),
    details          text not null default '' check (length(details) <= 100000),
    priority         text not null default 'medium' check (priority in ('low', 'medium', 'high')),
    status           text not null default 'backlog'
                     check (status in ('backlog', 'in_progress', 'done', 'blocked')),
    duration_minutes integer check (duration_minutes between 1 and 10080),
    start_date       date,
    due_date         date,
    recurrence       text check (recurrence in
                     ('daily', 'weekdays', 'weekly', 'biweekly', 'monthly', 'quarterly', 'yearly')),
    recurrence_end   date,
    -- The first start date of a recurring series: monthly steps are taken
    -- from it, so Jan 31 → Feb 28 → Mar 31 (never drifting to the 28th).
    series_anchor    date,
    -- Set on an occurrence created by completing the previous one, so that
    -- completing the same occurrence twice cannot create two successors.
    previous_id      uuid unique,
    completed_at     timestamptz,
    deleted_at       timestamptz,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    unique (id, user_id),
    foreign key (project_id, user_id) references projects (id, user_id) on delete cascade,
    foreign key (parent_task_id, user_id) references tasks (id, user_id) on delete set null (parent_task_id),
    check (recurrence is null or start_date is not null),
    check (recurrence_end is null or recurrence is not null)
);
create index tasks_user_dates on tasks (user_id, status, start_date, due_date) where deleted_at is null;
create index tasks_project on tasks (project_id) where deleted_at is null;
create trigger tasks_updated_at before update on tasks
    for each row execute function set_updated_at();

create table notes (
    id         uuid primary key default gen_random_uuid(),
    user_id    uuid not null references users (id) on delete cascade,
    project_id uuid not null,
    title      text not null default '' check (length(title) <= 200),
    body       text not null check (length(body) between 1 and 100000),
    deleted_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    foreign key (project_id, user_id) references projects (id, user_id) on delete cascade
);
create index notes_project on notes (project_id, created_at) where deleted_at is null;
create trigger notes_updated_at before update on notes
    for each row execute function set_updated_at();

alter table projects enable row level security;
alter table projects force row level security;
create policy projects_owner on projects
    using (user_id = app_current_user()) with check (user_id = app_current_user());

alter table tasks enable row level security;
alter table tasks force row level security;
create policy tasks_owner on tasks
    using (user_id = app_current_user()) with check (user_id = app_current_user());

alter table notes enable row level security;
alter table notes force row level security;
create policy notes_owner on notes
    using (user_id = app_current_user()) with check (user_id = app_current_user());
