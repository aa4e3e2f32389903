//! The workshop page each server answers `GET /` with: one HTML document,
//! compiled into the binary, with no build step and nothing fetched from
//! elsewhere. What both pages share (the forms, the exchange log, the
//! injected script, the styles) is written once here; each app fills in its
//! introduction, its "what this browser holds" panel and the script that
//! keeps and sends its credential.

use std::sync::{Arc, OnceLock};

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

const SHELL: &str = include_str!("page/shell.html");
const SHARED_JS: &str = include_str!("page/shared.js");
const SHARED_CSS: &str = include_str!("page/shared.css");

/// What one app puts into the shared page.
pub struct Page {
    /// `session` or `jwt`: `body[data-app]`.
    pub app: &'static str,
    /// How the credential travels (`cookie`, `header`): `body[data-transport]`,
    /// so that one jwt page script can serve both of jwt-app's transports.
    pub transport: &'static str,
    pub title: &'static str,
    /// HTML for the page's header.
    pub intro: &'static str,
    /// HTML for the "what this browser holds" panel.
    pub holds: &'static str,
    /// Buttons besides the shared ones (jwt-app's `/refresh`).
    pub buttons: &'static str,
    pub css: &'static str,
    /// Runs after the shared script; calls its `start(app)`.
    pub js: &'static str,
}

impl Page {
    /// The document as served: style and script inline, so that the page is
    /// a single response.
    pub fn assemble(&self) -> String {
        // The script goes in last: a slot's text never holds another slot's name.
        [
            ("{{title}}", self.title),
            ("{{app}}", self.app),
            ("{{transport}}", self.transport),
            ("{{intro}}", self.intro),
            ("{{holds}}", self.holds),
            ("{{buttons}}", self.buttons),
            ("{{style}}", &format!("{SHARED_CSS}\n{}", self.css)),
            ("{{script}}", &format!("{SHARED_JS}\n{}", self.js)),
        ]
        .iter()
        .fold(SHELL.to_owned(), |page, (slot, text)| {
            page.replacen(slot, text, 1)
        })
    }

    /// The handler's answer: the page assembled once per process, with its
    /// Content-Security-Policy.
    pub fn serve(&self, cell: &'static OnceLock<Served>) -> Response {
        let served = cell.get_or_init(|| Served::new(self.assemble()));
        (
            [(header::CONTENT_SECURITY_POLICY, served.policy.clone())],
            Html(served.html.as_str()),
        )
            .into_response()
    }
}

/// Who may frame the page: nobody (`frame-ancestors 'none'`), or, with
/// `--workshop-origin`, exactly the side-by-side page of `just workshop`,
/// which shows both apps' own pages in frames (each keeps its origin, so
/// cookies, SameSite and Origin behave as on the page alone).
#[derive(Debug, Clone, Default)]
pub struct Framing {
    ancestor: Option<Arc<str>>,
}

impl Framing {
    /// From `--workshop-origin`: an `http://` origin on a loopback name
    /// (what `just workshop` serves), on a server reached from this machine
    /// alone.
    pub fn from_config(config: &crate::CommonConfig) -> anyhow::Result<Self> {
        let Some(origin) = config.workshop_origin.as_deref() else {
            return Ok(Self::default());
        };
        config.local_only(
            true,
            "--workshop-origin (WORKSHOP_ORIGIN) lets another page frame this server's page",
        )?;
        let ancestor = crate::inspect::loopback_origin(origin).ok_or_else(|| {
            anyhow::anyhow!(
                "WORKSHOP_ORIGIN {origin:?} is not an http:// origin on a loopback name with a \
                 port (such as http://127.0.0.1:4001)"
            )
        })?;
        Ok(Self {
            ancestor: Some(ancestor.into()),
        })
    }

    /// `router`, whose pages may be framed by the workshop origin if one is set.
    pub fn apply(&self, router: Router) -> Router {
        let Some(ancestor) = self.ancestor.clone() else {
            return router;
        };
        router.layer(axum::middleware::map_response(move |mut res: Response| {
            let ancestor = ancestor.clone();
            async move {
                let framed = res
                    .headers()
                    .get(header::CONTENT_SECURITY_POLICY)
                    .and_then(|v| v.to_str().ok())
                    .map(|p| {
                        p.replace(
                            "frame-ancestors 'none'",
                            &format!("frame-ancestors {ancestor}"),
                        )
                    })
                    .and_then(|p| HeaderValue::from_str(&p).ok());
                if let Some(policy) = framed {
                    res.headers_mut()
                        .insert(header::CONTENT_SECURITY_POLICY, policy);
                }
                res
            }
        }))
    }
}

/// A page as served: its HTML and the policy that lets exactly its own
/// inline script and style run.
pub struct Served {
    html: String,
    policy: HeaderValue,
}

/// A page of its own (not the shared shell: the resource server's) served
/// with the same policy, assembled once per process.
pub fn serve_document(cell: &'static OnceLock<Served>, html: impl FnOnce() -> String) -> Response {
    let served = cell.get_or_init(|| Served::new(html()));
    (
        [(header::CONTENT_SECURITY_POLICY, served.policy.clone())],
        Html(served.html.as_str()),
    )
        .into_response()
}

impl Served {
    fn new(html: String) -> Self {
        let policy = policy(&html);
        let policy = HeaderValue::from_str(&policy)
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
        Self { html, policy }
    }
}

/// The page's Content-Security-Policy: its one inline script and its one
/// inline style by their hashes (nothing injected into the page runs, no
/// inline handler, no `javascript:` URL), requests to its own origin only,
/// forms to itself, no `<base>`, and no framing by any other page (a
/// clickjacking page on another port of 127.0.0.1 could otherwise frame it
/// with its Lax cookies and have its buttons clicked).
pub fn policy(html: &str) -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        hash_of(html, "<script>", "</script>"),
        hash_of(html, "<style>", "</style>"),
    )
}

/// `'sha256-…'` of the text between `open` and `close`, as CSP hashes an
/// inline element: its content exactly, newlines included.
fn hash_of(html: &str, open: &str, close: &str) -> String {
    let content = html
        .split_once(open)
        .and_then(|(_, rest)| rest.split_once(close))
        .map_or("", |(content, _)| content);
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(content.as_bytes()))
    )
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn every_slot_is_filled() {
        let page = Page {
            app: "test",
            transport: "header",
            title: "T",
            intro: "<h1>intro</h1>",
            holds: "<p>holds</p>",
            buttons: "",
            css: "/* app css */",
            js: "// app js",
        };
        let out = page.assemble();
        assert!(!out.contains("{{"), "a slot is left: {out}");
        assert!(
            inline_handlers(super::SHELL).is_empty(),
            "a handler in the HTML: {:?}",
            inline_handlers(super::SHELL)
        );
        for part in [
            "/* app css */",
            "// app js",
            "<h1>intro</h1>",
            "function api(",
        ] {
            assert!(out.contains(part), "{part} missing");
        }
    }

    /// Attributes such as `onclick=`: a CSP without 'unsafe-inline' refuses
    /// them, so every handler is attached in the scripts.
    fn inline_handlers(html: &str) -> Vec<&str> {
        html.split(|c: char| c.is_whitespace() || c == '<')
            .filter(|word| {
                word.strip_prefix("on").is_some_and(|rest| {
                    let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
                    !name.is_empty() && rest[name.len()..].starts_with('=')
                })
            })
            .collect()
    }
}
