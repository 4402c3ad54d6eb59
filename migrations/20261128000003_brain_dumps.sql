-- Brain dumps: the text a person poured out, what the engine proposed, and
-- what confirm did (so undo can revert exactly that).

create table brain_dumps (
    id          uuid primary key default gen_random_uuid(),
    user_id     uuid not null references users (id) on delete cascade,
    content     text not null default '' check (length(content) <= 50000),
    status      text not null default 'draft'
                check (status in ('draft', 'processing', 'parsed', 'applied', 'undone', 'failed')),
    engine      text check (engine in ('offline', 'llm')),
    -- The proposed operations (app::brain_dump::operation::Operation, as JSON).
    operations  jsonb not null default '[]',
    -- What confirm changed: [{table, id, updated_at}], checked and reverted by undo.
    applied     jsonb not null default '[]',
    error       text,
    parsed_at   timestamptz,
    applied_at  timestamptz,
    undone_at   timestamptz,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
-- The draft being typed: at most one per person, autosaved.
create unique index brain_dumps_one_draft on brain_dumps (user_id) where status = 'draft';
create index brain_dumps_history on brain_dumps (user_id, created_at desc);
create trigger brain_dumps_updated_at before update on brain_dumps
    for each row execute function set_updated_at();

alter table brain_dumps enable row level security;
alter table brain_dumps force row level security;
create policy brain_dumps_owner on brain_dumps
    using (user_id = app_current_user()) with check (user_id = app_current_user());
