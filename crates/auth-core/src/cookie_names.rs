//! The names of the credential cookies, in one place: the apps set them, and
//! the resource server and the tests look for them by the same names.
//!
//! Behind HTTPS (`COOKIE_SECURE`) each name takes the strongest prefix its
//! path allows. `__Host-` makes the browser keep a cookie only if it is
//! `Secure`, `Path=/` and has no `Domain`: a sibling subdomain or a man in
//! the middle on plain HTTP can neither plant nor overwrite it.

/// session-app's session cookie.
pub fn session(secure: bool) -> &'static str {
    if secure { "__Host-sid" } else { "sid" }
}

/// jwt-app's access-token cookie (`TOKEN_TRANSPORT=cookie`).
pub fn access_token(secure: bool) -> &'static str {
    if secure {
        "__Host-access_token"
    } else {
        "access_token"
    }
}

/// jwt-app's refresh-token cookie. `__Host-` needs `Path=/`, which would
/// send the refresh token with every request; `__Secure-` is the strongest
/// prefix `Path=/refresh` allows.
pub fn refresh_token(secure: bool) -> &'static str {
    if secure {
        "__Secure-refresh_token"
    } else {
        "refresh_token"
    }
}

/// The device cookie of a browser that logged in to an account before
/// (`auth_core::device`), sent to `/login` only.
pub fn device(secure: bool) -> &'static str {
    if secure { "__Secure-device" } else { "device" }
}
