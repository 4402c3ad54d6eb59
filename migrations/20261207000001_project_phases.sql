-- A project's phases: named stretches of time, in order, each holding some
-- of its tasks. Generated (the LLM, or rules over dates and the context's
-- headings), reviewed, then applied in one go, replacing the previous ones.
create table project_phases (
    id         uuid primary key default gen_random_uuid(),
    user_id    uuid not null references users (id) on delete cascade,
    project_id uuid not null,
    position   integer not null check (position >= 0),
    name       text not null check (length(name) between 1 and 200),
    start_date date not null,
    end_date   date not null check (end_date >= start_date),
    created_at timestamptz not null default now(),
    unique (project_id, position),
    unique (id, user_id),
    foreign key (project_id, user_id) references projects (id, user_id) on delete cascade
);
select app_owned_by_person('project_phases');

alter table tasks add column phase_id uuid;
alter table tasks add constraint tasks_phase foreign key (phase_id) references project_phases (id) on delete set null;
create index tasks_phase on tasks (phase_id) where phase_id is not null;

-- Generating phases with the LLM counts against the person's quota.
alter table llm_calls drop constraint llm_calls_purpose_check;
alter table llm_calls add constraint llm_calls_purpose_check check (purpose in ('brain_dump', 'brief', 'phases'));
