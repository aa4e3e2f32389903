//! `--explain`: each HTTP exchange printed as a teacher would project it.

use std::{
    collections::HashSet,
    io::Write,
    sync::{Arc, Mutex},
};

use reqwest::{Method, header, header::HeaderMap};
use serde_json::Value;

use crate::jwt_by_hand::decode_jwt;

/// Where explained exchanges go. Each one is written as a single block, so
/// exchanges of servers driven at the same time do not interleave line by line.
#[derive(Debug, Clone)]
pub struct Explain {
    /// Stdout, unless stdout carries the JSON report.
    to_stderr: bool,
    /// Tokens whose claims were already printed: shown once, not on every request.
    shown: Arc<Mutex<HashSet<String>>>,
}

const INDENT: &str = "        ";

impl Explain {
    pub fn new(to_stderr: bool) -> Self {
        Self {
            to_stderr,
            shown: Arc::default(),
        }
    }

    /// True the first time `token` is seen.
    fn first_sight(&self, token: &str) -> bool {
        self.shown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.to_owned())
    }

    fn print(&self, block: &str) {
        // A closed pipe (`compare --explain | head`) is no reason to fail a run.
        if self.to_stderr {
            let _ = writeln!(std::io::stderr().lock(), "{block}");
        } else {
            let _ = writeln!(std::io::stdout().lock(), "{block}");
        }
    }

    pub fn heading(&self, text: &str) {
        self.print(&format!("\n=== {text} ==="));
    }

    /// A line of commentary: what the harness does next, or why.
    pub fn note(&self, label: &str, text: &str) {
        self.print(&format!("[{label}] # {text}"));
    }

    pub fn request(
        &self,
        label: &str,
        method: &Method,
        target: &str,
        headers: &[(&'static str, String)],
        body: Option<&Value>,
    ) {
        let mut out = format!("[{label}] → {method} {target}");
        for (name, value) in headers {
            out.push_str(&format!("\n{INDENT}{name}: {}", shorten_credential(value)));
            let unseen_claims = value
                .strip_prefix("Bearer ")
                .filter(|token| self.first_sight(token))
                .and_then(claims_line);
            if let Some(claims) = unseen_claims {
                out.push_str(&format!("\n{INDENT}  (this token claims: {claims})"));
            }
        }
        if let Some(body) = body {
            out.push_str(&format!("\n{INDENT}{}", show_json(body)));
        }
        self.print(&out);
    }

    /// An answer: its status, the headers a learner should see, and the body.
    pub fn response(&self, status: u16, headers: &HeaderMap, body: &str) {
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let mut out = format!("{INDENT}← {status} {reason}");
        for (name, shown_as) in [
            (header::SET_COOKIE, "Set-Cookie"),
            (header::WWW_AUTHENTICATE, "WWW-Authenticate"),
        ] {
            for value in headers.get_all(&name) {
                let value = value.to_str().unwrap_or("(not text)");
                out.push_str(&format!("\n{INDENT}{shown_as}: {value}"));
            }
        }
        if !body.is_empty() {
            let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            let shown = if json.is_null() {
                body.chars().take(200).collect()
            } else {
                show_json(&json)
            };
            out.push_str(&format!("\n{INDENT}{shown}"));
            if let Some(token) = json["access_token"].as_str() {
                self.first_sight(token);
                if let Some((head, claims)) = decode_jwt(token) {
                    out.push_str(&format!(
                        "\n{INDENT}access_token decoded, no key needed:\n{INDENT}  header {head}\n{INDENT}  claims {claims}"
                    ));
                }
            }
        }
        self.print(&out);
    }
}

fn claims_line(token: &str) -> Option<String> {
    decode_jwt(token).map(|(_, claims)| claims.to_string())
}

/// Long tokens cut to their start and end: enough to tell two apart on a projector.
fn shorten_credential(value: &str) -> String {
    // `Bearer <token>` or `sid=<id>`: keep the scheme or name whole.
    let split = value
        .find(' ')
        .or_else(|| value.find('='))
        .map_or(0, |i| i + 1);
    let (prefix, secret) = value.split_at(split);
    let n = secret.chars().count();
    if n <= 48 {
        return value.to_owned();
    }
    let head: String = secret.chars().take(24).collect();
    let tail: String = secret.chars().skip(n - 8).collect();
    format!("{prefix}{head}…{tail} ({n} chars)")
}

/// JSON on one line, with tokens (long strings without spaces) shortened and
/// passwords hidden.
fn show_json(value: &Value) -> String {
    fn shorten(v: &Value, key: Option<&str>) -> Value {
        match v {
            Value::String(_) if key == Some("password") => Value::String("…".into()),
            Value::String(s) if s.chars().count() > 48 && !s.contains(' ') => {
                let head: String = s.chars().take(24).collect();
                Value::String(format!("{head}… ({} chars)", s.chars().count()))
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), shorten(v, Some(k))))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    shorten(value, None).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_credentials_are_shortened_for_the_screen() {
        assert_eq!(shorten_credential("sid=short"), "sid=short");
        let long = format!("Bearer {}", "x".repeat(100));
        let shown = shorten_credential(&long);
        assert!(shown.starts_with("Bearer xxxx") && shown.ends_with("(100 chars)"));
        assert_eq!(
            show_json(&json!({"password": "secret", "n": 1})),
            r#"{"n":1,"password":"…"}"#
        );
    }
}
