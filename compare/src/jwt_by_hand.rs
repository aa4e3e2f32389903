//! A JWT read and forged by hand, as anyone holding one can: no key, no
//! library. Decoding without a key is the lesson, so it stays in plain sight.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::Value;

/// The header and claims of a JWT, read without checking the signature: what
/// anyone holding the token can do.
pub fn decode_jwt(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let head = decode_part(parts.next()?)?;
    let claims = decode_part(parts.next()?)?;
    parts.next()?;
    Some((head, claims))
}

fn decode_part(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A JWT segment for `value`, as a forger would write one.
pub fn encode_part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_jwt_reads_without_a_key() {
        let token = format!(
            "{}.{}.sig",
            encode_part(&json!({"alg": "HS256"})),
            encode_part(&json!({"email": "a@example.com"}))
        );
        let (head, claims) = decode_jwt(&token).expect("decodes");
        assert_eq!(head["alg"], "HS256");
        assert_eq!(claims["email"], "a@example.com");
        assert!(decode_jwt("opaque-session-id").is_none());
    }
}
