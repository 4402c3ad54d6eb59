//! The admin overview: people, activity, what was sent, AI calls with their
//! tokens and cost, queue health and recent errors; for admins only.

use crate::llm::{Reply, op, start};
use crate::support::TestApp;
use domain::Error as AppError;
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

#[sqlx::test(migrations = "../migrations")]
async fn the_overview_counts_the_week_and_what_the_ai_cost_for_admins_only(pool: PgPool) {
    let answer = json!({ "operations": [op(json!({ "title": "Buy seeds" }))] });
    let (_fake, engine) = start(vec![Reply::Content(answer.to_string())], Duration::from_secs(30)).await;
    // $0.15 per million prompt tokens, $0.60 per million completion tokens.
    let app = TestApp::builder(pool.clone()).engine(engine).llm_prices(0.15, 0.60).spawn().await;
    let ada = app.signed_up("ada@example.com").await;
    let _bob = app.signed_up_unconfirmed("bob@example.com").await;
    assert!(matches!(app.call(&ada, "admin_overview", &[]).await, Err(AppError::Forbidden)));

    // One brain dump through the model (which reports 120 prompt and 80 completion tokens).
    let id = app.ok(&ada, "save_draft", &[("content", "buy seeds")]).await.as_str().unwrap().to_string();
    let events = ada.get(app.url(&format!("/brain-dump/{id}/events"))).send().await.unwrap();
    let events = crate::support::read_events(events, |_, _| {}).await;
    assert_eq!(events.last().unwrap().0, "done", "{events:?}");
    // A brief emailed this week, and one before it.
    let ada_id: Uuid =
        sqlx::query_scalar("select id from users where email = 'ada@example.com'").fetch_one(&pool).await.unwrap();
    let mut tx = domain::db::begin_as(&pool, ada_id).await.unwrap();
    for (key, days) in
        [("brief:00000000-0000-0000-0000-000000000001", 1), ("brief:00000000-0000-0000-0000-000000000002", 9)]
    {
        sqlx::query(
            "insert into emails (user_id, key, to_address, subject, message_id, status, sent_at)
             values ($1, $2, 'ada@example.com', 's', $2, 'sent', now() - make_interval(days => $3))",
        )
        .bind(ada_id)
        .bind(key)
        .bind(days)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    sqlx::query("update users set is_admin = true where id = $1").bind(ada_id).execute(&pool).await.unwrap();
    let o = app.ok(&ada, "admin_overview", &[]).await;
    assert_eq!(
        (o["people"].as_i64(), o["confirmed"].as_i64(), o["joined_this_week"].as_i64()),
        (Some(2), Some(1), Some(2))
    );
    assert_eq!(o["active_this_week"], 2, "both signed in this week");
    assert_eq!(o["briefs_emailed"], 1, "the one of nine days ago is not this week's");
    assert_eq!(o["texts_sent"], 0);
    let ai = o["ai"].as_array().unwrap();
    assert_eq!(ai.len(), 1, "{ai:?}");
    assert_eq!(ai[0]["purpose"], "brain_dump");
    assert_eq!(
        (ai[0]["calls"].as_i64(), ai[0]["prompt_tokens"].as_i64(), ai[0]["completion_tokens"].as_i64()),
        (Some(1), Some(120), Some(80))
    );
    let cost = ai[0]["cost"].as_f64().unwrap();
    assert!((cost - (120.0 * 0.15 + 80.0 * 0.60) / 1e6).abs() < 1e-12, "{cost}");
    assert_eq!(o["errors"], json!([]));
    // The model is noted on the call.
    let model: Option<String> = sqlx::query_scalar("select model from llm_calls").fetch_one(&pool).await.unwrap();
    assert_eq!(model.as_deref(), Some("fake-model"));

    // Without prices, no cost.
    let plain = TestApp::spawn(pool.clone()).await;
    // (Ada's session, kept in the database, is good on this server too.)
    let o = plain.ok(&ada, "admin_overview", &[]).await;
    assert_eq!(o["ai"][0]["cost"], serde_json::Value::Null);
}
