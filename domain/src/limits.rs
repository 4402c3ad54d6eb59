//! Every length limit on what people write, defined once. The database's CHECK
//! constraints say the same (a test compares them), the typed inputs enforce
//! them, and the API document states them.

/// A limit on one column, for the test that compares it with the database.
pub struct ColumnLimit {
    pub table: &'static str,
    pub column: &'static str,
    pub min: usize,
    pub max: usize,
}

pub const PROJECT_NAME: usize = 200;
pub const PROJECT_DESCRIPTION: usize = 2_000;
pub const PROJECT_CONTEXT: usize = 100_000;
pub const TASK_TITLE: usize = 500;
pub const TASK_DESCRIPTION: usize = 5_000;
pub const TASK_DETAILS: usize = 100_000;
pub const NOTE_TITLE: usize = 200;
pub const NOTE_BODY: usize = 100_000;
/// The most a brain dump can hold, in characters.
pub const BRAIN_DUMP: usize = 50_000;
pub const DISPLAY_NAME: usize = 100;
pub const EMAIL: usize = 254;
pub const TOKEN_NAME: usize = 100;
pub const TAG: usize = 40;
pub const TAGS: usize = 20;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 512;
/// What a search looks for, in characters.
pub const SEARCH_QUERY: usize = 200;
/// A task's duration, in minutes (a week at most).
pub const DURATION_MAX: i32 = 10_080;

/// The limits the database also enforces, column by column.
pub const COLUMNS: &[ColumnLimit] = &[
    ColumnLimit { table: "projects", column: "name", min: 1, max: PROJECT_NAME },
    ColumnLimit { table: "projects", column: "description", min: 0, max: PROJECT_DESCRIPTION },
    ColumnLimit { table: "projects", column: "context", min: 0, max: PROJECT_CONTEXT },
    ColumnLimit { table: "tasks", column: "title", min: 1, max: TASK_TITLE },
    ColumnLimit { table: "tasks", column: "description", min: 0, max: TASK_DESCRIPTION },
    ColumnLimit { table: "tasks", column: "details", min: 0, max: TASK_DETAILS },
    ColumnLimit { table: "notes", column: "title", min: 0, max: NOTE_TITLE },
    ColumnLimit { table: "notes", column: "body", min: 1, max: NOTE_BODY },
    ColumnLimit { table: "brain_dumps", column: "content", min: 0, max: BRAIN_DUMP },
    ColumnLimit { table: "users", column: "display_name", min: 0, max: DISPLAY_NAME },
    ColumnLimit { table: "api_tokens", column: "name", min: 1, max: TOKEN_NAME },
];
