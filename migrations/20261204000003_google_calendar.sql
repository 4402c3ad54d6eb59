-- A person's Google Calendar connection: the refresh token (and the current
-- access token) encrypted with ENCRYPTION_KEY, and whether Google still
-- accepts it ("needs_reconnect" after invalid_grant).
create table google_connections (
    user_id           uuid primary key references users (id) on delete cascade,
    google_email      text not null default '',
    refresh_token     bytea not null,
    access_token      bytea,
    access_expires_at timestamptz,
    status            text not null default 'connected' check (status in ('connected', 'needs_reconnect')),
    connected_at      timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
create trigger google_connections_updated_at before update on google_connections
    for each row execute function set_updated_at();

alter table google_connections enable row level security;
alter table google_connections force row level security;
create policy google_connections_owner on google_connections
    using (user_id = app_current_user() or app_system()) with check (user_id = app_current_user() or app_system());
