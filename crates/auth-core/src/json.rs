use axum::{
    body::Bytes,
    extract::{
        FromRequest, Request,
        rejection::{BytesRejection, JsonRejection},
    },
    http::{HeaderMap, StatusCode, header},
};
use serde::de::DeserializeOwned;

use crate::ApiError;

/// `axum::Json`, but every way a body can be wrong becomes an [`ApiError`]
/// (400, 413 or 415 with the JSON error shape), never axum's plain-text rejection.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(not_json());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(unreadable)?;
        no_array(&bytes)?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(rejection_to_error(rejection)),
        }
    }
}

/// Every body the routes take is a JSON object, but serde's derived
/// `Deserialize` also reads a struct from an array of its fields in order:
/// `["a@b.example", "password"]` would register, and `[null]` ended a login
/// at jwt-app's /logout (schemathesis, ST201 on a CI run). An array is
/// refused before serde sees it.
fn no_array(bytes: &[u8]) -> Result<(), ApiError> {
    match bytes.iter().find(|b| !is_json_whitespace(**b)) {
        Some(b'[') => Err(ApiError::InvalidInput(
            "the body must be a JSON object, not an array".into(),
        )),
        _ => Ok(()),
    }
}

/// JSON's own whitespace (RFC 8259), narrower than `u8::is_ascii_whitespace`.
fn is_json_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let mime = v.split(';').next().unwrap_or_default().trim();
            mime.eq_ignore_ascii_case("application/json")
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
}

fn not_json() -> ApiError {
    ApiError::UnsupportedMediaType(
        "send the body as JSON with `Content-Type: application/json`".into(),
    )
}

fn unreadable(e: BytesRejection) -> ApiError {
    match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => ApiError::InvalidInput(format!("cannot read the body: {}", e.body_text())),
    }
}

/// What `Json::from_bytes` refuses: the bytes are read and the media type
/// checked before it, so only the JSON itself can be wrong.
fn rejection_to_error(rejection: JsonRejection) -> ApiError {
    ApiError::InvalidInput(match rejection {
        JsonRejection::JsonDataError(e) => format!("the JSON does not fit: {}", e.body_text()),
        JsonRejection::JsonSyntaxError(e) => {
            format!("the body is not valid JSON: {}", e.body_text())
        }
        other => other.body_text(),
    })
}

/// A JSON body a route takes but does not need (jwt-app's /logout, and
/// /refresh with cookies): none at all is `None`; a broken one is still a
/// 4xx, so that a client learns its body was not read.
pub fn optional<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Option<T>, ApiError> {
    let bytes = body.map_err(unreadable)?;
    // Only JSON's own whitespace reads as no body: a form feed, which
    // `u8::is_ascii_whitespace` counts, is a broken body (schemathesis sent
    // one and saw 204, issue 21).
    if bytes.iter().all(|b| is_json_whitespace(*b)) {
        return Ok(None);
    }
    if !is_json(headers) {
        return Err(not_json());
    }
    no_array(&bytes)?;
    // `null` is no body too: the documents describe an optional body as
    // nullable (utoipa's `Option<T>`), and schemathesis sent one (issue 21).
    serde_json::from_slice::<Option<T>>(&bytes)
        .map_err(|e| ApiError::InvalidInput(format!("the body is not valid JSON: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        headers
    }

    fn read(body: &'static [u8]) -> Result<Option<serde_json::Value>, ApiError> {
        optional(&json_headers(), Ok(Bytes::from_static(body)))
    }

    #[test]
    fn only_json_whitespace_or_null_is_no_body() {
        assert!(matches!(read(b""), Ok(None)));
        assert!(matches!(read(b" \t\r\n"), Ok(None)));
        assert!(matches!(read(b"null"), Ok(None)));
        assert!(matches!(read(b"\x0c"), Err(ApiError::InvalidInput(_))));
        assert!(matches!(read(b"{"), Err(ApiError::InvalidInput(_))));
        assert!(matches!(read(b"{}"), Ok(Some(_))));
    }

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[allow(dead_code)]
        token: Option<String>,
    }

    #[test]
    fn an_array_is_not_read_as_a_struct() {
        let read =
            |body: &'static [u8]| optional::<Body>(&json_headers(), Ok(Bytes::from_static(body)));
        // What serde alone accepts, field by field in order:
        assert!(serde_json::from_slice::<Option<Body>>(b"[null]").is_ok_and(|b| b.is_some()));
        assert!(matches!(read(b"[null]"), Err(ApiError::InvalidInput(_))));
        assert!(matches!(read(b" [\"t\"]"), Err(ApiError::InvalidInput(_))));
        assert!(matches!(read(b"{\"token\": \"t\"}"), Ok(Some(_))));
    }
}
