//! What the API sends and receives beyond the domain's own typed inputs and
//! models (which carry their OpenAPI schemas themselves).

use chrono::{DateTime, Utc};
use domain::project::model::ProjectStatus;
use domain::task::model::TaskStatus;
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{IntoParams, PartialSchema, ToSchema};
use uuid::Uuid;

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// How many match, in all.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most this many (1–100, default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Skip this many (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

impl PageQuery {
    pub fn bounds(&self) -> Result<(i64, i64), super::problem::ApiError> {
        let limit = self.limit.unwrap_or(50);
        let offset = self.offset.unwrap_or(0);
        if !(1..=100).contains(&limit) {
            return Err(super::problem::ApiError::field("limit", "limit is from 1 to 100."));
        }
        if !(0..=1_000_000).contains(&offset) {
            return Err(super::problem::ApiError::field("offset", "offset is from 0 to 1000000."));
        }
        Ok((limit, offset))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Only say what would be imported (default false).
    pub preview: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The words to find (1–200 characters).
    #[param(inline)]
    pub q: domain::search::Query,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectFilter {
    pub status: Option<ProjectStatus>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    pub project_id: Option<Uuid>,
    pub status: Option<TaskStatus>,
    /// Due on or before this date.
    pub due_before: Option<chrono::NaiveDate>,
    /// Due on or after this date.
    pub due_after: Option<chrono::NaiveDate>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoteFilter {
    pub project_id: Option<Uuid>,
}

/// `property`, or null (unless it already allows null).
fn nullable(property: &mut RefOr<Schema>) {
    let json = serde_json::to_value(&*property).unwrap_or_default();
    let null = serde_json::json!("null");
    let allows_null = json["type"] == null
        || json["type"].as_array().is_some_and(|t| t.contains(&null))
        || json["oneOf"].as_array().is_some_and(|items| items.iter().any(|i| i["type"] == null));
    if !allows_null {
        let inner = property.clone();
        let null = utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Null);
        *property = utoipa::openapi::OneOfBuilder::new().item(null).item(inner).into();
    }
}

/// Changes to an item as a JSON merge patch (RFC 7396): a field sent replaces
/// it, `null` clears it (back to its default: a required field cannot be
/// cleared), a field left out is kept. Its schema is the item's input schema
/// with nothing required and every field with a default nullable.
macro_rules! changes {
    ($name:ident, $input:ty, $doc:literal) => {
        #[doc = $doc]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let mut schema = <$input as PartialSchema>::schema();
                if let RefOr::T(Schema::Object(object)) = &mut schema {
                    let required = std::mem::take(&mut object.required);
                    for (name, property) in object.properties.iter_mut() {
                        if !required.contains(name) {
                            nullable(property);
                        }
                    }
                    object.description = Some($doc.into());
                }
                schema
            }
        }

        impl ToSchema for $name {}
    };
}

changes!(ProjectChanges, domain::project::ProjectInput, "Changes to a project (a merge patch).");
changes!(TaskChanges, domain::task::TaskInput, "Changes to a task (a merge patch; its project cannot change).");
changes!(NoteChanges, domain::note::NoteInput, "Changes to a note (a merge patch).");

/// A new note.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewNote {
    pub project_id: Uuid,
    #[serde(flatten)]
    #[schema(inline)]
    pub note: domain::note::NoteInput,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewBrainDump {
    /// What is on your mind.
    #[schema(inline)]
    pub content: domain::brain_dump::Content,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmBody {
    /// The operations to apply ("op-1", …); the others are left out.
    #[schema(max_items = 1000)]
    pub operation_ids: Vec<String>,
    /// The dump's `updated_at` as reviewed: confirm refuses when it was
    /// processed again since (default: as it is now).
    #[serde(default)]
    pub version: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Confirmed {
    /// How many items were created, changed or deleted.
    pub applied: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 512)]
    pub password: String,
    /// What the token is for.
    #[schema(inline)]
    pub name: domain::api_token::TokenName,
    /// read_write (the default) or read: a read-only token's writes are refused (403).
    #[serde(default)]
    pub scope: domain::api_token::Scope,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub scope: domain::api_token::Scope,
    /// Send as `Authorization: Bearer <token>`. Shown only now.
    pub token: String,
}

/// The days to plan, in the person's timezone: `from` (default today; a day
/// before today counts from today) to `to` (default six days after `from`;
/// not before it, at most 31 days in all).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PlanWindow {
    #[serde(default)]
    pub from: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub to: Option<chrono::NaiveDate>,
}

/// The blocks of a proposal to apply (all of them, or the ones kept).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplyPlanBody {
    #[schema(min_items = 1, max_items = 2000)]
    pub placements: Vec<domain::schedule::Accepted>,
}
