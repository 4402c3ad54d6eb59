//! Security headers: a page's Content-Security-Policy allows only its own
//! nonce'd scripts, and every response refuses framing and sniffing.

use crate::support::TestApp;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn pages_allow_only_their_nonced_scripts_and_nothing_can_be_framed(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let page = reqwest::get(app.url("/login")).await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(page.headers().get("strict-transport-security").is_none(), "no HSTS over http");
    let html = page.text().await.unwrap();
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline'; script") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    // Every inline script on the page carries this response's nonce.
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty());
    for s in &scripts {
        let tag = &s[..s.find('>').unwrap()];
        assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "a script without the nonce: <script{tag}>");
    }
    // A second response has another nonce.
    let again = reqwest::get(app.url("/login")).await.unwrap();
    assert!(!again.headers()["content-security-policy"].to_str().unwrap().contains(nonce));

    // Not a page: nothing may run.
    let api = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert!(api.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_form_error_in_a_link_from_elsewhere_is_not_shown(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = TestApp::client();
    let forged = app.url("/login?next=%2Fprojects&__err=U2VydmVyRXJyb3J8Q2FsbCA1NTUtMDEwMCB0byB1bmxvY2s");
    for site in [Some("cross-site"), Some("none"), None] {
        let mut req = client.get(&forged);
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 303, "{site:?}");
        assert_eq!(res.headers()["location"], "/login?next=%2Fprojects", "{site:?}");
    }
    // Our own redirect after a failed post (same origin) is shown.
    let own = client.get(&forged).header("sec-fetch-site", "same-origin").send().await.unwrap();
    assert_eq!(own.status(), 200);
}

/// Live pages hold a stream each; one person gets a few at once, and a
/// closed page frees its place.
#[sqlx::test(migrations = "../migrations")]
async fn one_person_gets_a_few_live_streams_at_once(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool).await;
    let bob = app.signed_up("bob@example.com").await;
    let open = |c: &reqwest::Client| {
        let req = c.get(app.url("/briefs/events")).header("sec-fetch-site", "same-origin");
        async move { req.send().await.unwrap() }
    };
    let mut held = Vec::new();
    for _ in 0..server::sse::MAX_PER_PERSON {
        let r = open(&ada).await;
        assert_eq!(r.status(), 200);
        held.push(r);
    }
    let refused = open(&ada).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.text().await.unwrap().contains("close a few tabs"));
    assert_eq!(open(&bob).await.status(), 200, "other people are not affected");

    drop(held.pop());
    let mut again = 0;
    for _ in 0..50 {
        again = open(&ada).await.status().as_u16();
        if again == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(again, 200, "a closed stream frees its place");
}

#[sqlx::test(migrations = "../migrations")]
async fn every_page_has_its_nonce_policy(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let id = app.ok(&c, "save_draft", &[("content", "# Garden\n- buy seeds")]).await.as_str().unwrap().to_string();
    app.ok(&c, "parse_brain_dump", &[("id", &id)]).await;
    for path in
        ["/", "/projects", "/brain-dump", &format!("/brain-dump/{id}"), "/briefs", "/calendar", "/profile", "/nope"]
    {
        let r = c.get(app.url(path)).header("accept", "text/html").send().await.unwrap();
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("'nonce-"), "{path}: {} {csp}", r.status());
    }
}
