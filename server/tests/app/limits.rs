//! Every length limit is defined once in Rust (`domain::limits`); the
//! database's CHECK constraints must say the same.

use sqlx::PgPool;

/// The numbers in the CHECK constraint on `table.column`'s length, as (min, max).
async fn database_limits(pool: &PgPool, table: &str, column: &str) -> (usize, usize) {
    let defs: Vec<String> = sqlx::query_scalar(
        "select pg_get_constraintdef(c.oid) from pg_constraint c
         where c.conrelid = $1::regclass and c.contype = 'c'",
    )
    .bind(table)
    .fetch_all(pool)
    .await
    .unwrap();
    let needle = format!("length({column})");
    let def =
        defs.iter().find(|d| d.contains(&needle)).unwrap_or_else(|| panic!("no length check on {table}.{column}"));
    let numbers: Vec<usize> =
        def.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    match numbers.as_slice() {
        [max] => (0, *max),
        [min, max] => (*min, *max),
        other => panic!("{table}.{column}: unexpected check {def} ({other:?})"),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_database_checks_the_same_lengths_as_the_code(pool: PgPool) {
    for limit in domain::limits::COLUMNS {
        let (min, max) = database_limits(&pool, limit.table, limit.column).await;
        assert_eq!(max, limit.max, "{}.{} maximum", limit.table, limit.column);
        // A minimum of 1 in the code may be a "between 1 and" or left to `not null` + trimming.
        assert!(
            min <= limit.min,
            "{}.{}: the database asks for {min}, the code for {}",
            limit.table,
            limit.column,
            limit.min
        );
    }
}
