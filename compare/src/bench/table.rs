//! The bench's results for people: a table per section (plain text or
//! markdown), the settings above them, and what the ratios are against.

use comfy_table::{ContentArrangement, Table, presets};

use super::{BenchReport, FloodResult, MemoryResult, RowResult, WrkCheck};

pub fn render(report: &BenchReport, markdown: bool) -> String {
    let s = &report.settings;
    let mut out = String::new();
    out.push_str(&format!("{}\n", report.machine.summary()));
    out.push_str(&format!(
        "GET /protected · {} keep-alive connections · {} round(s) of {:.1} s per row after {:.1} s \
         of warm-up · median of the rounds · servers' RUST_LOG={}\n\n",
        s.connections, s.rounds, s.seconds_per_round, s.warm_up_seconds, s.server_log
    ));
    out.push_str(&rows(&report.rows, markdown));
    out.push_str(
        "\n× bare: the row's rate over its bare counterpart's (same library work, nothing of \
         ours), per round, median. × route: over bare/route's (an axum route and its JSON). \
         CPU/req: the server process's CPU time per request (user + system, every thread), \
         median of the rounds; CPU × bare: the counterpart's over the row's, read like × bare \
         but without the load generator's share of the cores.\n",
    );
    if !report.flood.is_empty() {
        out.push('\n');
        out.push_str(&flood(&report.flood, markdown));
    }
    if !report.memory.is_empty() {
        out.push('\n');
        out.push_str(&memory(&report.memory, s.memory_logins, markdown));
    }
    if !report.wrk.is_empty() {
        out.push('\n');
        out.push_str(&wrk(&report.wrk, markdown));
    }
    let problems: Vec<String> = report
        .rows
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.name)))
        .chain(
            report
                .flood
                .iter()
                .filter_map(|f| f.error.as_ref().map(|e| format!("flood {}: {e}", f.name))),
        )
        .chain(report.memory.iter().filter_map(|m| {
            m.error
                .as_ref()
                .map(|e| format!("memory {}, {}: {e}", m.store, m.unit))
        }))
        .chain(
            report
                .wrk
                .iter()
                .filter_map(|w| w.error.as_ref().map(|e| format!("wrk {}: {e}", w.name))),
        )
        .collect();
    if !problems.is_empty() {
        out.push_str("\nNot measured:\n");
        for p in problems {
            out.push_str(&format!("  {p}\n"));
        }
    }
    out
}

fn table(markdown: bool, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(if markdown {
        presets::ASCII_MARKDOWN
    } else {
        presets::UTF8_FULL_CONDENSED
    })
    .set_content_arrangement(ContentArrangement::Disabled)
    .set_header(header.to_vec());
    t
}

fn rows(rows: &[RowResult], markdown: bool) -> String {
    let mut t = table(
        markdown,
        &[
            "row",
            "held against",
            "req/s",
            "p50",
            "p90",
            "p99",
            "× bare",
            "× route",
            "CPU/req",
            "CPU × bare",
            "errors",
        ],
    );
    for r in rows {
        let note = r
            .skipped
            .as_deref()
            .or(r.error.as_deref().map(|_| "failed"));
        t.add_row(vec![
            r.name.clone(),
            r.counterpart.clone().unwrap_or_else(|| "–".into()),
            note.map_or_else(|| rate(r.requests_per_s), first_line),
            ms(r.p50_ms),
            ms(r.p90_ms),
            ms(r.p99_ms),
            times(r.vs_counterpart),
            times(r.vs_route),
            r.cpu_us_per_request
                .map_or_else(|| "–".into(), |us| format!("{us:.1} µs")),
            times(r.cpu_vs_counterpart),
            r.errors.to_string(),
        ]);
    }
    format!("{t}\n")
}

fn flood(results: &[FloodResult], markdown: bool) -> String {
    let mut t = table(
        markdown,
        &[
            "login flood",
            "p50 alone",
            "p50 flood",
            "p99 alone",
            "p99 flood",
            "p99 ×",
            "logins ok",
            "503 busy",
            "429",
            "other",
            "busy share",
        ],
    );
    for f in results {
        t.add_row(vec![
            format!(
                "{} (cost {}, {} login clients)",
                f.name, f.bcrypt_cost, f.login_clients
            ),
            ms(f.p50_alone_ms),
            ms(f.p50_flood_ms),
            ms(f.p99_alone_ms),
            ms(f.p99_flood_ms),
            times(f.p99_ratio),
            f.logins_ok.to_string(),
            f.logins_busy.to_string(),
            f.logins_throttled.to_string(),
            f.logins_other.to_string(),
            f.busy_share
                .map_or_else(|| "–".into(), |s| format!("{:.0} %", s * 100.0)),
        ]);
    }
    format!(
        "{t}\n/protected on 8 connections, alone and while the login clients (one account each) \
         each keep a login in flight; 503 busy = turned away after the hash queue timeout, with \
         Retry-After, instead of waiting without bound.\n"
    )
}

fn memory(results: &[MemoryResult], logins: usize, markdown: bool) -> String {
    let mut t = table(
        markdown,
        &[
            "memory per signed-in user",
            "one",
            "costs",
            "over",
            "read as",
        ],
    );
    for m in results {
        let note = m
            .skipped
            .as_deref()
            .or(m.error.as_deref().map(|_| "failed"));
        t.add_row(vec![
            m.store.clone(),
            m.unit.clone(),
            note.map_or_else(
                || m.bytes.map_or_else(|| "–".into(), |b| format!("{b:.0} B")),
                first_line,
            ),
            m.over.to_string(),
            m.method.clone(),
        ]);
    }
    format!(
        "{t}\n{logins} logins of one account per store (bcrypt cost 4, request log off), each a \
         new session or refresh token; the Redis stores at most 1000, then each login logged \
         out for the denylist entries.\n"
    )
}

fn wrk(checks: &[WrkCheck], markdown: bool) -> String {
    let mut t = table(
        markdown,
        &[
            "wrk cross-check",
            "ours req/s",
            "wrk req/s",
            "ours/wrk",
            "ours p50",
            "wrk p50",
            "ours p99",
            "wrk p99",
        ],
    );
    for c in checks {
        let ratio = match (c.ours_requests_per_s, c.wrk_requests_per_s) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        t.add_row(vec![
            format!("{} ({} conn, {:.0} s)", c.name, c.connections, c.seconds),
            rate(c.ours_requests_per_s),
            rate(c.wrk_requests_per_s),
            times(ratio),
            ms(c.ours_p50_ms),
            ms(c.wrk_p50_ms),
            ms(c.ours_p99_ms),
            ms(c.wrk_p99_ms),
        ]);
    }
    format!("{t}\n")
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    line.chars().take(60).collect()
}

fn rate(v: Option<f64>) -> String {
    match v {
        Some(v) if v >= 10_000.0 => format!("{:.1}k", v / 1000.0),
        Some(v) => format!("{v:.0}"),
        None => "–".into(),
    }
}

fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) if v < 10.0 => format!("{v:.2} ms"),
        Some(v) => format!("{v:.0} ms"),
        None => "–".into(),
    }
}

fn times(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.2}×"))
}
