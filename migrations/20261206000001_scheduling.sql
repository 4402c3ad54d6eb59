-- Scheduling: each person's working hours and limits for the planner, and
-- the plans applied (each block's time before the plan, so that a plan is
-- undone as one batch, and only where nothing changed it since).

create table scheduling_preferences (
    user_id         uuid primary key references users (id) on delete cascade,
    -- Monday to Sunday, local time; a day whose start is null is a day off.
    day_starts      time[] not null default array['09:00', '09:00', '09:00', '09:00', '09:00', null, null]::time[]
                    check (cardinality(day_starts) = 7),
    day_ends        time[] not null default array['17:00', '17:00', '17:00', '17:00', '17:00', null, null]::time[]
                    check (cardinality(day_ends) = 7),
    buffer_minutes  int not null default 10 check (buffer_minutes between 0 and 120),
    default_minutes int not null default 60 check (default_minutes between 5 and 480),
    max_day_minutes int not null default 360 check (max_day_minutes between 30 and 1440),
    days_off        date[] not null default '{}' check (cardinality(days_off) <= 100),
    updated_at      timestamptz not null default now()
);
create trigger scheduling_preferences_updated_at before update on scheduling_preferences
    for each row execute function set_updated_at();

create table schedule_plans (
    id         uuid primary key default gen_random_uuid(),
    user_id    uuid not null references users (id) on delete cascade,
    from_date  date not null,
    to_date    date not null check (to_date >= from_date),
    created_at timestamptz not null default now(),
    undone_at  timestamptz,
    unique (id, user_id)
);
create index schedule_plans_owner on schedule_plans (user_id, created_at desc);

-- One block a plan wrote: the task's block before it, and what it became.
create table schedule_plan_blocks (
    plan_id           uuid not null,
    user_id           uuid not null,
    task_id           uuid not null references tasks (id) on delete cascade,
    before_at         timestamptz,
    before_minutes    int,
    before_start_date date,
    before_pinned     boolean not null,
    after_at          timestamptz not null,
    after_minutes     int not null,
    primary key (plan_id, task_id),
    foreign key (plan_id, user_id) references schedule_plans (id, user_id) on delete cascade
);

select app_owned_by_person(t)
from unnest(array['scheduling_preferences', 'schedule_plans', 'schedule_plan_blocks']) t;
