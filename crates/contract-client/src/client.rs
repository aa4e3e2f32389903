//! The HTTP contract as a client speaks it: the requests (register, login,
//! logout, refresh) and the credential a response carries. The tests send
//! them with [`client`]; the harness sends the same ones through its own
//! recorder, so that `--explain` shows exactly what went out.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use reqwest::{
    Method, RequestBuilder,
    header::{self, HeaderMap},
};
use serde_json::{Value, json};

/// The password of every account the tests and the harness make: long
/// enough for the policy.
pub const PASSWORD: &str = "correct horse battery";

/// Longest any single request may take: generous for a debug build at a
/// high bcrypt cost.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A client as a script would be: no cookie jar (each credential is attached
/// by hand, so it is plain what is sent), no redirects, no proxy, bounded waits.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("a reqwest client with these settings always builds")
}

/// An email no other account of this process, or of another test process
/// on the same database, uses.
pub fn unique_email(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}@example.com",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The cookies jwt-app sets with `TOKEN_TRANSPORT=cookie`, plain and with
/// `COOKIE_SECURE` (the contract's names, as `sid` is session-app's).
pub const ACCESS_COOKIES: [&str; 2] = ["access_token", "__Host-access_token"];
pub const REFRESH_COOKIES: [&str; 2] = ["refresh_token", "__Secure-refresh_token"];

/// What a login hands the client, as the client sends it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The `sid=<id>` pair, sent in a `Cookie` header.
    Cookie(String),
    /// An access token sent as `Authorization: Bearer`, and the refresh token
    /// that came with it.
    Bearer {
        access: String,
        refresh: Option<String>,
    },
    /// jwt-app's cookie transport, as a browser keeps it: the access-token
    /// pair (`access_token=<jwt>`), sent in a `Cookie` header with every
    /// request, and the refresh-token pair, which its `Path=/refresh` keeps
    /// to /refresh.
    JwtCookie {
        access: String,
        refresh: Option<String>,
    },
}

impl Credential {
    /// The credential a login or refresh answer hands out, whichever kind:
    /// the `sid` cookie, else jwt-app's token cookies, else the JSON `access_token`.
    pub fn from_response(headers: &HeaderMap, body: &Value) -> Option<Self> {
        if let Some(pair) = sid_pair(headers) {
            return Some(Self::Cookie(pair));
        }
        let first_pair = |names: [&str; 2]| names.iter().find_map(|n| cookie_pair(headers, n));
        if let Some(access) = first_pair(ACCESS_COOKIES) {
            return Some(Self::JwtCookie {
                access,
                refresh: first_pair(REFRESH_COOKIES),
            });
        }
        Some(Self::Bearer {
            access: body["access_token"].as_str()?.to_owned(),
            refresh: body["refresh_token"].as_str().map(str::to_owned),
        })
    }

    /// The header this credential travels in, as (name, value).
    pub fn header(&self) -> (&'static str, String) {
        match self {
            Self::Cookie(pair) | Self::JwtCookie { access: pair, .. } => ("Cookie", pair.clone()),
            Self::Bearer { access, .. } => ("Authorization", format!("Bearer {access}")),
        }
    }

    /// Bytes the credential adds to every request: `Name: value\r\n`.
    pub fn header_bytes(&self) -> usize {
        let (name, value) = self.header();
        name.len() + 2 + value.len() + 2
    }

    /// The secret part alone: the session id or the access token.
    pub fn value(&self) -> &str {
        match self {
            Self::Cookie(pair) | Self::JwtCookie { access: pair, .. } => pair_value(pair),
            Self::Bearer { access, .. } => access,
        }
    }

    /// The access token, for a JWT credential in either transport.
    pub fn jwt(&self) -> Option<&str> {
        match self {
            Self::Cookie(_) => None,
            Self::Bearer { .. } | Self::JwtCookie { .. } => Some(self.value()),
        }
    }

    /// Whether a browser attaches it by itself (to other sites' requests too).
    pub fn is_cookie(&self) -> bool {
        !matches!(self, Self::Bearer { .. })
    }

