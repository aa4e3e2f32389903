//! Where the tokens travel between the client and the server: the articles'
//! way (`TOKEN_TRANSPORT=header`: `Authorization: Bearer` and JSON bodies,
//! held by the client's code) or HttpOnly cookies that the browser keeps and
//! sends by itself (`cookie`). Verification, rotation and revocation are the
//! same either way; what changes is who can read the token (page scripts, in
//! the header transport) and who can make the browser send it (other sites,
//! in the cookie transport, which is why that one runs behind the CSRF check).

use auth_core::{cookie_names, cors::CookieSameSite};
use axum::{
    Json,
    http::{HeaderMap, HeaderName, HeaderValue, header},
    response::{AppendHeaders, IntoResponse, Response},
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::{refresh_tokens::IssuedRefresh, tokens::AccessToken, verification::InvalidToken};

/// Where the browser sends the refresh-token cookie, and nowhere else.
const REFRESH_COOKIE_PATHS: [&str; 2] = ["/refresh", "/logout"];

/// Our tokens are well under 1 KiB; anything this big is refused on its
/// length alone, before any base64 or signature work is spent on it.
pub const MAX_CREDENTIAL_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenTransport {
    /// `Authorization: Bearer` for the access token, JSON bodies for the refresh token.
    Header,
    /// HttpOnly cookies for both, behind the CSRF check.
    Cookie,
}

/// The access credential of a request, as its transport carries it.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented {
    /// None at all (in the header transport, also another scheme: RFC 6750
    /// §3.1 gives such a challenge no error code).
    Missing,
    Token(String),
}

/// Login and refresh's answer with the header transport (RFC 6749 §5.1).
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    /// A JWT (`typ: at+jwt`), sent back as `Authorization: Bearer <token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds the access token lives (`ACCESS_TTL`).
    pub expires_in: u64,
    /// Opaque, single use: `POST /refresh` spends it for a new pair.
    pub refresh_token: String,
    /// Seconds the refresh token lives, at most to its family's end.
    pub refresh_expires_in: u64,
}

/// Login and refresh's answer with `TOKEN_TRANSPORT=cookie`: the tokens are
/// in HttpOnly cookies (`Set-Cookie`), out of the page's reach.
#[derive(Serialize, ToSchema)]
pub struct TokensInCookies {
    pub expires_in: u64,
    pub refresh_expires_in: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    kind: TokenTransport,
    /// `COOKIE_SECURE`: the cookies are `Secure` and carry a name prefix
    /// that browsers enforce.
    secure: bool,
    /// `COOKIE_SAMESITE`, the access token's; `None` also for the refresh token.
    same_site: CookieSameSite,
}

impl Transport {
    pub fn new(kind: TokenTransport, cookie_secure: bool) -> Self {
        Self {
            kind,
            secure: cookie_secure,
            same_site: CookieSameSite::Lax,
        }
    }

    /// The cookies' `SameSite` (`COOKIE_SAMESITE`), `Lax` unless said.
    pub fn with_same_site(self, same_site: CookieSameSite) -> Self {
        Self { same_site, ..self }
    }

    pub fn in_cookies(self) -> bool {
        self.kind == TokenTransport::Cookie
    }

    /// Whether refusals carry RFC 6750 `WWW-Authenticate: Bearer` challenges.
    /// A cookie is no HTTP authentication scheme: a challenge would ask the
    /// client for a header this transport does not read (session-app's
    /// cookie gets none either).
    pub fn challenges(self) -> bool {
        self.kind == TokenTransport::Header
    }

