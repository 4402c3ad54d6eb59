-- Long tasks split into blocks: the shortest block a person allows (0: never
-- split), and plans that create a task's parts (as its subtasks) and take the
-- task's own block away, so that undoing the plan removes the parts again.

alter table scheduling_preferences
    add column split_minutes int not null default 60 check (split_minutes = 0 or split_minutes between 15 and 480);

alter table schedule_plan_blocks
    alter column after_at drop not null,
    add column created boolean not null default false;
