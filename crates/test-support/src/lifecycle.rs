//! The account lifecycle's rows of the contract (issue 20, ASVS 5.0 V7),
//! for both apps and every backend through [`crate::lifecycle_suite!`]: your
//! logins, ending one, signing out everywhere, the password change, the
//! admin's end of a user's logins, and the races. A login is "alive" when
//! it can still be used past its current access: a session answers
//! `/protected`, a JWT login refreshes (its access token may live until
//! `exp`: that is the JWT's lesson, tested beside jwt-app).

use futures::future::join_all;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    PASSWORD, TestServer, client,
    contract::{Credential, new_user, refresh_request, registered},
    expect_error, issued_credential, json, login, login_credential, register, unique_email,
};

/// A password that passes registration's rules, other than [`PASSWORD`].
const NEW_PASSWORD: &str = "a brand new passphrase";

/// Logs in with `user_agent`, as a browser of that name would.
pub async fn login_as(
    server: &TestServer,
    email: &str,
    password: &str,
    user_agent: &str,
) -> Credential {
    let res = contract_client::client::login(email, password)
        .build(&client(), &server.url(""))
        .header(header::USER_AGENT, user_agent)
        .send()
        .await
        .expect("send");
    issued_credential(res, "login").await.1
}

/// A fresh user with [`PASSWORD`], logged in once per user agent, in order,
/// as from that many devices: its email and their credentials.
pub async fn devices<const N: usize>(
    server: &TestServer,
    prefix: &str,
    user_agents: [&str; N],
) -> (String, [Credential; N]) {
    let email = registered(server, prefix).await;
    let mut devices = Vec::new();
    for agent in user_agents {
        devices.push(login_as(server, &email, PASSWORD, agent).await);
    }
    let devices = devices
        .try_into()
        .unwrap_or_else(|_| unreachable!("one login per user agent"));
    (email, devices)
}

/// The names of the cookies `res` clears (a `Set-Cookie` with `Max-Age=0`).
pub fn cleared_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|c| c.contains("Max-Age=0"))
        .filter_map(|c| c.split('=').next())
        .map(str::to_owned)
        .collect()
}

/// The names of the cookies `cred` travels in: session-app's `sid`,
/// jwt-app's access and refresh cookies, none for a bearer token.
fn cookie_names(cred: &Credential) -> Vec<&str> {
    let pairs: Vec<&String> = match cred {
        Credential::Cookie(sid) => vec![sid],
        Credential::JwtCookie { access, refresh } => {
            std::iter::once(access).chain(refresh).collect()
        }
        Credential::Bearer { .. } => vec![],
    };
    pairs
        .into_iter()
        .filter_map(|pair| pair.split('=').next())
        .collect()
}

/// Whether the login `cred` holds can still be used: a session answers
/// `/protected`; a JWT login refreshes (which spends its refresh token).
pub async fn is_alive(server: &TestServer, cred: &Credential) -> bool {
    let status = match cred {
        Credential::Cookie(_) => crate::get_with(server, cred, "/protected").await.status(),
        _ => refresh_request(server, cred)
            .send()
            .await
            .expect("send")
            .status(),
    };
    match status {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("a login is alive or not, never {other}"),
    }
}

/// `GET /account/logins` with `cred`: the status and the listing.
pub async fn list(server: &TestServer, cred: &Credential) -> (StatusCode, Value) {
    json(crate::get_with(server, cred, "/account/logins").await).await
}

/// The listing's logins, asserting 200.
pub async fn logins(server: &TestServer, cred: &Credential) -> Vec<Value> {
    let (status, body) = list(server, cred).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["logins"].as_array().expect("logins").clone()
}

