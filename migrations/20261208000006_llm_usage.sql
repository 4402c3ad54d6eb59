-- What each AI call used, for the admin overview (calls, tokens and their
-- cost over the last week): the model, and the tokens it reported, filled
-- in once the call has answered. Calls are now kept 35 days (were 2).
alter table llm_calls
    add column model text check (length(model) <= 100),
    add column prompt_tokens integer check (prompt_tokens >= 0),
    add column completion_tokens integer check (completion_tokens >= 0);