    /// See [`cookie_names`] for the prefixes behind HTTPS.
    pub fn access_cookie(self) -> &'static str {
        cookie_names::access_token(self.secure)
    }

    pub fn refresh_cookie(self) -> &'static str {
        cookie_names::refresh_token(self.secure)
    }

    /// The access token of a request. The cookie transport reads only its
    /// cookie: an `Authorization` header there counts as no credential, so
    /// that one server does not accept a token from wherever it turns up.
    pub fn access_token(self, headers: &HeaderMap) -> Result<Presented, InvalidToken> {
        match self.kind {
            TokenTransport::Header => bearer_credential(headers),
            TokenTransport::Cookie => {
                Ok(cookie(headers, self.access_cookie())?
                    .map_or(Presented::Missing, Presented::Token))
            }
        }
    }

    /// The refresh token in its cookie, if the request carries one.
    pub fn refresh_token(self, headers: &HeaderMap) -> Result<Option<String>, InvalidToken> {
        cookie(headers, self.refresh_cookie())
    }

    /// The answer to a login or a refresh. In cookie mode the body keeps the
    /// lifetimes (the page schedules its refresh by them) but no token, and
    /// no `token_type`: it says how to send `access_token`, which the client
    /// no longer holds.
    pub fn issued(
        self,
        access: &AccessToken,
        refresh: &IssuedRefresh,
        extra: &[(&str, serde_json::Value)],
    ) -> Response {
        let with_extra = |body: serde_json::Value| with_fields(body, extra);
        match self.kind {
            TokenTransport::Header => with_extra(json!(TokenPair {
                access_token: access.token.clone(),
                token_type: "Bearer",
                expires_in: access.expires_in,
                refresh_token: refresh.token.as_str().to_owned(),
                refresh_expires_in: refresh.expires_in,
            }))
            .into_response(),
            TokenTransport::Cookie => {
                let refresh_cookies =
                    self.refresh_set_cookies(refresh.token.as_str(), refresh.expires_in);
                let cookies = AppendHeaders([
                    self.access_set_cookie(&access.token, access.expires_in),
                    refresh_cookies[0].clone(),
                    refresh_cookies[1].clone(),
                ]);
                let body = with_extra(json!(TokensInCookies {
                    expires_in: access.expires_in,
                    refresh_expires_in: refresh.expires_in,
                }));
                (cookies, body).into_response()
            }
        }
    }

    /// What a logout answer sets: in cookie mode every cookie removed
    /// (`Max-Age=0` with the name, path and attributes they were set with,
    /// or the browser keeps them).
    pub fn cleared(self) -> AppendHeaders<Vec<(HeaderName, HeaderValue)>> {
        AppendHeaders(match self.kind {
            TokenTransport::Header => Vec::new(),
            TokenTransport::Cookie => {
                let [refresh, logout] = self.refresh_set_cookies("", 0);
                vec![self.access_set_cookie("", 0), refresh, logout]
            }
        })
    }

    /// `COOKIE_SAMESITE`, like session-app's cookie; by default `Lax`: the
    /// token rides along when the user follows a link here from another
    /// site, as a login should.
    fn access_set_cookie(self, value: &str, max_age: u64) -> (HeaderName, HeaderValue) {
        let same_site = self.same_site.attribute();
        self.set_cookie(self.access_cookie(), value, same_site, "/", max_age)
    }

    /// `SameSite=Strict`: only this server's own page ever calls /refresh,
    /// so no cross-site request needs the refresh token, not even a link.
    /// With `COOKIE_SAMESITE=none` the pages of ALLOWED_ORIGINS do call it,
    /// from their own site, so it is `None` too.
    /// The same cookie twice, for the two paths that take it: `/refresh`,
    /// and `/logout`, which must end the login when the access token has
    /// expired or is gone (else a "log out" after a quarter of an hour would
    /// leave the refresh token alive). Any other path never sees it.
    fn refresh_set_cookies(self, value: &str, max_age: u64) -> [(HeaderName, HeaderValue); 2] {
        let same_site = match self.same_site {
            CookieSameSite::None => "None",
            CookieSameSite::Lax | CookieSameSite::Strict => "Strict",
        };
        REFRESH_COOKIE_PATHS
            .map(|path| self.set_cookie(self.refresh_cookie(), value, same_site, path, max_age))
    }

    fn set_cookie(
        self,
        name: &str,
        value: &str,
        same_site: &str,
        path: &str,
        max_age: u64,
    ) -> (HeaderName, HeaderValue) {
        let secure = if self.secure || self.same_site.needs_secure() {
            "; Secure"
        } else {
            ""
        };
        let line = format!(
            "{name}={value}; HttpOnly; SameSite={same_site}; Path={path}; Max-Age={max_age}{secure}"
        );
        // Tokens are base64url and dots: always a valid header value.
        let value = HeaderValue::from_str(&line).unwrap_or_else(|_| HeaderValue::from_static(""));
        (header::SET_COOKIE, value)
    }
}

