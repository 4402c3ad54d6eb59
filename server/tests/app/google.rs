//! Sign in with Google against a fake Google on 127.0.0.1 speaking its wire
//! format: OIDC discovery, JWKS, the token endpoint (checking the PKCE
//! verifier) and RS256-signed id tokens.

use crate::support::{PASSWORD, TestApp};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use serde_json::{Value, json};
use sha2::Digest;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "buildos-test.apps.googleusercontent.com";
/// The public half of fixtures/fake-google-key.pem (a key for these tests only).
const MODULUS: &str = "mm8Y1KbNQLu-Q3wHfWoHwFrXM2qJx_z-ZGc2haIDXJ-dJJg-OMH6L8l2Mc3zkEwh74Qiey6sRVn6b6DUHaUDeQqXbONSVpjlTwZt-73woqMOaO0wVA-hXeWcELwsZ6Zi6sRiCIX3d6o8jvyOn99RRxsQxvrO2Jwg3xRLKFWMZr-Iz5dOovwfIvzFSXi7AcV-847yF0UzlvWHzhyXM7b3r9IhiTwcddxSLDeLKSI5Xo2HlmC_H11ycTVLmsmISL5Ny7uPaQEtC3clF9ryVOIIs-3r9YLw2p16oIeS3sAKeDLbqoEEafcAnm2BeaqWT8hmtO0xYt0bVSknefmWTKOyPQ";

/// What the person "approved" on the consent page, by code.
#[derive(Clone, Default)]
pub struct Fake {
    base: Arc<Mutex<String>>,
    /// Its Calendar API.
    pub calendar: crate::fake_calendar::FakeCalendar,
    grants: Arc<Mutex<HashMap<String, (String, Value)>>>,
    /// Refresh tokens Google still accepts, and how many refreshes were asked for.
    pub refresh_ok: Arc<Mutex<Vec<String>>>,
    pub refreshes: Arc<Mutex<usize>>,
    pub revoked: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    pub fn base(&self) -> String {
        self.base.lock().unwrap().clone()
    }

    /// The person approves `consent_url` as `claims` (sub, email, email_verified…);
    /// the nonce it carries goes into the id token unless `claims` has one. The callback's query.
    pub fn approve(&self, consent_url: &str, claims: Value) -> (String, String) {
        let url = reqwest::Url::parse(consent_url).unwrap();
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert!(consent_url.starts_with(&format!("{}/auth?", self.base())), "{consent_url}");
        assert_eq!(q["client_id"], CLIENT_ID);
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(q["scope"].contains("openid") && q["scope"].contains("email"));
        let mut claims = claims;
        if claims.get("nonce").is_none() {
            claims["nonce"] = json!(q["nonce"]);
        }
        let code = format!("code-{}", uuid::Uuid::new_v4().simple());
        self.grants.lock().unwrap().insert(code.clone(), (q["code_challenge"].clone(), claims));
        (code, q["state"].clone())
    }
}

async fn discovery(State(fake): State<Fake>) -> Json<Value> {
    let base = fake.base();
    Json(json!({
        "issuer": base, "authorization_endpoint": format!("{base}/auth"), "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"), "response_types_supported": ["code"],
        "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
        "revocation_endpoint": format!("{base}/revoke"),
    }))
}

async fn jwks() -> Json<Value> {
    Json(json!({ "keys": [{ "kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1", "n": MODULUS, "e": "AQAB" }] }))
}

async fn revoke(State(fake): State<Fake>, Form(form): Form<HashMap<String, String>>) -> &'static str {
    let token = form["token"].clone();
    fake.refresh_ok.lock().unwrap().retain(|t| *t != token);
    fake.revoked.lock().unwrap().push(token);
    ""
}

