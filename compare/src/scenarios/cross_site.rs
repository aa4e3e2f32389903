//! Row 10: Cross-site request: a state-changing request that another site's page
//! makes, carrying what a browser would attach by itself.

use super::{Each, Scenario};
use crate::{
    columns::Configuration,
    lab::{Lab, http},
    report::Cell,
};

pub const SCENARIO: Scenario = Scenario {
    id: "cross-site",
    title: "Cross-site request (CSRF)",
    claim: "Cookies are open to CSRF; a JWT in a header is immune.",
    lesson: "The browser attaches the cookie to requests other sites trigger (SameSite=Lax \
             stops most, a same-site subdomain still gets through), so session-app refuses a \
             foreign Origin with 403. The bearer token is never attached automatically: the \
             forged request arrives without it (401). The JWT's price is that page scripts must \
             hold the token, where an XSS can read it; the HttpOnly cookie it cannot. Put the \
             JWT in that cookie (jwt/cookie) and the trade flips: scripts cannot read it, the \
             browser attaches it, and the same Origin check has to refuse the forgery (403).",
    measure: &Each(one),
};

const EVIL: &str = "https://evil.example";

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "csrf").await?;
    let (credential, login) = http::login(&http, &server, &email).await?;

    lab.note(
        config.name,
        &format!(
            "a page on {EVIL} posts to /logout; the browser attaches what it attaches by itself:"
        ),
    );
    let mut forged = http.post(&server, "/logout").header("Origin", EVIL);
    let attached = if credential.is_cookie() {
        forged = forged.auth(&credential);
        let (_, pair) = credential.header();
        let name = pair.split_once('=').map_or("", |(n, _)| n);
        let attributes = login
            .set_cookie(name)
            .map(|c| {
                c.split(';')
                    .skip(1)
                    .map(str::trim)
                    .filter(|a| a.eq_ignore_ascii_case("HttpOnly") || a.starts_with("SameSite"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        format!("browser attaches the cookie ({attributes})")
    } else {
        "browser attaches no token".to_owned()
    };
    let ex = forged.send().await?;
    lab.note(config.name, "still logged in?");
    let still = http::status(&http, &server, "/protected", &credential).await?;
    let (wanted, code) = if config.in_cookie() {
        (403, Some("csrf"))
    } else {
        (401, None)
    };
    let code_ok = code.is_none_or(|c| ex.error_code().as_deref() == Some(c));
    Ok(Cell::new(
        format!(
            "{}{} · {attached}",
            ex.status,
            ex.error_code()
                .filter(|c| c != "unauthorized")
                .map(|c| format!(" {c}"))
                .unwrap_or_default()
        ),
        ex.status,
        ex.status == wanted
            && code_ok
            && still == 200
            && credential.is_cookie() == config.in_cookie(),
    ))
}