fn bearer_credential(headers: &HeaderMap) -> Result<Presented, InvalidToken> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Presented::Missing);
    };
    // The scheme and a space on top of the credential itself.
    if value.len() > MAX_CREDENTIAL_BYTES + "Bearer ".len() {
        return Err(InvalidToken("the credential is over 8 KiB"));
    }
    let value = value
        .to_str()
        .map_err(|_| InvalidToken("the Authorization header is not ASCII"))?;
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    // Auth schemes are case-insensitive (RFC 9110 §11.1): `bearer` is `Bearer`.
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Presented::Missing);
    }
    let token = rest.trim();
    if token.is_empty() {
        return Err(InvalidToken("the Bearer credential is empty"));
    }
    if token.len() > MAX_CREDENTIAL_BYTES {
        return Err(InvalidToken("the credential is over 8 KiB"));
    }
    Ok(Presented::Token(token.to_owned()))
}

/// The value of the cookie `name` (`None`: absent, or emptied by a logout).
/// Other cookies of the site may hold any bytes, so the header is read as
/// bytes and only our value has to be ASCII.
fn cookie(headers: &HeaderMap, name: &str) -> Result<Option<String>, InvalidToken> {
    let mut found = None;
    let pairs = headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|h| h.as_bytes().split(|b| *b == b';'));
    for pair in pairs {
        let Some(eq) = pair.iter().position(|b| *b == b'=') else {
            continue;
        };
        if pair[..eq].trim_ascii() != name.as_bytes() {
            continue;
        }
        let value = pair[eq + 1..].trim_ascii();
        if value.len() > MAX_CREDENTIAL_BYTES {
            return Err(InvalidToken("the credential is over 8 KiB"));
        }
        // Two cookies of one name come from two paths or domains, one of
        // them not ours (planted by a sibling subdomain): which to believe
        // cannot be told, so neither is.
        if found.is_some() {
            return Err(InvalidToken("the token cookie is sent twice"));
        }
        found = Some(
            std::str::from_utf8(value)
                .ok()
                .filter(|v| v.is_ascii())
                .ok_or(InvalidToken("the token cookie is not ASCII"))?
                .to_owned(),
        );
    }
    Ok(found.filter(|v| !v.is_empty()))
}

