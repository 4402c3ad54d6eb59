-- What an import created from which exported item, so that importing the
-- same export again creates nothing twice (ids are remapped on import).

create table import_origins (
    user_id   uuid not null references users (id) on delete cascade,
    kind      text not null check (kind in ('project', 'task', 'note', 'brain_dump', 'brief')),
    source_id uuid not null,
    target_id uuid not null,
    created_at timestamptz not null default now(),
    primary key (user_id, kind, source_id)
);

alter table import_origins enable row level security;
alter table import_origins force row level security;
create policy import_origins_owner on import_origins
    using (user_id = app_current_user()) with check (user_id = app_current_user());

-- An uploaded export waiting for the person to look at its preview and
-- confirm it (the page shows `report`, what the import would do).
create table import_uploads (
    id         uuid primary key default gen_random_uuid(),
    user_id    uuid not null references users (id) on delete cascade,
    document   jsonb not null,
    report     jsonb not null,
    applied    jsonb,
    created_at timestamptz not null default now(),
    applied_at timestamptz
);
create index import_uploads_user on import_uploads (user_id, created_at desc);

alter table import_uploads enable row level security;
alter table import_uploads force row level security;
create policy import_uploads_owner on import_uploads
    using (user_id = app_current_user()) with check (user_id = app_current_user());
