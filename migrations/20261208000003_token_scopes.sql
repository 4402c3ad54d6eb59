-- A token reads, or reads and writes: the API refuses a read-only token's
-- writes (403), and so do the MCP server's writing tools.
alter table api_tokens add column scope text not null default 'read_write'
    check (scope in ('read', 'read_write'));
