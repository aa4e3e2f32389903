//! The workshop's sequence diagrams (docs/workshop.md), drawn as SVG by this
//! code when the page is rendered: the session's login, request and logout;
//! the JWT's login, request and refresh; the JWT's logout with and without a
//! denylist. Nothing is fetched and no Mermaid runs: a diagram here is data.

use std::fmt::Write as _;

use super::escape::esc;

/// One step of a diagram, top to bottom.
pub enum Step {
    /// A request from one participant to another (by index).
    Call(usize, usize, &'static str),
    /// An answer: drawn dashed.
    Reply(usize, usize, &'static str),
    /// What a participant does by itself.
    Own(usize, &'static str),
    /// A line across the diagram that starts a case (`alt`/`else`).
    Case(&'static str),
}

pub struct Diagram {
    pub id: &'static str,
    pub title: &'static str,
    pub participants: &'static [&'static str],
    pub steps: &'static [Step],
}

use Step::{Call, Case, Own, Reply};

pub const DIAGRAMS: &[Diagram] = &[
    Diagram {
        id: "session-flow",
        title: "Session: login, request, logout",
        participants: &["Browser", "session-app", "session store"],
        steps: &[
            Call(0, 1, "POST /login {email, password}"),
            Own(1, "bcrypt verify (blocking pool)"),
            Call(1, 2, "insert session {user id} under a new random id"),
            Reply(1, 0, "200, Set-Cookie: sid=<id>; HttpOnly; SameSite=Lax"),
            Call(0, 1, "GET /protected (the browser adds Cookie: sid)"),
            Call(1, 2, "load session <id>"),
            Reply(2, 1, "{user id}"),
            Reply(1, 0, "200 {\"email\", \"message\"}"),
            Call(0, 1, "POST /logout, Cookie: sid"),
            Call(1, 2, "delete session <id>"),
            Reply(1, 0, "204, Set-Cookie: sid=; Max-Age=0"),
            Call(0, 1, "GET /protected with the old sid"),
            Call(1, 2, "load session <id>"),
            Reply(2, 1, "none"),
            Reply(1, 0, "401: refused at once"),
        ],
    },
    Diagram {
        id: "jwt-flow",
        title: "JWT: login, request, refresh",
        participants: &["Browser (page script)", "jwt-app", "users database"],
        steps: &[
            Call(0, 1, "POST /login {email, password}"),
            Own(1, "bcrypt verify (blocking pool)"),
            Call(1, 2, "store hash(refresh token R1) in a new family"),
            Reply(1, 0, "200 {access_token (JWT, 15 min), refresh_token R1}"),
            Own(0, "localStorage.setItem(…)"),
            Call(0, 1, "GET /protected, Authorization: Bearer <JWT>"),
            Own(1, "check signature, alg, iss, aud, exp: no lookup"),
            Reply(1, 0, "200 {\"email\", \"message\"}"),
            Call(0, 1, "POST /refresh {R1} (the JWT expired)"),
            Call(1, 2, "spend R1, store R2 in the same family"),
            Reply(1, 0, "200 {new access_token, R2}"),
            Call(0, 1, "POST /refresh {R1} again (a copy of it)"),
            Call(1, 2, "R1 already spent: revoke the family (R2 too)"),
            Reply(1, 0, "401 invalid_grant"),
        ],
    },
    Diagram {
        id: "jwt-logout",
        title: "JWT: logout, without and with a denylist",
        participants: &["Browser", "jwt-app", "denylist (memory or Redis)"],
        steps: &[
            Call(0, 1, "POST /logout, Bearer <JWT>"),
            Own(1, "revoke the refresh family"),
            Call(1, 2, "deny sid and jti until exp (only with DENYLIST on)"),
            Reply(1, 0, "204"),
            Call(0, 1, "GET /protected, Bearer <the same JWT>"),
            Case("DENYLIST=off: the articles' stateless mode"),
            Own(1, "signature and exp still good"),
            Reply(1, 0, "200: the loophole, until exp"),
            Case("DENYLIST=memory or redis"),
            Call(1, 2, "is sid or jti denied?"),
            Reply(2, 1, "yes"),
            Reply(1, 0, "401: a lookup per request"),
        ],
    },
];

const LANE: f64 = 330.0;
const MARGIN: f64 = 40.0;
const HEAD: f64 = 92.0;
const ROW: f64 = 38.0;
const BOX_W: f64 = 240.0;

const SESSION: &str = "#1f5fa8";
const INK: &str = "#111111";

/// `d` as one SVG document.
pub fn svg(d: &Diagram) -> String {
    let n = d.participants.len() as f64;
    let width = MARGIN * 2.0 + LANE * (n - 1.0) + BOX_W;
    let height = HEAD + ROW * d.steps.len() as f64 + 40.0;
    let x = |i: usize| MARGIN + BOX_W / 2.0 + LANE * i as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" class=\"sequence\">\n\
         <defs><marker id=\"{id}-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{INK}\"/></marker></defs>\n\
         <rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n\
         <text x=\"{MARGIN}\" y=\"28\" font-size=\"20\" font-weight=\"bold\" fill=\"{INK}\">{}</text>\n",
        esc(d.title),
        id = d.id,
    );
    for (i, p) in d.participants.iter().enumerate() {
        let cx = x(i);
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"42\" width=\"{BOX_W}\" height=\"34\" rx=\"4\" fill=\"#eef3fa\" \
             stroke=\"{SESSION}\" stroke-width=\"2\"/>\
             <text x=\"{cx}\" y=\"65\" text-anchor=\"middle\" font-size=\"16\" \
             font-weight=\"bold\" fill=\"{INK}\">{}</text>\
             <line x1=\"{cx}\" y1=\"76\" x2=\"{cx}\" y2=\"{}\" stroke=\"#888\" \
             stroke-dasharray=\"5 5\"/>",
            cx - BOX_W / 2.0,
            esc(p),
            height - 14.0
        );
    }
    for (row, step) in d.steps.iter().enumerate() {
        let y = HEAD + ROW * row as f64 + 24.0;
        match *step {
            Call(a, b, text) | Reply(a, b, text) => {
                let dashed = matches!(step, Reply(..));
                let (x1, x2) = (x(a), x(b));
                let _ = writeln!(
                    out,
                    "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"{INK}\" \
                     stroke-width=\"1.6\"{} marker-end=\"url(#{}-arrow)\"/>\
                     <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\" \
                     fill=\"{INK}\">{}</text>",
                    if dashed {
                        " stroke-dasharray=\"7 4\""
                    } else {
                        ""
                    },
                    d.id,
                    (x1 + x2) / 2.0,
                    y - 6.0,
                    esc(text)
                );
            }
            Own(a, text) => {
                let _ = writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"22\" fill=\"#ffd98a\" \
                     stroke=\"{INK}\"/><text x=\"{}\" y=\"{}\" font-size=\"14\" \
                     font-style=\"italic\" fill=\"{INK}\">{}</text>",
                    x(a) - 6.0,
                    y - 16.0,
                    x(a) + 12.0,
                    y,
                    esc(text)
                );
            }
            Case(text) => {
                let _ = writeln!(
                    out,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#bf5400\" \
                     stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\
                     <text x=\"{}\" y=\"{}\" font-size=\"14\" font-weight=\"bold\" \
                     fill=\"#8a3c00\">[{}]</text>",
                    MARGIN / 2.0,
                    y - 12.0,
                    width - MARGIN / 2.0,
                    y - 12.0,
                    MARGIN / 2.0 + 4.0,
                    y + 6.0,
                    esc(text)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_diagram_draws_its_participants_and_every_step() {
        for d in DIAGRAMS {
            let svg = svg(d);
            for p in d.participants {
                assert!(
                    svg.contains(&format!(">{}</text>", esc(p))),
                    "{}: {p}",
                    d.id
                );
            }
            let calls = d
                .steps
                .iter()
                .filter(|s| matches!(s, Call(..) | Reply(..)))
                .count();
            assert_eq!(svg.matches("marker-end=").count(), calls, "{}", d.id);
            for step in d.steps {
                let (a, b) = match *step {
                    Call(a, b, _) | Reply(a, b, _) => (a, b),
                    Own(a, _) => (a, a),
                    Case(_) => continue,
                };
                assert!(a.max(b) < d.participants.len(), "{}", d.id);
            }
        }
    }
}
