-- Voice capture: a transcription is a call to the AI service and counts
-- against the same quota as a brain dump, a brief's summary or phases.
alter table llm_calls drop constraint llm_calls_purpose_check;
alter table llm_calls add constraint llm_calls_purpose_check
    check (purpose in ('brain_dump', 'brief', 'phases', 'voice'));
