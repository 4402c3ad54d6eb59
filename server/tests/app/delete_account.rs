//! Deleting an account: the password again and a box ticked; then Google's
//! access revoked, queued jobs gone, no row of that person left in any table,
//! a goodbye email, the old session worthless; another person untouched.

use crate::google::{app_with_google, come_back, person};
use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn deleting_an_account_leaves_no_row_of_that_person_and_revokes_google(pool: PgPool) {
    let (app, fake) = app_with_google(pool.clone()).await;
    let ada = app.signed_up("ada@example.com").await;
    let bob = app.signed_up("bob@example.com").await;
    app.project(&bob, "Bob's garden").await;
    let ada_id: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'ada@example.com'").fetch_one(&pool).await.unwrap();

    // Ada has something of everything: Google Calendar, a project with a task
    // and a note, a draft, an API token, a brief queued (a job naming her).
    let res = ada.get(app.url("/auth/google/calendar")).send().await.unwrap();
    let (code, state) =
        fake.approve(res.headers()["location"].to_str().unwrap(), person("g-ada", "ada.work@example.com", true));
    come_back(&app, &ada, &code, &state).await;
    let refresh = fake.refresh_ok.lock().unwrap()[0].clone();
    let (pid, _) = app.project(&ada, "Garden").await;
    app.task(&ada, &pid, &[("title", "Prune roses"), ("due_date", "2026-12-20")]).await;
    app.ok(&ada, "create_note", &[("project_id", &pid), ("title", ""), ("body", "Roses like sun")]).await;
    app.ok(&ada, "save_draft", &[("content", "call the plumber")]).await;
    app.ok(&ada, "create_api_token", &[("name", "laptop")]).await;
    app.ok(&ada, "generate_brief", &[]).await;
    let jobs = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from apalis.jobs where convert_from(job, 'UTF8') like '%' || $1 || '%'",
        )
        .bind(ada_id.to_string())
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    assert!(jobs().await >= 1, "a job names her before");

    // The password again, and the box: each named when missing or wrong; nothing goes.
    let err = app
        .call(&ada, "delete_account", &[("current_password", "wrong password!"), ("confirm", "on")])
        .await
        .unwrap_err();
    assert_eq!(err.field_message("current_password").as_deref(), Some("That is not your current password."));
    let err = app.call(&ada, "delete_account", &[("current_password", crate::support::PASSWORD)]).await.unwrap_err();
    assert!(err.field_message("confirm").unwrap().contains("cannot be undone"), "{err:?}");
    assert_eq!(app.ok(&ada, "list_projects", &[]).await.as_array().unwrap().len(), 1);

    app.ok(&ada, "delete_account", &[("current_password", crate::support::PASSWORD), ("confirm", "on")]).await;

    // Google's access revoked; no job names her; no row of hers anywhere.
    assert_eq!(*fake.revoked.lock().unwrap(), [refresh]);
    assert_eq!(jobs().await, 0);
    let tables: Vec<(String, String)> = sqlx::query_as(
        "select table_schema::text, table_name::text from information_schema.tables
         where table_type = 'BASE TABLE' and table_schema in ('public', 'apalis') order by 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(tables.len() > 30, "{tables:?}");
    let mut tx = pool.begin().await.unwrap();
    // Row-level security shows her rows, were there any.
    sqlx::query("select set_config('app.user_id', $1, true)").bind(ada_id.to_string()).execute(&mut *tx).await.unwrap();
    for (schema, table) in &tables {
        let sql = format!(
            "select count(*) from {schema}.{table} t where t::text like '%' || $1 || '%' or t::text like '%ada@example.com%'"
        );
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(ada_id.to_string()).fetch_one(&mut *tx).await.unwrap();
        assert_eq!(n, 0, "{schema}.{table} still has {n} rows of hers");
    }
    tx.commit().await.unwrap();

    // The goodbye email; the old session is worth nothing; she cannot log in.
    let mut goodbye = None;
    for _ in 0..100 {
        goodbye = app.emails_to("ada@example.com").into_iter().find(|m| m.contains("Your BuildOS account is deleted"));
        if goodbye.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(goodbye.expect("a goodbye email").contains("cannot be undone"));
    assert_eq!(app.ok(&ada, "current_user", &[]).await, Value::Null);
    assert!(app.login(&crate::support::TestApp::client(), "ada@example.com", crate::support::PASSWORD).await.is_err());
    // Bob is untouched.
    assert_eq!(app.ok(&bob, "list_projects", &[]).await.as_array().unwrap().len(), 1);
}
