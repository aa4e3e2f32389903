use reqwest::{StatusCode, header};
use test_support::{PASSWORD, client, contract::new_user, expect_error, unique_email};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_cross_origin_post_is_refused() {
    let app = spawn_app(&[]).await;
    let c = client();
    let (_, cred) = new_user(&app.server, "csrf").await;

    let foreign = cred
        .attach(c.post(app.server.url("/logout")))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    expect_error(foreign, StatusCode::FORBIDDEN, "csrf").await;
    // The refused logout changed nothing: the session still works.
    let still = cred
        .attach(c.get(app.server.url("/protected")))
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), StatusCode::OK);

    let null = c
        .post(app.server.url("/register"))
        .header(header::ORIGIN, "null")
        .json(&serde_json::json!({"email": unique_email("null"), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    expect_error(null, StatusCode::FORBIDDEN, "csrf").await;

    let fetch_meta = cred
        .attach(c.post(app.server.url("/logout")))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    expect_error(fetch_meta, StatusCode::FORBIDDEN, "csrf").await;

    // A cross-origin GET only reads, and SameSite=Lax already keeps the cookie off sub-requests.
    let get = cred
        .attach(c.get(app.server.url("/protected")))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::OK);

    let own = format!("http://{}", app.server.addr);
    let same = cred
        .attach(c.post(app.server.url("/logout")))
        .header(header::ORIGIN, own)
        .send()
        .await
        .unwrap();
    assert_eq!(
        same.status(),
        StatusCode::NO_CONTENT,
        "same-origin requests pass"
    );
}
