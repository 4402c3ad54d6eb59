-- Search across projects, tasks, notes and brain dumps (PostgreSQL full text).
--
-- Two text search configurations, both after `unaccent` (so "cafe" finds
-- "Café"): `buildos_search` stems English words ("tomatoes" finds "tomato"),
-- `buildos_words` keeps them whole, for matching what is typed as a prefix
-- ("renovat" finds "renovation", whose stem is "renov"). Each searchable table
-- keeps both as one stored document, weighted: a title (A) ranks above a body
-- (B), and long text such as a project's context (C) below both.
-- unaccent is a trusted extension: the database's owner may create it.

create extension if not exists unaccent;

create text search configuration buildos_search (copy = english);
alter text search configuration buildos_search
    alter mapping for hword, hword_part, word with unaccent, english_stem;

create text search dictionary buildos_word (template = pg_catalog.simple, stopwords = english);
create text search configuration buildos_words (copy = simple);
alter text search configuration buildos_words
    alter mapping for asciiword, asciihword, hword_asciipart, word, hword, hword_part with unaccent, buildos_word;

-- A text's document: its stems and its whole words.
create function search_document(body text, weight "char") returns tsvector
    language sql immutable parallel safe
    return setweight(to_tsvector('buildos_search', body) || to_tsvector('buildos_words', body), weight);

alter table projects add column search tsvector generated always as (
    search_document(name, 'A')
    || search_document(description, 'B')
    || search_document(executive_summary || ' ' || context, 'C')
) stored;

alter table tasks add column search tsvector generated always as (
    search_document(title, 'A')
    || search_document(description, 'B')
    || search_document(details, 'C')
) stored;

alter table notes add column search tsvector generated always as (
    search_document(title, 'A')
    || search_document(body, 'B')
) stored;

alter table brain_dumps add column search tsvector generated always as (
    search_document(content, 'B')
) stored;

create index projects_search on projects using gin (search);
create index tasks_search on tasks using gin (search);
create index notes_search on notes using gin (search);
create index brain_dumps_search on brain_dumps using gin (search);
