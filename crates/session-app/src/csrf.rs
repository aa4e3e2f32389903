use axum::{
    extract::Request,
    http::{Method, header},
    middleware::Next,
    response::Response,
};

use auth_core::ApiError;

/// A browser attaches the `sid` cookie to every request to this server, also
/// one that another site's page makes: refuse state-changing requests that a
/// browser says come from another origin. Clients that send no `Origin`
/// (curl, scripts) are not browsers acting for another site, and pass.
pub async fn refuse_cross_origin(req: Request, next: Next) -> Result<Response, ApiError> {
    if is_safe(req.method()) {
        return Ok(next.run(req).await);
    }
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        if !same_origin(origin, host) {
            return Err(ApiError::Csrf(format!(
                "cross-origin request refused: Origin {origin} is not this server ({})",
                host.unwrap_or("no Host header")
            )));
        }
    } else if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v == "cross-site")
    {
        return Err(ApiError::Csrf(
            "cross-site request refused (Sec-Fetch-Site: cross-site)".into(),
        ));
    }
    Ok(next.run(req).await)
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// `Origin` is `scheme://host[:port]`; it is ours when its authority is the `Host` we were asked as.
fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let Some(host) = host else { return false };
    let authority = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn origin_must_name_the_host() {
        assert!(same_origin("http://127.0.0.1:3001", Some("127.0.0.1:3001")));
        assert!(!same_origin(
            "http://127.0.0.1:3002",
            Some("127.0.0.1:3001")
        ));
        assert!(!same_origin("https://evil.example", Some("127.0.0.1:3001")));
        assert!(!same_origin("null", Some("127.0.0.1:3001")));
        assert!(!same_origin("http://127.0.0.1:3001", None));
    }
}