fn send_json(
    server: &TestServer,
    cred: &Credential,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> reqwest::RequestBuilder {
    cred.attach(client().request(method, server.url(path)))
        .json(&body)
}

/// `DELETE /account/logins/{id}`.
pub async fn end_login(
    server: &TestServer,
    cred: &Credential,
    id: &str,
    password: &str,
) -> reqwest::Response {
    send_json(
        server,
        cred,
        reqwest::Method::DELETE,
        &format!("/account/logins/{id}"),
        json!({"password": password}),
    )
    .send()
    .await
    .expect("send")
}

/// `POST /account/logout-everywhere`.
pub async fn logout_everywhere(
    server: &TestServer,
    cred: &Credential,
    password: &str,
) -> reqwest::Response {
    send_json(
        server,
        cred,
        reqwest::Method::POST,
        "/account/logout-everywhere",
        json!({"password": password}),
    )
    .send()
    .await
    .expect("send")
}

/// `PUT /account/password`.
pub async fn change_password(
    server: &TestServer,
    cred: &Credential,
    body: Value,
) -> reqwest::Response {
    send_json(
        server,
        cred,
        reqwest::Method::PUT,
        "/account/password",
        body,
    )
    .send()
    .await
    .expect("send")
}

/// `GET /account/logins`: every live login of the caller, newest first,
/// with its user agent, one of them current; handles that are no credential;
/// nobody else's logins; 401 without a login.
pub async fn logins_rules(server: &TestServer) {
    let email = registered(server, "logins").await;
    let mut devices = Vec::new();
    for agent in ["Laptop/1.0", "Phone/2.0", "Tablet/3.0"] {
        devices.push(login_as(server, &email, PASSWORD, agent).await);
        // Whole seconds apart, so that newest-first has one answer.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let (_, stranger) = new_user(server, "logins-other").await;

    let listed = logins(server, &devices[1]).await;
    let agents: Vec<&str> = listed
        .iter()
        .map(|l| l["user_agent"].as_str().expect("user_agent"))
        .collect();
    assert_eq!(
        agents,
        ["Tablet/3.0", "Phone/2.0", "Laptop/1.0"],
        "{listed:?}"
    );
    let current: Vec<bool> = listed.iter().map(|l| l["current"] == true).collect();
    assert_eq!(current, [false, true, false], "the phone asked: {listed:?}");
    for login in &listed {
        let id = login["id"].as_str().expect("id");
        assert!(id.len() >= 16, "an unguessable handle: {login}");
        for device in &devices {
            assert!(
                !device.value().contains(id) && !id.contains(device.value()),
                "a handle is never the credential: {login}"
            );
        }
        for time in ["created_at", "last_used_at", "expires_at"] {
            assert!(
                login[time].as_str().is_some_and(|t| t.len() >= 20),
                "{time} in RFC 3339: {login}"
            );
        }
    }
    let theirs = logins(server, &stranger).await;
    assert_eq!(theirs.len(), 1, "only one's own logins: {theirs:?}");

    let (status, _) = json(
        client()
            .get(server.url("/account/logins"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// `DELETE /account/logins/{id}`: the password first (401, counted, nothing
/// ends), then an unknown handle and another user's are the same 404, and
/// the right one ends that login alone.
pub async fn end_login_rules(server: &TestServer) {
    let (_, [me, other]) = devices(server, "end-one", ["Here/1", "There/1"]).await;
    let (_, stranger) = new_user(server, "end-one-other").await;
    let listed = logins(server, &me).await;
    let theirs = listed
        .iter()
        .find(|l| l["current"] == false)
        .expect("the other login");
    let id = theirs["id"].as_str().expect("id");
    let stranger_id = logins(server, &stranger).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    expect_error(
        end_login(server, &me, id, "wrong password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        logins(server, &me).await.len(),
        2,
        "a wrong password ends nothing"
    );

    let unknown = expect_error(
        end_login(server, &me, "AAAAAAAAAAAAAAAAAAAAAA", PASSWORD).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let foreign = expect_error(
        end_login(server, &me, &stranger_id, PASSWORD).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(unknown, foreign, "another user's handle is told from none");
    assert_eq!(logins(server, &stranger).await.len(), 1, "theirs lives");

    let res = send_json(
        server,
        &me,
        reqwest::Method::DELETE,
        &format!("/account/logins/{id}"),
        json!({"pass": PASSWORD}),
    )
    .send()
    .await
    .expect("send");
    expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;

    let res = end_login(server, &me, id, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(!is_alive(server, &other).await, "the ended login is dead");
    let left = logins(server, &me).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["current"], true);
    expect_error(
        end_login(server, &me, id, PASSWORD).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

/// `POST /account/logout-everywhere`: 401 for a wrong password and nothing
/// ends; then every login of the user ends, this one included, and only
/// that user's.
pub async fn logout_everywhere_rules(server: &TestServer) {
    let (email, devices) = devices(server, "everywhere", ["A/1", "B/1", "C/1"]).await;
    let (_, stranger) = new_user(server, "everywhere-other").await;

    expect_error(
        logout_everywhere(server, &devices[0], "wrong password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(logins(server, &devices[0]).await.len(), 3, "nothing ended");
    // Used, not only listed (a JWT login's refresh is spent: its check below
    // then proves less than the other two's).
    assert!(is_alive(server, &devices[2]).await, "nothing ended");

    let res = logout_everywhere(server, &devices[0], PASSWORD).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cleared = cleared_cookies(&res);
    for name in cookie_names(&devices[0]) {
        assert!(
            cleared.iter().any(|c| c == name),
            "cookie {name} cleared: {:?}",
            res.headers()
        );
    }
    for (i, device) in devices.iter().enumerate() {
        assert!(!is_alive(server, device).await, "login {i} ended");
    }
    assert!(
        is_alive(server, &stranger).await,
        "another user's login lives"
    );
    let fresh = login_credential(server, &email, PASSWORD).await;
    assert_eq!(logins(server, &fresh).await.len(), 1, "only the new login");
}

/// `PUT /account/password`: the current password re-checked (401), the new
/// one validated like a registration (400), nothing changed by either; then
/// 200, the other logins ended (`logins_ended`), this one continued under a
/// new credential, the old password refused and the new one accepted. With
/// `end_other_logins: false` the others live.
pub async fn password_change_rules(server: &TestServer) {
    let (email, [me, others @ ..]) =
        devices(server, "password", ["Me/1", "Other/1", "Other/2"]).await;

    expect_error(
        change_password(
            server,
            &me,
            json!({"current_password": "wrong password", "new_password": NEW_PASSWORD}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    for bad in ["short", &"x".repeat(73)] {
        expect_error(
            change_password(
                server,
                &me,
                json!({"current_password": PASSWORD, "new_password": bad}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        )
        .await;
    }
    expect_error(
        change_password(server, &me, json!({"current_password": PASSWORD})).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_eq!(logins(server, &me).await.len(), 3, "nothing ended");
    login_credential(server, &email, PASSWORD).await;

    let res = change_password(
        server,
        &me,
        json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    )
    .await;
    let (body, renewed) = issued_credential(res, "password change").await;
    assert_eq!(
        body["logins_ended"], 3,
        "two devices and the check's login: {body}"
    );
    if renewed.jwt().is_some() {
        assert!(body["expires_in"].is_u64(), "answered like a login: {body}");
    }
    assert_ne!(renewed.value(), me.value(), "a new credential");
    assert!(!is_alive(server, &me).await, "the old credential is dead");
    for other in &others {
        assert!(!is_alive(server, other).await, "other logins ended");
    }
    let listed = logins(server, &renewed).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["current"], true);
    assert_eq!(listed[0]["user_agent"], "Me/1", "the same login continues");
    assert!(is_alive(server, &renewed).await, "this login continues");
    expect_error(
        login(&client(), server, &email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let keep = login_credential(server, &email, NEW_PASSWORD).await;

    let res = change_password(
        server,
        &renewed,
        json!({"current_password": NEW_PASSWORD, "new_password": PASSWORD,
               "end_other_logins": false}),
    )
    .await;
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["logins_ended"], 0, "{body}");
    assert!(
        is_alive(server, &keep).await,
        "end_other_logins: false keeps them"
    );
}

/// The password given again is held to the rules of `/login` on each route
/// that asks for it: one over 72 bytes is 400 `invalid_input`, even when its
/// first 72 bytes are the password (all that bcrypt would compare), and
/// nothing ends or changes.
pub async fn overlong_passwords_are_refused_as_at_login(server: &TestServer) {
    let password = "p".repeat(72);
    let overlong = format!("{password}!");
    let email = unique_email("overlong");
    assert_eq!(
        register(&client(), server, &email, &password)
            .await
            .status(),
        StatusCode::CREATED
    );
    expect_error(
        login(&client(), server, &email, &overlong).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let me = login_as(server, &email, &password, "Me/1").await;
    login_as(server, &email, &password, "Other/1").await;
    let listed = logins(server, &me).await;
    let other = listed
        .iter()
        .find(|l| l["current"] == false)
        .and_then(|l| l["id"].as_str())
        .expect("the other login");

    for res in [
        end_login(server, &me, other, &overlong).await,
        logout_everywhere(server, &me, &overlong).await,
        change_password(
            server,
            &me,
            json!({"current_password": overlong, "new_password": NEW_PASSWORD}),
        )
        .await,
    ] {
        let url = res.url().path().to_owned();
        let body = expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("72 bytes")),
            "{url}: {body}"
        );
    }
    assert_eq!(logins(server, &me).await.len(), 2, "nothing ended");
    login_credential(server, &email, &password).await;
}

/// `DELETE /admin/users/{email}/logins`: 401 without a login, 403 for a user,
/// 404 for an unknown email; an admin ends every login of the user.
pub async fn admin_end_logins_rules(app: &impl crate::suite::Served) {
    let server = app.server();
    let admin_email = registered(server, "lifecycle-admin").await;
    crate::operator::set_role(app, &admin_email, "admin").await;
    let admin = login_credential(server, &admin_email, PASSWORD).await;
    let (email, user) = new_user(server, "lifecycle-target").await;
    let second = login_credential(server, &email, PASSWORD).await;
    let path = format!("/admin/users/{email}/logins");

    let res = client()
        .delete(server.url(&path))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = user
        .attach(client().delete(server.url(&path)))
        .send()
        .await
        .expect("send");
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = admin
        .attach(
            client().delete(server.url(&format!("/admin/users/{}/logins", unique_email("ghost")))),
        )
        .send()
        .await
        .expect("send");
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(logins(server, &second).await.len(), 2, "nothing ended yet");

    let res = admin
        .attach(client().delete(server.url(&path)))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(!is_alive(server, &user).await);
    assert!(!is_alive(server, &second).await);
    assert!(
        is_alive(server, &admin).await,
        "the admin's own login lives"
    );
}

/// A login with the old password racing a password change does not survive
/// it: a login that answered 200 used the old password, so it came before
/// the change, and must be dead once the change has answered. Of two
/// concurrent changes from one login, exactly one wins.
pub async fn password_change_races(server: &TestServer) {
    // Three racers: with the change, four attempts in flight on one email
    // from one address, under the login throttle's five.
    for round in 0..8 {
        let (email, me) = new_user(server, &format!("race{round}")).await;
        let racers = (0..3).map(|_| async {
            let res = login(&client(), server, &email, PASSWORD).await;
            let headers = res.headers().clone();
            let (status, body) = json(res).await;
            (status == StatusCode::OK)
                .then(|| Credential::from_response(&headers, &body).expect("credential"))
        });
        let change = change_password(
            server,
            &me,
            json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        );
        let (logged_in, changed) = tokio::join!(join_all(racers), change);
        assert_eq!(changed.status(), StatusCode::OK, "round {round}");
        for cred in logged_in.into_iter().flatten() {
            assert!(
                !is_alive(server, &cred).await,
                "round {round}: a login with the old password outlived the change"
            );
        }
    }

    let (email, me) = new_user(server, "race-twice").await;
    let first = change_password(
        server,
        &me,
        json!({"current_password": PASSWORD, "new_password": "first new passphrase"}),
    );
    let second = change_password(
        server,
        &me,
        json!({"current_password": PASSWORD, "new_password": "second new passphrase"}),
    );
    let (a, b) = tokio::join!(first, second);
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::UNAUTHORIZED],
        "one change wins"
    );
    let works = |p: &'static str| {
        let email = email.clone();
        async move { login(&client(), server, &email, p).await.status() == StatusCode::OK }
    };
    let (one, two) = tokio::join!(
        works("first new passphrase"),
        works("second new passphrase")
    );
    assert!(one ^ two, "exactly one new password holds");
}
