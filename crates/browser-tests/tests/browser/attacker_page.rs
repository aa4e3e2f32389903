//! The attacker's page, visited by a logged-in user: what the browser sends
//! on its behalf, and what the server makes of it.

use browser_tests::{Browser, recorder::Recorder};
use test_support::TestServer;

use crate::servers::{
    Running, attacker, call, jwt_app, jwt_cookie_app, session_app, sign_in, unsafe_session_app,
};

/// A user logged in to `app` in `browser`, and the attacker's server; every
/// request `app` answers is in `seen`.
struct Attack {
    browser: Browser,
    seen: Recorder,
    app: Running,
    evil: TestServer,
    email: String,
}

impl Attack {
    /// `None` where Chromium is missing (said loudly).
    async fn prepare(start: impl AsyncFnOnce(&Recorder) -> Running) -> Option<Self> {
        let browser = Browser::start().await?;
        let seen = Recorder::default();
        let app = start(&seen).await;
        let evil = attacker().await;
        let email = test_support::unique_email("victim");
        sign_in(&browser, &app.url("/"), &email).await;
        Some(Self {
            browser,
            seen,
            app,
            evil,
            email,
        })
    }

    /// Visits the attacker's page as `http://{host}:port` and waits until it
    /// has done its worst; returns its origin.
    async fn visit(&self, host: &str) -> String {
        let origin = format!("http://{host}:{}", self.evil.addr.port());
        self.browser
            .goto(&format!("{origin}/?target={}", self.app.url("")))
            .await;
        self.browser
            .wait_until("the attack", "document.body.dataset.done === 'true'")
            .await;
        origin
    }

    /// The text of the page's `index`th frame: the target's answer, which
    /// the attacker's script cannot read but the user sees.
    async fn frame_text(&self, index: u16) -> String {
        let client = self.browser.client();
        client.enter_frame(index).await.unwrap();
        let text = self.browser.text("body").await;
        client.enter_parent_frame().await.unwrap();
        text
    }

    /// Back on the server's own page, the user is still logged in.
    async fn still_logged_in(self) {
        self.browser.goto(&self.app.url("/")).await;
        let answer = call(&self.browser, "/protected").await;
        assert!(answer.starts_with("GET /protected → 200"), "{answer}");
        self.browser.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn same_site_the_cookie_goes_and_the_origin_check_refuses() {
    let Some(attack) = Attack::prepare(session_app).await else {
        return;
    };
    // 127.0.0.1 on another port: the same site, another origin.
    let origin = attack.visit("127.0.0.1").await;

    let forged = attack.seen.of("POST", "/logout");
    assert_eq!(forged.len(), 2, "the form and the fetch: {forged:#?}");
    for logout in &forged {
        assert!(logout.cookie, "SameSite=Lax sends it same-site: {logout:?}");
        assert_eq!(logout.origin.as_deref(), Some(origin.as_str()));
        assert_eq!(logout.status, 403, "the Origin check refuses: {logout:?}");
    }
    let form_answer = attack.frame_text(0).await;
    assert!(form_answer.contains(r#""error":"csrf""#), "{form_answer}");
    // A PUT with a JSON body needs a preflight the server does not grant.
    let arrivals = attack.seen.arrivals();
    assert!(arrivals.iter().all(|a| a.method != "PUT"), "{arrivals:#?}");
    let role = attack.browser.text("#role").await;
    assert!(role.contains("never left the browser"), "{role}");
    let probe = attack.frame_text(1).await;
    assert!(
        probe.contains(&format!("Hello {}", attack.email)),
        "{probe}"
    );
    attack.browser.screenshot("attacker-same-site").await;
    attack.still_logged_in().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_site_samesite_lax_keeps_the_cookie_off() {
    let Some(attack) = Attack::prepare(session_app).await else {
        return;
    };
    // `localhost` is another site than 127.0.0.1.
    attack.visit("localhost").await;

    let forged = attack.seen.of("POST", "/logout");
    assert_eq!(forged.len(), 2, "the form and the fetch: {forged:#?}");
    for logout in &forged {
        assert!(
            !logout.cookie,
            "no cookie on another site's POST: {logout:?}"
        );
    }
    let probe = attack.seen.of("GET", "/protected");
    assert!(
        probe.len() == 1 && !probe[0].cookie && probe[0].status == 401,
        "nor on its frames: {probe:#?}"
    );
    let frame = attack.frame_text(1).await;
    assert!(frame.contains(r#""error":"unauthorized""#), "{frame}");
    attack.browser.screenshot("attacker-cross-site").await;
    attack.still_logged_in().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bearer_header_is_out_of_its_reach() {
    let Some(attack) = Attack::prepare(jwt_app).await else {
        return;
    };
    attack.visit("127.0.0.1").await;

    let forged = attack.seen.of("POST", "/logout");
    assert_eq!(forged.len(), 2, "the form and the fetch: {forged:#?}");
    for logout in &forged {
        assert!(
            !logout.authorization && logout.status == 401,
            "only jwt-app's own page adds the header: {logout:?}"
        );
    }
    let frame = attack.frame_text(0).await;
    assert!(frame.contains(r#""error":"unauthorized""#), "{frame}");
    attack.browser.screenshot("attacker-jwt-header").await;
    attack.still_logged_in().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_in_a_cookie_is_in_reach_and_the_origin_check_refuses() {
    let Some(attack) = Attack::prepare(jwt_cookie_app).await else {
        return;
    };
    let origin = attack.visit("127.0.0.1").await;

    let forged = attack.seen.of("POST", "/logout");
    assert_eq!(forged.len(), 2, "the form and the fetch: {forged:#?}");
    for logout in &forged {
        assert!(logout.cookie, "the token cookie rides along: {logout:?}");
        assert_eq!(logout.origin.as_deref(), Some(origin.as_str()));
        assert_eq!(logout.status, 403, "the Origin check refuses: {logout:?}");
    }
    let form_answer = attack.frame_text(0).await;
    assert!(form_answer.contains(r#""error":"csrf""#), "{form_answer}");
    attack.browser.screenshot("attacker-jwt-cookie").await;
    attack.still_logged_in().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_check_disabled_the_forged_logout_succeeds() {
    let Some(attack) = Attack::prepare(unsafe_session_app).await else {
        return;
    };
    attack.visit("127.0.0.1").await;

    let forged = attack.seen.of("POST", "/logout");
    assert_eq!(forged.len(), 2, "the form and the fetch: {forged:#?}");
    // Whichever arrives first ends the session; the other may find it gone.
    assert!(
        forged.iter().any(|l| l.cookie && l.status == 204),
        "a forged logout went through: {forged:#?}"
    );
    assert!(
        forged.iter().all(|l| l.status != 403),
        "nothing refused it: {forged:#?}"
    );
    attack.browser.screenshot("attacker-unsafe").await;

    attack.browser.goto(&attack.app.url("/")).await;
    let answer = call(&attack.browser, "/protected").await;
    assert!(answer.starts_with("GET /protected → 401"), "{answer}");
    attack.browser.close().await;
}
