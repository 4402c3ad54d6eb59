//! Errors as RFC 9457 problem details (`application/problem+json`), and the
//! extractors that turn bad input into them (never a 5xx, never plain text).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Error as AppError;
use serde::Serialize;
use utoipa::ToSchema;

/// A problem: what went wrong, and for invalid input which fields and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem ("about:blank" when the status says it all).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For invalid input: each field and what is wrong with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError { status, detail: detail.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: message.clone(),
            errors: vec![FieldProblem { field: field.into(), message }],
            retry_after: None,
        }
    }
}

impl ApiError {
    /// Field errors that depend on what is stored (an address already taken,
    /// fields that contradict each other or the item's current state): 409,
    /// still naming the fields. Other errors as usual.
    pub fn conflicting(e: AppError) -> Self {
        match e {
            AppError::Validation(_) => ApiError { status: StatusCode::CONFLICT, ..ApiError::from(e) },
            other => other.into(),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation(inv) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                detail: AppError::Validation(inv.clone()).to_string(),
                errors: inv.fields.into_iter().map(|f| FieldProblem { field: f.field, message: f.message }).collect(),
                retry_after: None,
            },
            AppError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "Not found."),
            AppError::Unauthorized => ApiError::new(StatusCode::UNAUTHORIZED, "A valid bearer token is needed."),
            AppError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "You cannot do that."),
            AppError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            AppError::TooManyRequests(m) => {
                ApiError { retry_after: Some(60), ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, m) }
            }
            AppError::Upstream(m) => ApiError::new(StatusCode::BAD_GATEWAY, m),
            other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error").to_string();
        let body = Problem {
            kind: "about:blank".into(),
            title,
            status: self.status.as_u16(),
            detail: self.detail,
            errors: self.errors,
        };
        let mut response = (self.status, serde_json::to_vec(&body).unwrap_or_default()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        // An id that is not one names nothing.
        ApiError::new(StatusCode::NOT_FOUND, format!("Not found ({}).", r.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, r.body_text())
    }
}

/// A JSON body; text with NUL characters (which PostgreSQL cannot store) is refused.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if has_nul(&value) {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "Text cannot contain NUL characters."));
        }
        domain::patch::read(value).map(ApiJson).map_err(ApiError::from)
    }
}

/// A JSON object body that may be left out (no body, only whitespace, or
/// `null`): then `T::default()`.
pub struct ApiOptionalJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiOptionalJson<T>
where
    T: serde::de::DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, super::BODY_LIMIT)
            .await
            .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "The body is too large."))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        let req = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
        let ApiJson(value) = ApiJson::<serde_json::Value>::from_request(req, state).await?;
        match value {
            serde_json::Value::Null => Ok(Self(T::default())),
            // (serde would also read a struct from an array of its fields.)
            serde_json::Value::Object(_) => domain::patch::read(value).map(Self).map_err(ApiError::from),
            _ => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "The body must be a JSON object (or left out).")),
        }
    }
}

fn has_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(a) => a.iter().any(has_nul),
        serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
