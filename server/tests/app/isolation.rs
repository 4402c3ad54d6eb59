//! Tenant isolation: another person's ids get "not found", and the database itself hides rows.

use crate::support::TestApp;
use domain::Error as AppError;
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test(migrations = "../migrations")]
async fn a_second_user_gets_not_found_for_every_id_of_the_first(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let alice = app.signed_up("alice@example.com").await;
    let (project_id, slug) = app.project(&alice, "Alice's secret plan").await;
    let task_id = app.task(&alice, &project_id, &[("title", "Alice's task")]).await;
    app.ok(&alice, "create_note", &[("project_id", &project_id), ("body", "Alice's note")]).await;
    let detail = app.ok(&alice, "get_project", &[("slug", &slug)]).await;
    let note_id = detail["notes"][0]["id"].as_str().unwrap().to_string();

    let bob = app.signed_up("bob@example.com").await;
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("get_project", vec![("slug", &slug)]),
        ("update_project", vec![("id", &project_id), ("name", "Hijacked")]),
        ("set_deleted", vec![("item", "project"), ("id", &project_id), ("deleted", "true")]),
        ("set_deleted", vec![("item", "project"), ("id", &project_id), ("deleted", "false")]),
        ("get_task", vec![("id", &task_id)]),
        ("update_task", vec![("id", &task_id), ("title", "Hijacked")]),
        ("set_task_done", vec![("id", &task_id), ("done", "true")]),
        ("set_task_done", vec![("id", &task_id), ("done", "false")]),
        ("set_deleted", vec![("item", "task"), ("id", &task_id), ("deleted", "true")]),
        ("set_deleted", vec![("item", "task"), ("id", &task_id), ("deleted", "false")]),
        ("create_task", vec![("project_id", &project_id), ("title", "Planted")]),
        ("create_note", vec![("project_id", &project_id), ("body", "Planted")]),
        ("update_note", vec![("id", &note_id), ("body", "Hijacked")]),
        ("set_deleted", vec![("item", "note"), ("id", &note_id), ("deleted", "true")]),
        ("set_deleted", vec![("item", "note"), ("id", &note_id), ("deleted", "false")]),
    ];
    for (endpoint, form) in &calls {
        let result = app.call(&bob, endpoint, form).await;
        assert_eq!(result, Err(AppError::NotFound), "{endpoint} must not reach Alice's data");
    }
    // Bob sees none of it in his own lists either.
    assert_eq!(app.ok(&bob, "list_projects", &[]).await.as_array().unwrap().len(), 0);
    let dash = app.ok(&bob, "get_dashboard", &[]).await;
    for section in ["today", "overdue", "upcoming", "completed"] {
        assert_eq!(dash["lists"][section].as_array().unwrap().len(), 0, "{section}");
    }

    // And nothing of Alice's changed.
    let detail = app.ok(&alice, "get_project", &[("slug", &slug)]).await;
    assert_eq!(detail["project"]["name"], "Alice's secret plan");
    assert_eq!(detail["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(detail["tasks"][0]["title"], "Alice's task");
    assert_eq!(detail["tasks"][0]["status"], "backlog");
    assert_eq!(detail["notes"].as_array().unwrap().len(), 1);
    assert_eq!(detail["notes"][0]["body"], "Alice's note");
}

/// A count with no `where user_id = …` at all, as a careless query would be.
async fn count(conn: &mut sqlx::PgConnection, table: &str) -> Result<i64, sqlx::Error> {
    let sql = match table {
        "projects" => "select count(*) from projects",
        "tasks" => "select count(*) from tasks",
        "brain_dumps" => "select count(*) from brain_dumps",
        _ => "select count(*) from notes",
    };
    sqlx::query_scalar::<_, i64>(sql).fetch_one(conn).await
}

#[sqlx::test(migrations = "../migrations")]
async fn row_level_security_hides_other_rows_even_without_the_apps_filter(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let alice = app.signed_up("alice@example.com").await;
    let (project_id, _) = app.project(&alice, "Alice's plan").await;
    app.task(&alice, &project_id, &[("title", "Alice's task")]).await;
    app.ok(&alice, "create_note", &[("project_id", &project_id), ("body", "Alice's note")]).await;
    app.ok(&alice, "save_draft", &[("content", "Alice's private thoughts")]).await;
    app.signed_up("bob@example.com").await;
    let id_of = |email: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("select id from users where email = $1")
                .bind(email)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (alice_id, bob_id) = (id_of("alice@example.com").await, id_of("bob@example.com").await);

    let mut tx = domain::db::begin_as(&pool, bob_id).await.unwrap();
    for table in ["projects", "tasks", "notes", "brain_dumps"] {
        assert_eq!(count(&mut tx, table).await.unwrap(), 0, "Bob sees none of Alice's {table}");
    }
    // Writing a row in Alice's name is refused by the policy's check.
    let planted = sqlx::query("insert into projects (user_id, name, slug) values ($1, 'planted', 'planted')")
        .bind(alice_id)
        .execute(&mut *tx)
        .await;
    assert!(planted.unwrap_err().to_string().contains("row-level security"));
    tx.rollback().await.unwrap();

    // Updates and deletes cannot touch what the policy hides.
    let mut tx = domain::db::begin_as(&pool, bob_id).await.unwrap();
    let hit = sqlx::query("update tasks set title = 'hijacked'").execute(&mut *tx).await.unwrap();
    assert_eq!(hit.rows_affected(), 0);
    let hit = sqlx::query("delete from notes").execute(&mut *tx).await.unwrap();
    assert_eq!(hit.rows_affected(), 0);
    tx.commit().await.unwrap();

    // With no person set at all, nothing is visible.
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(count(&mut conn, "projects").await.unwrap(), 0);

    // Alice still sees her own.
    let mut tx = domain::db::begin_as(&pool, alice_id).await.unwrap();
    for table in ["projects", "tasks", "notes", "brain_dumps"] {
        assert_eq!(count(&mut tx, table).await.unwrap(), 1, "Alice sees her {table}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_database_role_does_not_bypass_row_level_security(pool: PgPool) {
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("select rolsuper, rolbypassrls from pg_roles where rolname = current_user")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!superuser && !bypass, "tests must run as a plain role, or the RLS tests prove nothing");
}