    /// The same kind of credential carrying `value` instead: a tampered copy.
    pub fn with_value(&self, value: String) -> Self {
        match self {
            Self::Cookie(pair) => Self::Cookie(format!("{}={value}", pair_name(pair, "sid"))),
            Self::Bearer { refresh, .. } => Self::Bearer {
                access: value,
                refresh: refresh.clone(),
            },
            Self::JwtCookie { access, refresh } => Self::JwtCookie {
                access: format!("{}={value}", pair_name(access, ACCESS_COOKIES[0])),
                refresh: refresh.clone(),
            },
        }
    }

    /// The same kind of credential, made up: what a forger would send.
    pub fn forged(&self) -> Self {
        match self {
            Self::Cookie(_) => Self::Cookie("sid=AAAAAAAAAAAAAAAAAAAAAA".into()),
            Self::Bearer { .. } => Self::Bearer {
                access: "not.a.token".into(),
                refresh: None,
            },
            Self::JwtCookie { access, .. } => Self::JwtCookie {
                access: format!("{}=not.a.token", pair_name(access, ACCESS_COOKIES[0])),
                refresh: None,
            },
        }
    }

    /// The refresh token's value, in whichever transport it came.
    pub fn refresh_token(&self) -> Option<&str> {
        match self {
            Self::Cookie(_) => None,
            Self::Bearer { refresh, .. } => refresh.as_deref(),
            Self::JwtCookie { refresh, .. } => refresh.as_deref().map(pair_value),
        }
    }

    pub fn attach(&self, req: RequestBuilder) -> RequestBuilder {
        let (name, value) = self.header();
        req.header(name, value)
    }
}

fn pair_value(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(_, v)| v)
}

fn pair_name<'a>(pair: &'a str, default: &'a str) -> &'a str {
    pair.split_once('=').map_or(default, |(n, _)| n)
}

/// The full `Set-Cookie: <name>=…` line of a response, attributes included.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&prefix))
        .map(str::to_owned)
}

/// The `sid=<value>` pair of a response's `Set-Cookie: sid=…`, if any.
pub fn sid_pair(headers: &HeaderMap) -> Option<String> {
    cookie_pair(headers, "sid")
}

/// The `<name>=<value>` pair of a response's `Set-Cookie: <name>=…`, if any.
pub fn cookie_pair(headers: &HeaderMap, name: &str) -> Option<String> {
    let line = set_cookie(headers, name)?;
    Some(line.split(';').next().unwrap_or_default().trim().to_owned())
}

/// One request of the contract, before it is sent: what the harness shows
/// with `--explain` is exactly what [`Request::build`] sends.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub credential: Option<Credential>,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl Request {
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            credential: None,
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn auth(mut self, credential: &Credential) -> Self {
        self.credential = Some(credential.clone());
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Every header sent, the credential's first.
    pub fn sent_headers(&self) -> Vec<(&'static str, String)> {
        self.credential
            .iter()
            .map(Credential::header)
            .chain(self.headers.iter().cloned())
            .collect()
    }

    /// The request, to the server at `base` (`http://host:port`).
    pub fn build(&self, client: &reqwest::Client, base: &str) -> RequestBuilder {
        let mut req = client.request(self.method.clone(), format!("{base}{}", self.path));
        for (name, value) in self.sent_headers() {
            req = req.header(name, value);
        }
        if let Some(body) = &self.body {
            req = req.json(body);
        }
        req
    }
}

/// `POST /register`.
pub fn register(email: &str, password: &str) -> Request {
    Request::new(Method::POST, "/register").json(json!({"email": email, "password": password}))
}

/// `POST /login`.
pub fn login(email: &str, password: &str) -> Request {
    Request::new(Method::POST, "/login").json(json!({"email": email, "password": password}))
}