async fn token(State(fake): State<Fake>, Form(form): Form<HashMap<String, String>>) -> axum::response::Response {
    use axum::response::IntoResponse;
    if form.get("grant_type").map(String::as_str) == Some("refresh_token") {
        let n = {
            let mut n = fake.refreshes.lock().unwrap();
            *n += 1;
            *n
        };
        if !fake.refresh_ok.lock().unwrap().contains(&form["refresh_token"]) {
            let refused =
                json!({ "error": "invalid_grant", "error_description": "Token has been expired or revoked." });
            return (axum::http::StatusCode::BAD_REQUEST, Json(refused)).into_response();
        }
        return Json(
            json!({ "access_token": format!("ya29.refreshed-{n}"), "token_type": "Bearer", "expires_in": 3599 }),
        )
        .into_response();
    }
    let grant = fake.grants.lock().unwrap().remove(&form["code"]);
    let Some((challenge, mut claims)) = grant else {
        return (axum::http::StatusCode::BAD_REQUEST, Json(json!({ "error": "invalid_grant" }))).into_response();
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    if computed != challenge {
        return (axum::http::StatusCode::BAD_REQUEST, Json(json!({ "error": "invalid_grant" }))).into_response();
    }
    let now = chrono::Utc::now().timestamp();
    claims["iss"] = json!(fake.base());
    claims["aud"] = json!(CLIENT_ID);
    claims["iat"] = json!(now);
    claims["exp"] = json!(now + 3600);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("k1".into());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!("fixtures/fake-google-key.pem")).unwrap();
    let id_token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let refresh = format!("1//refresh-{}", uuid::Uuid::new_v4().simple());
    fake.refresh_ok.lock().unwrap().push(refresh.clone());
    Json(json!({ "access_token": "ya29.test", "token_type": "Bearer", "expires_in": 3600, "id_token": id_token,
                 "refresh_token": refresh }))
    .into_response()
}

pub async fn fake_google() -> Fake {
    let fake = Fake::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    *fake.base.lock().unwrap() = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .with_state(fake.clone())
        .merge(fake.calendar.router());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    fake
}

pub async fn app_with_google(pool: PgPool) -> (TestApp, Fake) {
    let fake = fake_google().await;
    let app = TestApp::builder(pool).google(CLIENT_ID, &fake.base()).encryption_key(KEY).spawn().await;
    (app, fake)
}

pub const KEY: [u8; 32] = [42; 32];

