-- Public holidays, optionally: a calendar marked as holidays (a country's
-- holiday calendar, imported like any other) makes its all-day events days
-- off for planning.
alter table calendar_sources add column holidays boolean not null default false;