/// `POST /logout` as each app expects it: jwt-app's header transport also
/// gets the refresh token, so that its family is revoked with it. (The
/// refresh cookie does not go to /logout: its path keeps it to /refresh, and
/// the access token names the same family.)
pub fn logout(credential: &Credential) -> Request {
    let req = Request::new(Method::POST, "/logout").auth(credential);
    match credential {
        Credential::Bearer {
            refresh: Some(refresh),
            ..
        } => req.json(json!({"refresh_token": refresh})),
        _ => req,
    }
}

/// `POST /refresh` with the refresh token `credential` holds, where its
/// transport carries it; `None` when it holds none.
pub fn refresh(credential: &Credential) -> Option<Request> {
    let req = Request::new(Method::POST, "/refresh");
    match credential {
        Credential::Bearer {
            refresh: Some(token),
            ..
        } => Some(req.json(json!({"refresh_token": token}))),
        Credential::JwtCookie {
            refresh: Some(pair),
            ..
        } => Some(req.header("Cookie", pair)),
        _ => None,
    }
}

/// `GET /account/logins`: the caller's live logins.
pub fn logins(credential: &Credential) -> Request {
    Request::new(Method::GET, "/account/logins").auth(credential)
}

/// `DELETE /account/logins/{id}`: ends one login, with the password.
pub fn end_login(credential: &Credential, id: &str, password: &str) -> Request {
    Request::new(Method::DELETE, &format!("/account/logins/{id}"))
        .auth(credential)
        .json(json!({"password": password}))
}

/// `POST /account/logout-everywhere`: ends every login of the caller's account.
pub fn logout_everywhere(credential: &Credential, password: &str) -> Request {
    Request::new(Method::POST, "/account/logout-everywhere")
        .auth(credential)
        .json(json!({"password": password}))
}

/// `PUT /account/password`, ending the other logins (the contract's default).
pub fn change_password(credential: &Credential, current: &str, new: &str) -> Request {
    Request::new(Method::PUT, "/account/password")
        .auth(credential)
        .json(json!({"current_password": current, "new_password": new}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_know_their_header() {
        let cookie = Credential::Cookie("sid=abc".into());
        assert_eq!(cookie.header(), ("Cookie", "sid=abc".to_owned()));
        assert_eq!(cookie.header_bytes(), "Cookie: sid=abc\r\n".len());
        assert_eq!(cookie.value(), "abc");
        assert_eq!(cookie.with_value("xyz".into()).value(), "xyz");
        let bearer = Credential::Bearer {
            access: "a.b.c".into(),
            refresh: Some("r".into()),
        };
        assert_eq!(bearer.header().1, "Bearer a.b.c");
        assert_eq!(bearer.with_value("d.e.f".into()).refresh_token(), Some("r"));
        assert_eq!(
            logout(&bearer).body,
            Some(json!({"refresh_token": "r"})),
            "jwt-app's logout revokes the refresh family too"
        );
    }

    #[test]
    fn jwt_cookies_travel_as_a_browser_sends_them() {
        let mut headers = HeaderMap::new();
        for line in [
            "access_token=a.b.c; HttpOnly; SameSite=Lax; Path=/; Max-Age=900",
            "refresh_token=r; HttpOnly; SameSite=Strict; Path=/refresh; Max-Age=60",
        ] {
            headers.append(header::SET_COOKIE, line.parse().expect("header"));
        }
        let cred =
            Credential::from_response(&headers, &json!({"expires_in": 900})).expect("a credential");
        assert_eq!(cred.header(), ("Cookie", "access_token=a.b.c".to_owned()));
        assert_eq!((cred.value(), cred.jwt()), ("a.b.c", Some("a.b.c")));
        assert_eq!(cred.refresh_token(), Some("r"));
        assert!(cred.is_cookie());
        assert_eq!(cred.with_value("d".into()).header().1, "access_token=d");
        assert_eq!(cred.forged().header().1, "access_token=not.a.token");
        assert_eq!(
            logout(&cred).body,
            None,
            "the refresh cookie stays on /refresh"
        );
        let refresh = refresh(&cred).expect("a refresh request");
        assert_eq!(
            refresh.sent_headers(),
            [("Cookie", "refresh_token=r".to_owned())]
        );
        assert_eq!(refresh.body, None);
    }
}