/// Press "Continue with Google" in `browser`: where the app sends it.
async fn consent_url(app: &TestApp, browser: &reqwest::Client) -> String {
    let res = browser.get(app.url("/auth/google")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    res.headers()["location"].to_str().unwrap().to_string()
}

/// Google sends `browser` back with `code` and `state`: where the app sends it then.
pub async fn come_back(app: &TestApp, browser: &reqwest::Client, code: &str, state: &str) -> String {
    let res =
        browser.get(app.url("/auth/google/callback")).query(&[("code", code), ("state", state)]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    res.headers()["location"].to_str().unwrap().to_string()
}

pub fn person(sub: &str, email: &str, verified: bool) -> Value {
    json!({ "sub": sub, "email": email, "email_verified": verified, "name": "Grace Hopper" })
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_person_signs_up_with_google_and_comes_back_to_the_same_account(pool: PgPool) {
    let (app, fake) = app_with_google(pool.clone()).await;
    let browser = TestApp::client();
    let (code, state) = fake.approve(&consent_url(&app, &browser).await, person("g-1", "grace@example.com", true));
    assert_eq!(come_back(&app, &browser, &code, &state).await, "/");
    let me = app.ok(&browser, "current_user", &[]).await;
    assert_eq!((me["email"].as_str(), me["email_verified"].as_bool()), (Some("grace@example.com"), Some(true)));
    assert_eq!(me["display_name"], "Grace Hopper");
    // Later, from another browser: the same account.
    let other = TestApp::client();
    let (code, state) = fake.approve(&consent_url(&app, &other).await, person("g-1", "grace@example.com", true));
    assert_eq!(come_back(&app, &other, &code, &state).await, "/");
    assert_eq!(app.ok(&other, "current_user", &[]).await["id"], me["id"]);
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&pool).await.unwrap();
    assert_eq!(users, 1);
    // A replayed callback finds nothing to finish.
    assert_eq!(come_back(&app, &TestApp::client(), &code, &state).await, "/login?google=failed");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_state_or_nonce_is_refused(pool: PgPool) {
    let (app, fake) = app_with_google(pool.clone()).await;
    let browser = TestApp::client();
    let (code, _) = fake.approve(&consent_url(&app, &browser).await, person("g-1", "grace@example.com", true));
    assert_eq!(come_back(&app, &browser, &code, "forged-state").await, "/login?google=failed");
    assert_eq!(app.ok(&browser, "current_user", &[]).await, Value::Null);
    // An id token minted for another sign-in (its nonce) is refused.
    let mut claims = person("g-1", "grace@example.com", true);
    claims["nonce"] = json!("someone-elses-nonce");
    let (code, state) = fake.approve(&consent_url(&app, &browser).await, claims);
    assert_eq!(come_back(&app, &browser, &code, &state).await, "/login?google=failed");
    assert_eq!(app.ok(&browser, "current_user", &[]).await, Value::Null);
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&pool).await.unwrap();
    assert_eq!(users, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_existing_account_is_linked_only_with_a_verified_address_and_its_password(pool: PgPool) {
    let (app, fake) = app_with_google(pool.clone()).await;
    app.signed_up("ada@example.com").await;
    // Google has not verified the address: no link, no session.
    let browser = TestApp::client();
    let (code, state) = fake.approve(&consent_url(&app, &browser).await, person("g-ada", "ada@example.com", false));
    assert_eq!(come_back(&app, &browser, &code, &state).await, "/login?google=unverified");
    assert_eq!(app.ok(&browser, "current_user", &[]).await, Value::Null);
    let links: i64 = sqlx::query_scalar("select count(*) from user_identities").fetch_one(&pool).await.unwrap();
    assert_eq!(links, 0);
    // Verified: the account's password links them.
    let (code, state) = fake.approve(&consent_url(&app, &browser).await, person("g-ada", "ada@example.com", true));
    assert_eq!(come_back(&app, &browser, &code, &state).await, "/login/google");
    assert_eq!(app.ok(&browser, "current_user", &[]).await, Value::Null, "not before the password");
    assert_eq!(app.ok(&browser, "google_options", &[]).await["linking"], "ada@example.com");
    let wrong = app.call(&browser, "link_google", &[("password", "not her password")]).await.unwrap_err();
    assert!(wrong.field_message("password").is_some(), "{wrong:?}");
    app.ok(&browser, "link_google", &[("password", PASSWORD)]).await;
    assert_eq!(app.ok(&browser, "current_user", &[]).await["email"], "ada@example.com");
    // From now on Google alone signs her in.
    let other = TestApp::client();
    let (code, state) = fake.approve(&consent_url(&app, &other).await, person("g-ada", "ada@example.com", true));
    assert_eq!(come_back(&app, &other, &code, &state).await, "/");
    assert_eq!(app.ok(&other, "current_user", &[]).await["email"], "ada@example.com");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_signed_in_person_links_google_from_their_profile(pool: PgPool) {
    let (app, fake) = app_with_google(pool.clone()).await;
    let ada = app.signed_up("ada@example.com").await;
    let (code, state) = fake.approve(&consent_url(&app, &ada).await, person("g-work", "ada@work.example", true));
    assert_eq!(come_back(&app, &ada, &code, &state).await, "/profile?google=linked");
    assert_eq!(app.ok(&ada, "google_options", &[]).await["linked"], "ada@work.example");
    let other = TestApp::client();
    let (code, state) = fake.approve(&consent_url(&app, &other).await, person("g-work", "ada@work.example", true));
    come_back(&app, &other, &code, &state).await;
    assert_eq!(app.ok(&other, "current_user", &[]).await["email"], "ada@example.com");
    // Bob, signed in, linking the Google account that is Ada's: refused, and he stays Bob.
    let bob = app.signed_up("bob@example.com").await;
    let (code, state) = fake.approve(&consent_url(&app, &bob).await, person("g-work", "ada@work.example", true));
    assert_eq!(come_back(&app, &bob, &code, &state).await, "/profile?google=taken#google");
    assert_eq!(app.ok(&bob, "current_user", &[]).await["email"], "bob@example.com");
}

#[sqlx::test(migrations = "../migrations")]
async fn without_google_configured_there_is_no_button_and_no_route(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let browser = TestApp::client();
    assert_eq!(app.ok(&browser, "google_options", &[]).await["enabled"], false);
    let res = browser.get(app.url("/auth/google")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/login?google=off");
}

#[sqlx::test(migrations = "../migrations")]
async fn google_calendar_connects_refreshes_and_needs_reconnecting_after_invalid_grant(pool: PgPool) {
    use domain::calendar::google as calendar;
    let (app, fake) = app_with_google(pool.clone()).await;
    let ada = app.signed_up("ada@example.com").await;
    let ada_id: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'ada@example.com'").fetch_one(&pool).await.unwrap();
    assert!(app.ok(&ada, "get_google_calendar", &[]).await["connection"].is_null());
    let res = ada.get(app.url("/auth/google/calendar")).send().await.unwrap();
    let consent = res.headers()["location"].to_str().unwrap().to_string();
    let q: HashMap<String, String> = reqwest::Url::parse(&consent).unwrap().query_pairs().into_owned().collect();
    assert!(q["scope"].contains("https://www.googleapis.com/auth/calendar"), "{consent}");
    assert_eq!((q["access_type"].as_str(), q["prompt"].as_str()), ("offline", "consent"));
    let (code, state) = fake.approve(&consent, person("g-ada", "ada.work@example.com", true));
    assert_eq!(come_back(&app, &ada, &code, &state).await, "/profile?calendar=connected#google-calendar");
    let shown = app.ok(&ada, "get_google_calendar", &[]).await;
    assert_eq!(shown["connection"]["google_email"], "ada.work@example.com");
    assert_eq!(shown["connection"]["needs_reconnect"], false);

    // Encrypted at rest.
    let refresh = fake.refresh_ok.lock().unwrap()[0].clone();
    let mut tx = domain::db::begin_as(&pool, ada_id).await.unwrap();
    let stored: Vec<u8> =
        sqlx::query_scalar("select refresh_token from google_connections").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert!(!stored.windows(refresh.len()).any(|w| w == refresh.as_bytes()));
    assert_eq!(calendar::open(&KEY, ada_id, &stored).unwrap(), refresh);

    // The access token while it lasts, then a refreshed one.
    let config = domain::account::google::GoogleConfig {
        client_id: CLIENT_ID.into(),
        client_secret: domain::settings::Secret::new("test-secret".into()),
        issuer: fake.base(),
        calendar_api: format!("{}/calendar/v3", fake.base()),
    };
    assert_eq!(calendar::access_token(&pool, &KEY, &config, ada_id).await.unwrap(), "ya29.test");
    assert_eq!(*fake.refreshes.lock().unwrap(), 0);
    let expire = || async {
        let mut tx = domain::db::begin_as(&pool, ada_id).await.unwrap();
        sqlx::query("update google_connections set access_expires_at = now() - interval '1 minute'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    };
    expire().await;
    assert_eq!(calendar::access_token(&pool, &KEY, &config, ada_id).await.unwrap(), "ya29.refreshed-1");
    assert_eq!(calendar::access_token(&pool, &KEY, &config, ada_id).await.unwrap(), "ya29.refreshed-1", "kept");

    // Google stops accepting the refresh token: "needs reconnecting", shown on the profile.
    fake.refresh_ok.lock().unwrap().clear();
    expire().await;
    let refused = calendar::access_token(&pool, &KEY, &config, ada_id).await.unwrap_err();
    assert!(matches!(&refused, domain::Error::Conflict(m) if m.contains("needs reconnecting")), "{refused:?}");
    assert_eq!(app.ok(&ada, "get_google_calendar", &[]).await["connection"]["needs_reconnect"], true);

    // Reconnecting makes it whole; disconnecting revokes the token at Google.
    let res = ada.get(app.url("/auth/google/calendar")).send().await.unwrap();
    let (code, state) =
        fake.approve(res.headers()["location"].to_str().unwrap(), person("g-ada", "ada.work@example.com", true));
    come_back(&app, &ada, &code, &state).await;
    assert_eq!(app.ok(&ada, "get_google_calendar", &[]).await["connection"]["needs_reconnect"], false);
    let current = fake.refresh_ok.lock().unwrap()[0].clone();
    app.ok(&ada, "disconnect_google_calendar", &[]).await;
    assert!(app.ok(&ada, "get_google_calendar", &[]).await["connection"].is_null());
    assert_eq!(*fake.revoked.lock().unwrap(), [current]);
    // Someone else cannot disconnect (or see) it.
    let bob = app.signed_up("bob@example.com").await;
    assert!(app.ok(&bob, "get_google_calendar", &[]).await["connection"].is_null());
}
