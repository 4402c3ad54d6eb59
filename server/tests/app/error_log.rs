//! The error log: a 5xx answer kept with its request id, route, person and
//! cause, grouped by cause for admins; request ids on every answer and on the
//! jobs a request enqueues.

use crate::support::TestApp;
use domain::Error as AppError;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// POST a server function that takes no input; its status and request id.
async fn post(app: &TestApp, client: &reqwest::Client, endpoint: &str, request_id: Option<&str>) -> (u16, String) {
    let mut request =
        client.post(app.url(&format!("/api/{endpoint}"))).header("content-type", "application/x-www-form-urlencoded");
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let response = request.send().await.unwrap();
    let id = response.headers().get("x-request-id").expect("every answer has its id").to_str().unwrap().to_string();
    (response.status().as_u16(), id)
}

type Row = (String, String, Option<String>, Option<String>, Option<i32>, Option<Uuid>, String);

/// The event recorded for `request_id` (kept in the background: waited for).
async fn event(pool: &PgPool, request_id: &str) -> Row {
    for _ in 0..100 {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("select set_config('app.system', 'on', true)").execute(&mut *tx).await.unwrap();
        let row: Option<Row> = sqlx::query_as(
            "select kind, summary, method, route, status, user_id, cause from error_events where request_id = $1",
        )
        .bind(request_id)
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
        if let Some(row) = row {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no error event for request {request_id}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failed_request_is_logged_with_its_request_id_and_grouped_for_admins(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool.clone()).await;
    let ada_id: Uuid =
        sqlx::query_scalar("select id from users where email = 'ada@example.com'").fetch_one(&pool).await.unwrap();

    // Every answer has an id; a job the request enqueues carries it.
    let (status, brief_request) = post(&app, &ada, "generate_brief", None).await;
    assert_eq!(status, 200);
    assert_eq!(brief_request.len(), 32, "{brief_request}");
    let carried: Option<String> =
        sqlx::query_scalar("select metadata -> 'request_id' from apalis.jobs where job_type = 'briefs'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(carried.as_deref(), Some(brief_request.as_str()));
    // A proxy's id is kept when it is a plain token, replaced otherwise.
    assert_eq!(post(&app, &ada, "list_projects", Some("edge-7f3a.1")).await, (200, "edge-7f3a.1".to_string()));
    let (_, replaced) = post(&app, &ada, "list_projects", Some("two words")).await;
    assert_ne!(replaced, "two words");

    // Break the projects table: listing them is now a 500, kept with its context.
    sqlx::query("alter table projects rename to projects_gone").execute(&pool).await.unwrap();
    let (status, first) = post(&app, &ada, "list_projects", None).await;
    assert_eq!(status, 500);
    let (kind, summary, method, route, status, user, cause) = event(&pool, &first).await;
    assert_eq!(kind, "http");
    assert_eq!(method.as_deref(), Some("POST"));
    assert_eq!(route.as_deref(), Some("/api/list_projects"));
    assert_eq!(status, Some(500));
    assert_eq!(user, Some(ada_id));
    assert!(cause.contains(r#"relation "projects" does not exist"#), "{cause}");
    assert!(summary.contains("does not exist") && !summary.contains(&first), "{summary}");
    let (_, second) = post(&app, &ada, "list_projects", None).await;
    event(&pool, &second).await;

    // The errors page is for admins; it shows one group of two, with the latest request.
    assert!(matches!(app.call(&ada, "error_groups", &[]).await, Err(AppError::Forbidden)));
    sqlx::query("update users set is_admin = true where id = $1").bind(ada_id).execute(&pool).await.unwrap();
    let groups = app.ok(&ada, "error_groups", &[]).await;
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0]["count"], 2);
    assert_eq!(groups[0]["kind"], "http");
    assert_eq!(groups[0]["request_id"], second.as_str());
    assert_eq!(groups[0]["route"], "/api/list_projects");
}
