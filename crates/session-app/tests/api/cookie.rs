use reqwest::{StatusCode, header};
use test_support::{
    PASSWORD, TestServer, client, contract::sid_cookie, login, register, unique_email,
};

use crate::helpers::spawn_app;

/// The session's `Set-Cookie` (a login also sets the device cookie of
/// `auth_core::device`, which is not a credential).
fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| !c.starts_with("device=") && !c.starts_with("__Secure-device="))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn login_sets_a_hardened_sid_cookie() {
    let app = spawn_app(&["--session-ttl", "2h", "--session-idle-timeout", "3h"]).await;
    let c = client();
    let email = unique_email("cookie");
    register(&c, &app.server, &email, PASSWORD).await;
    let res = login(&c, &app.server, &email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = set_cookie(&res);
    let attrs: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(attrs[0].starts_with("sid="), "{cookie}");
    assert!(attrs.contains(&"HttpOnly"), "{cookie}");
    assert!(attrs.contains(&"SameSite=Lax"), "{cookie}");
    assert!(attrs.contains(&"Path=/"), "{cookie}");
    // The session's deadline is fixed at login (SESSION_TTL from then) and
    // the cookie written a moment later: its whole seconds may be one fewer.
    assert!(
        attrs.contains(&"Max-Age=7200") || attrs.contains(&"Max-Age=7199"),
        "Max-Age is the nearer of the session's deadlines, here its TTL: {cookie}"
    );
    assert!(
        !attrs.contains(&"Secure"),
        "Secure only when COOKIE_SECURE=true: {cookie}"
    );
    // tower-sessions ids are 128 random bits, base64url: 22 characters.
    assert!(attrs[0].len() >= "sid=".len() + 22, "{cookie}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["email"], email);
    assert_eq!(body["expires_in"], 7200);
}

#[tokio::test]
async fn cookie_secure_adds_secure() {
    let app = spawn_app(&["--cookie-secure"]).await;
    let cookie = set_cookie(&login_fresh(&app.server, "secure").await);
    assert!(cookie.split(';').any(|a| a.trim() == "Secure"), "{cookie}");
}

/// Session fixation: a session id the client held before login must not be
/// the one that is logged in afterwards.
#[tokio::test]
async fn the_session_id_changes_at_login() {
    for store in ["memory", "db"] {
        let app = spawn_app(&["--session-store", store]).await;
        let c = client();
        let email = unique_email("fix");
        register(&c, &app.server, &email, PASSWORD).await;
        let first = sid_cookie(&login(&c, &app.server, &email, PASSWORD).await).unwrap();
        let again = c
            .post(app.server.url("/login"))
            .header(header::COOKIE, &first)
            .json(&serde_json::json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let second = sid_cookie(&again).expect("a new sid at login");
        assert_ne!(first, second, "{store}: the id must change at login");
        let old = c
            .get(app.server.url("/protected"))
            .header(header::COOKIE, &first)
            .send()
            .await
            .unwrap();
        assert_eq!(
            old.status(),
            StatusCode::UNAUTHORIZED,
            "{store}: the pre-login id is dead"
        );
        let new = c
            .get(app.server.url("/protected"))
            .header(header::COOKIE, &second)
            .send()
            .await
            .unwrap();
        assert_eq!(new.status(), StatusCode::OK, "{store}");
    }
}

/// A failed login leaves no session behind and sets no cookie.
#[tokio::test]
async fn a_failed_login_sets_no_cookie() {
    let app = spawn_app(&[]).await;
    let res = login(&client(), &app.server, &unique_email("nobody"), PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(sid_cookie(&res).is_none());
}

/// The `Set-Cookie` line for the cookie `name`, attributes included.
fn set_cookie_named(res: &reqwest::Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&prefix))
        .map(str::to_owned)
}

/// Registers a fresh user and logs in: the login's response.
async fn login_fresh(server: &TestServer, prefix: &str) -> reqwest::Response {
    let c = client();
    let email = unique_email(prefix);
    register(&c, server, &email, PASSWORD).await;
    login(&c, server, &email, PASSWORD).await
}

/// With COOKIE_SECURE the cookie is `__Host-sid`: the browser keeps it only
/// with `Secure`, `Path=/` and no `Domain`, so neither a sibling subdomain
/// nor a man in the middle on plain HTTP can set or overwrite it.
#[tokio::test]
async fn secure_cookie_is_host_prefixed() {
    let app = spawn_app(&["--cookie-secure"]).await;
    let c = client();
    let res = login_fresh(&app.server, "host").await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = set_cookie_named(&res, "__Host-sid").expect("a __Host-sid cookie");
    let attrs: Vec<&str> = cookie.split(';').map(str::trim).collect();
    for want in ["Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(attrs.contains(&want), "{want} missing: {cookie}");
    }
    assert!(
        !attrs
            .iter()
            .any(|a| a.to_ascii_lowercase().starts_with("domain")),
        "{cookie}"
    );
    assert!(set_cookie_named(&res, "sid").is_none(), "one cookie only");

    let pair = attrs[0];
    let ok = c
        .get(app.server.url("/protected"))
        .header(header::COOKIE, pair)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK, "__Host-sid authenticates");

    let out = c
        .post(app.server.url("/logout"))
        .header(header::COOKIE, pair)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let removal = set_cookie_named(&out, "__Host-sid").expect("a removal cookie");
    let attrs: Vec<&str> = removal.split(';').map(str::trim).collect();
    // A browser ignores a `__Host-` cookie without `Secure`, removal included:
    // the logged-out cookie would stay in the jar.
    for want in ["Secure", "Path=/", "Max-Age=0"] {
        assert!(attrs.contains(&want), "{want} missing: {removal}");
    }
}

/// A session id planted under the bare name `sid` (a sibling subdomain can
/// set that cookie for the whole site) is not read when the server uses
/// `__Host-sid`: the attacker's own session cannot be pushed onto the victim.
#[tokio::test]
async fn planted_unprefixed_cookie_does_not_authenticate() {
    let app = spawn_app(&["--cookie-secure"]).await;
    let res = login_fresh(&app.server, "planted").await;
    let cookie = set_cookie_named(&res, "__Host-sid")
        .or_else(|| set_cookie_named(&res, "sid"))
        .expect("a session cookie");
    let value = cookie
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap();
    let planted = client()
        .get(app.server.url("/protected"))
        .header(header::COOKIE, format!("sid={value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(planted.status(), StatusCode::UNAUTHORIZED);
}

/// Log lines written while the guard lives, on this thread.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

impl Captured {
    /// Starts `args` with this thread's log captured, and returns the log.
    async fn start(args: &[&str]) -> String {
        let captured = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        let _app = spawn_app(args).await;
        drop(guard);
        let log = captured.0.lock().unwrap().clone();
        String::from_utf8(log).unwrap()
    }
}

/// A server reachable from other machines without COOKIE_SECURE sends its
/// session cookie in clear over any network between: say so at start.
/// (`#[tokio::test]` runs on one thread, so the log of the start is this thread's.)
#[tokio::test]
async fn public_bind_without_cookie_secure_warns() {
    let log = Captured::start(&["--bind", "0.0.0.0"]).await;
    assert!(
        log.contains("WARN") && log.contains("COOKIE_SECURE"),
        "no warning: {log}"
    );
    for quiet in [&["--bind", "0.0.0.0", "--cookie-secure"][..], &[]] {
        let log = Captured::start(quiet).await;
        assert!(!log.contains("COOKIE_SECURE"), "{quiet:?} warned: {log}");
    }
}