/// The typed answer (its schema is the document's) with what a password
/// change adds to it (`logins_ended`).
fn with_fields(
    mut body: serde_json::Value,
    extra: &[(&str, serde_json::Value)],
) -> Json<serde_json::Value> {
    for (name, value) in extra {
        body[*name] = value.clone();
    }
    Json(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<Option<String>, InvalidToken> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).map_err(|_| InvalidToken("bad header"))?,
        );
        bearer_credential(&headers).map(|c| match c {
            Presented::Missing => None,
            Presented::Token(t) => Some(t),
        })
    }

    fn cookies(values: &[&str], name: &str) -> Result<Option<String>, InvalidToken> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::COOKIE, HeaderValue::from_str(v).expect("header"));
        }
        cookie(&headers, name)
    }

    #[test]
    fn the_scheme_is_case_insensitive() {
        assert_eq!(parse("Bearer abc"), Ok(Some("abc".into())));
        assert_eq!(parse("bearer abc"), Ok(Some("abc".into())));
        assert_eq!(parse("BEARER  abc "), Ok(Some("abc".into())));
    }

    #[test]
    fn other_schemes_count_as_missing_and_empty_tokens_as_invalid() {
        assert_eq!(parse("Basic dXNlcjpwYXNz"), Ok(None));
        assert_eq!(parse("Bearerabc"), Ok(None));
        assert!(parse("Bearer").is_err());
        assert!(parse("Bearer   ").is_err());
    }

    #[test]
    fn a_credential_over_8_kib_is_invalid_whatever_it_holds() {
        let limit = "a".repeat(MAX_CREDENTIAL_BYTES);
        assert_eq!(parse(&format!("Bearer {limit}")), Ok(Some(limit.clone())));
        let over = format!("Bearer {limit}b");
        assert_eq!(
            parse(&over),
            Err(InvalidToken("the credential is over 8 KiB"))
        );
        let spaced = format!("Bearer {}{limit}", " ".repeat(4096));
        assert!(parse(&spaced).is_err(), "padding does not buy room");

        let at_limit = format!("access_token={limit}");
        assert_eq!(cookies(&[&at_limit], "access_token"), Ok(Some(limit)));
        assert_eq!(
            cookies(&[&format!("{at_limit}b")], "access_token"),
            Err(InvalidToken("the credential is over 8 KiB"))
        );
    }

    #[test]
    fn a_cookie_is_found_by_its_exact_name_among_others() {
        let name = "access_token";
        assert_eq!(
            cookies(&["theme=dark; access_token=a.b.c ; x=1"], name),
            Ok(Some("a.b.c".into()))
        );
        assert_eq!(
            cookies(&["theme=dark", "access_token=a.b.c"], name),
            Ok(Some("a.b.c".into()))
        );
        assert_eq!(
            cookies(&["xaccess_token=a.b.c; access_token2=d"], name),
            Ok(None)
        );
        assert_eq!(cookies(&["__Host-access_token=a.b.c"], name), Ok(None));
        assert_eq!(
            cookies(&["access_token="], name),
            Ok(None),
            "emptied by a logout"
        );
        assert!(cookies(&["access_token=a; access_token=b"], name).is_err());
        assert!(cookies(&["access_token=a", "access_token=b"], name).is_err());
    }

    #[test]
    fn secure_cookies_carry_the_prefixes_browsers_enforce() {
        let plain = Transport::new(TokenTransport::Cookie, false);
        let secure = Transport::new(TokenTransport::Cookie, true);
        assert_eq!(plain.access_cookie(), "access_token");
        assert_eq!(secure.access_cookie(), "__Host-access_token");
        assert_eq!(secure.refresh_cookie(), "__Secure-refresh_token");
        let (_, line) = secure.access_set_cookie("v", 900);
        assert_eq!(
            line,
            "__Host-access_token=v; HttpOnly; SameSite=Lax; Path=/; Max-Age=900; Secure"
        );
        let [(_, refresh), (_, logout)] = plain.refresh_set_cookies("", 0);
        assert_eq!(
            refresh,
            "refresh_token=; HttpOnly; SameSite=Strict; Path=/refresh; Max-Age=0"
        );
        assert_eq!(
            logout,
            "refresh_token=; HttpOnly; SameSite=Strict; Path=/logout; Max-Age=0"
        );
    }

    #[test]
    fn same_site_none_is_secure_for_both_tokens_and_strict_keeps_the_refresh_strict() {
        let none =
            Transport::new(TokenTransport::Cookie, false).with_same_site(CookieSameSite::None);
        let (_, access) = none.access_set_cookie("v", 900);
        assert_eq!(
            access,
            "access_token=v; HttpOnly; SameSite=None; Path=/; Max-Age=900; Secure"
        );
        let [(_, refresh), _] = none.refresh_set_cookies("r", 60);
        assert_eq!(
            refresh,
            "refresh_token=r; HttpOnly; SameSite=None; Path=/refresh; Max-Age=60; Secure"
        );
        let strict =
            Transport::new(TokenTransport::Cookie, false).with_same_site(CookieSameSite::Strict);
        let (_, access) = strict.access_set_cookie("v", 900);
        assert_eq!(
            access,
            "access_token=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=900"
        );
        let [(_, refresh), _] = strict.refresh_set_cookies("r", 60);
        assert!(
            refresh
                .to_str()
                .is_ok_and(|r| r.contains("SameSite=Strict"))
        );
    }
}
