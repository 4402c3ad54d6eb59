-- Stripe billing (only used when ENABLE_STRIPE is set): each person's Stripe
-- customer and subscription, and the webhook events already applied.

-- One row per person who started a checkout: their Stripe customer, and the
-- subscription's state as Stripe's webhooks last told it. Only the system
-- writes it (the webhook, the checkout); a person reads their own.
create table subscriptions (
    user_id              uuid primary key references users (id) on delete cascade,
    customer_id          text not null unique check (length(customer_id) between 1 and 255),
    subscription_id      text unique check (length(subscription_id) between 1 and 255),
    price_id             text check (length(price_id) between 1 and 255),
    status               text check (status in ('incomplete', 'incomplete_expired', 'trialing', 'active',
                                                 'past_due', 'canceled', 'unpaid', 'paused')),
    current_period_end   timestamptz,
    cancel_at_period_end boolean not null default false,
    -- The `created` time of the last event applied: an older one arriving
    -- late (Stripe does not promise order) changes nothing.
    event_at             timestamptz,
    updated_at           timestamptz not null default now()
);
create trigger subscriptions_updated_at before update on subscriptions
    for each row execute function set_updated_at();

alter table subscriptions enable row level security;
alter table subscriptions force row level security;
create policy subscriptions_read on subscriptions for select
    using (user_id = app_current_user() or app_system());
create policy subscriptions_system_insert on subscriptions for insert with check (app_system());
create policy subscriptions_system_update on subscriptions for update using (app_system()) with check (app_system());
create policy subscriptions_system_delete on subscriptions for delete using (app_system());

-- Every webhook event applied, by Stripe's id: a replay (Stripe retries, or
-- someone resends a captured request) finds its id here and changes nothing.
create table stripe_events (
    id          text primary key check (length(id) between 1 and 255),
    type        text not null check (length(type) between 1 and 255),
    user_id     uuid references users (id) on delete set null,
    received_at timestamptz not null default now()
);
create index stripe_events_time on stripe_events (received_at);

alter table stripe_events enable row level security;
alter table stripe_events force row level security;
create policy stripe_events_system on stripe_events using (app_system()) with check (app_system());
