//! Integration tests: a real server on 127.0.0.1:0 and a fresh database per test.

mod account;
mod api;
mod auth;
mod brain_dump;
mod briefs;
mod calendar;
mod calendar_import;
mod crud;
mod delete_account;
mod export;
mod fake_calendar;
mod google;
mod google_sync;
mod headers;
mod isolation;
mod limits;
mod llm;
mod login_limits;
mod mcp;
mod notify;
mod phases;
mod schedule;
mod search;
mod smtp;
mod support;
mod voice;
