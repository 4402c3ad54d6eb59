-- A task's phase is one of its owner's (the key includes the person, as
-- parent_task_id's does): the database refuses another person's phase even
-- where row-level security does not reach (foreign keys bypass it).
alter table tasks drop constraint tasks_phase;
alter table tasks add constraint tasks_phase foreign key (phase_id, user_id)
    references project_phases (id, user_id) on delete set null (phase_id);
