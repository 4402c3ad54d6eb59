//! Voice capture's transcription against a fake OpenAI-compatible
//! `/audio/transcriptions` on 127.0.0.1 (multipart in, JSON out).

use crate::support::TestApp;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use domain::Error as AppError;
use domain::brain_dump::quota::Quota;
use domain::brain_dump::voice::TranscribeConfig;
use domain::settings::Secret;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the fake received: the Authorization header and each form field
/// (a file as its name and bytes).
#[derive(Debug, Clone, Default)]
struct Seen {
    authorization: String,
    fields: Vec<(String, Option<String>, Vec<u8>)>,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&(String, Option<String>, Vec<u8>)> {
        self.fields.iter().find(|(n, _, _)| n == name)
    }
    fn text(&self, name: &str) -> Option<String> {
        self.field(name).map(|(_, _, b)| String::from_utf8_lossy(b).into_owned())
    }
}

#[derive(Clone, Default)]
struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Refuse the next requests, as a service does a file it cannot read.
    refuse: Arc<Mutex<u32>>,
}

async fn transcriptions(State(fake): State<Fake>, headers: HeaderMap, mut form: Multipart) -> Response {
    let mut seen = Seen {
        authorization: headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").into(),
        ..Seen::default()
    };
    while let Some(field) = form.next_field().await.unwrap() {
        let name = field.name().unwrap_or("").to_string();
        let file = field.file_name().map(str::to_string);
        seen.fields.push((name, file, field.bytes().await.unwrap().to_vec()));
    }
    fake.seen.lock().unwrap().push(seen);
    {
        let mut refuse = fake.refuse.lock().unwrap();
        if *refuse > 0 {
            *refuse -= 1;
            let error = json!({ "error": { "message": "Invalid file format.", "type": "invalid_request_error",
                                           "param": "file", "code": null } });
            return (StatusCode::BAD_REQUEST, Json(error)).into_response();
        }
    }
    // A Whisper server of one's own answers with the text alone.
    Json(json!({ "text": "  Call the plumber about the leaking tap.\n" })).into_response()
}

async fn fake() -> (Fake, String) {
    let fake = Fake::default();
    let router = Router::new().route("/v1/audio/transcriptions", post(transcriptions)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (fake, base)
}

fn config(base_url: &str, quota: Quota) -> TranscribeConfig {
    TranscribeConfig {
        api_key: Secret::new("sk-voice-test".into()),
        base_url: base_url.into(),
        model: "whisper-1".into(),
        language: Some("en".into()),
        timeout: Duration::from_secs(10),
        quota,
    }
}

const ROOMY: Quota = Quota { per_minute: 100, per_day: 100, server_per_day: 100, free_per_day: None };

/// Some bytes that start like the WebM a browser records.
fn recording() -> Vec<u8> {
    let mut bytes = vec![0x1a, 0x45, 0xdf, 0xa3];
    bytes.extend((0..4096u32).map(|i| (i * 31 % 251) as u8));
    bytes
}

async fn send(app: &TestApp, client: &reqwest::Client, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = client
        .post(app.url("/brain-dump/transcribe"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn voice_calls(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from llm_calls where purpose = 'voice'").fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_recording_becomes_text_through_the_transcription_service(pool: PgPool) {
    let (fake, base) = fake().await;
    let app = TestApp::builder(pool.clone()).transcription(config(&base, ROOMY)).spawn().await;
    let ada = app.signed_up("ada@example.com").await;
    let draft = app.ok(&ada, "get_draft", &[]).await;
    assert_eq!(draft["transcribe"], true, "the page is told to record");

    let audio = recording();
    let (status, body) = send(&app, &ada, "audio/webm;codecs=opus", audio.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "text": "Call the plumber about the leaking tap." }));

    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.authorization, "Bearer sk-voice-test");
    assert_eq!(request.text("model").as_deref(), Some("whisper-1"));
    assert_eq!(request.text("language").as_deref(), Some("en"));
    assert_eq!(request.text("response_format").as_deref(), Some("json"));
    let (_, name, bytes) = request.field("file").expect("the recording is sent as `file`");
    assert_eq!(name.as_deref(), Some("recording.webm"), "the service tells formats by the name");
    assert_eq!(bytes, &audio, "the recording arrives whole");
    assert_eq!(voice_calls(&pool).await, 1, "a transcription is one AI call of Ada's");
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_recordings_are_refused_naming_the_audio_and_reach_no_service(pool: PgPool) {
    let (fake, base) = fake().await;
    let app = TestApp::builder(pool.clone()).transcription(config(&base, ROOMY)).spawn().await;
    let ada = app.signed_up("ada@example.com").await;

    let (status, body) = send(&app, &ada, "audio/webm", Vec::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error: AppError = serde_json::from_value(body).unwrap();
    assert!(error.field_message("audio").is_some_and(|m| m.contains("empty")), "{error:?}");

    let (status, body) = send(&app, &ada, "text/plain", recording()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error: AppError = serde_json::from_value(body).unwrap();
    let message = error.field_message("audio").unwrap_or_default();
    assert!(message.contains("text/plain") && message.contains("WebM"), "{message}");

    // Over the service's limit: refused before anything is read into memory for it.
    let (status, _) = send(&app, &ada, "audio/webm", vec![0; domain::brain_dump::voice::MAX_BYTES + 1]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Signed out, or from another site: refused.
    let (status, _) = send(&app, &TestApp::client(), "audio/webm", recording()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let status = ada
        .post(app.url("/brain-dump/transcribe"))
        .header("content-type", "audio/webm")
        .header("origin", "https://elsewhere.example")
        .body(recording())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 403);

    assert!(fake.seen.lock().unwrap().is_empty(), "no request reached the service");
    assert_eq!(voice_calls(&pool).await, 0, "and none counted against the quota");
}

/// A refusal by the service is a clear 502 (the page keeps the recording to
/// send again); over the AI quota, a 429 that says when, and no request.
#[sqlx::test(migrations = "../migrations")]
async fn a_failing_service_or_a_spent_quota_is_said_plainly(pool: PgPool) {
    let (fake, base) = fake().await;
    let quota = Quota { per_minute: 2, per_day: 100, server_per_day: 100, free_per_day: None };
    let app = TestApp::builder(pool.clone()).transcription(config(&base, quota)).spawn().await;
    let ada = app.signed_up("ada@example.com").await;

    *fake.refuse.lock().unwrap() = 1;
    let (status, body) = send(&app, &ada, "audio/ogg", recording()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let error: AppError = serde_json::from_value(body).unwrap();
    assert!(matches!(&error, AppError::Upstream(m) if m.contains("still here")), "{error:?}");
    assert!(!format!("{error:?}").contains("sk-voice-test"), "the key is never shown");

    let (status, _) = send(&app, &ada, "audio/ogg", recording()).await;
    assert_eq!(status, StatusCode::OK, "sent again, it is transcribed");

    let (status, body) = send(&app, &ada, "audio/ogg", recording()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let error: AppError = serde_json::from_value(body).unwrap();
    assert!(error.to_string().contains("Wait a minute"), "{error}");
    assert_eq!(fake.seen.lock().unwrap().len(), 2, "the third never reached the service");
}

#[sqlx::test(migrations = "../migrations")]
async fn without_transcription_the_page_is_told_and_the_address_is_not_there(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool).await;
    let draft = app.ok(&ada, "get_draft", &[]).await;
    assert_eq!(draft["transcribe"], false, "the page offers the browser's own recognition, or nothing");
    let (status, _) = send(&app, &ada, "audio/webm", recording()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
