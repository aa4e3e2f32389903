//! The report as one self-contained HTML page to project or print: the
//! claims and their verdicts with the status matrix, the measured table, the
//! flows as sequence diagrams, then a section per scenario (the claim's
//! verdict, the contract check, the cells coloured by what they mean, its
//! charts, lesson). CSS and SVG are inline and nothing is fetched (no
//! stylesheet, script, font or image from anywhere), so the file works
//! offline and in an e-mail. The sections come from the report's scenarios,
//! so a new scenario shows here without a change to this file.

use super::{
    Cell, Report, ScenarioReport, charts,
    escape::{esc, esc_code},
    matrix, plot, sequence,
    verdict::{ClaimVerdict, Meaning},
};
use crate::columns::{App, Configuration, configuration_names};

/// The `id` of the `<script type="application/json">` that carries the
/// report's JSON, for scripts (and tests) reading the page.
pub const DATA_ID: &str = "report-data";

pub fn page(report: &Report) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Server-side sessions vs JWTs, measured</title>\n<style>\n",
    );
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str(&header(report));
    out.push_str(&contents(report));
    out.push_str(&claims(report));
    out.push_str(&measured_table(report));
    out.push_str(&flows());
    for (i, scenario) in report.scenarios.iter().enumerate() {
        out.push_str(&section(report, i + 1, scenario));
    }
    out.push_str(&footer(report));
    out.push_str("</body>\n</html>\n");
    out
}

fn header(report: &Report) -> String {
    let mut out = String::from("<header>\n<h1>Server-side sessions vs JWTs, measured</h1>\n");
    out.push_str(&format!(
        "<p class=\"machine\">Measured by <code>cargo compare</code> on {}.</p>\n",
        esc(&report.machine.summary())
    ));
    if report.machine.quick {
        out.push_str(
            "<p class=\"quick\">A quick run (<code>--quick</code>): short load phases, for \
             tests. The statuses hold; the speeds are not numbers to quote.</p>\n",
        );
    }
    if let Some(left_out) = left_out(report) {
        out.push_str(&format!("<p class=\"left-out\">{}</p>\n", esc(&left_out)));
    }
    let clean = report.unexpected().is_empty();
    for line in report.verdict() {
        out.push_str(&format!(
            "<p class=\"verdict {}\">{}</p>\n",
            if clean { "ok" } else { "bad" },
            esc(&line)
        ));
    }
    out.push_str("</header>\n");
    out
}

/// The scenarios and columns this run left out (`--scenario`, `--config`),
/// so that a missing section or chart reads as not run, not as forgotten.
fn left_out(report: &Report) -> Option<String> {
    let scenarios = &report.left_out;
    let columns: Vec<&str> = configuration_names()
        .filter(|c| !report.configurations.iter().any(|r| r == c))
        .collect();
    let mut parts = Vec::new();
    if !scenarios.is_empty() {
        parts.push(format!("scenarios {}", scenarios.join(", ")));
    }
    if !columns.is_empty() {
        parts.push(format!("columns {}", columns.join(", ")));
    }
    (!parts.is_empty()).then(|| format!("Not run this time: {}.", parts.join("; ")))
}

/// Links to the table and to each scenario's section.
fn contents(report: &Report) -> String {
    let mut out = String::from(
        "<nav>\n<p><a href=\"#claims\">The claims, measured</a>, \
         <a href=\"#measured\">the measured table</a>, <a href=\"#flows\">the flows</a>, \
         then each scenario:</p>\n<ol>\n",
    );
    for s in &report.scenarios {
        out.push_str(&format!(
            "<li><a href=\"#{}\">{}</a></li>\n",
            anchor(s),
            esc(&s.title)
        ));
    }
    out.push_str("</ol>\n</nav>\n");
    out
}

/// Each scenario's claim and the verdict the rules draw on it, then the
/// status matrix.
fn claims(report: &Report) -> String {
    let mut out = String::from(
        "<section id=\"claims\">\n<h2>The claims, measured</h2>\n\
         <table class=\"claims\">\n<thead>\n<tr><th scope=\"col\">the articles say</th>\
         <th scope=\"col\">verdict</th><th scope=\"col\">what was measured</th></tr>\n\
         </thead>\n<tbody>\n",
    );
    for s in &report.scenarios {
        let v = &s.claim_verdict;
        out.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"#{}\">{}</a></th><td class=\"v-{}\">{}</td>\
             <td>{}</td></tr>\n",
            anchor(s),
            esc_code(&s.claim),
            v.verdict.class(),
            esc(v.verdict.words()),
            esc_code(&v.why)
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    let svg = matrix::svg(report).replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"The status matrix: each scenario's outcome in each \
         column, coloured by what it means for the user\" ",
        1,
    );
    out.push_str(&format!(
        "<figure class=\"matrix\" id=\"{}\">\n{svg}<figcaption>Each cell: the measured status \
         or value, and what it means for the user. Green: as the user wants (works, or refused \
         when it must be). Amber: the claim's catch (still works after logout, a demotion, on \
         another instance or a restart; readable by anyone). Red: against the user (logged out, \
         a forgery let in). Grey: a number.</figcaption>\n</figure>\n</section>\n",
        matrix::ID
    ));
    out
}

/// The workshop's flows, drawn as sequence diagrams.
fn flows() -> String {
    let mut out = String::from(
        "<section id=\"flows\">\n<h2>The flows</h2>\n<p class=\"lesson\">What each server \
         does with a login, as the workshop draws it (<code>docs/workshop.md</code>): a session \
         id names a row the server keeps; a JWT is the row itself, signed.</p>\n",
    );
    for d in sequence::DIAGRAMS {
        let svg = sequence::svg(d).replacen(
            "<svg ",
            &format!("<svg role=\"img\" aria-label=\"{}\" ", esc(d.title)),
            1,
        );
        out.push_str(&format!(
            "<figure class=\"sequence\" id=\"flow-{}\">\n{svg}</figure>\n",
            esc(d.id)
        ));
    }
    out.push_str("</section>\n");
    out
}

/// The cells of the text table, one row per scenario, columns in order.
fn measured_table(report: &Report) -> String {
    let mut out = String::from(
        "<section id=\"measured\">\n<h2>The measured table</h2>\n\
         <table class=\"measured\">\n<thead>\n<tr><th scope=\"col\">scenario</th>",
    );
    for config in &report.configurations {
        out.push_str(&format!(
            "<th scope=\"col\" class=\"{}\">{}</th>",
            app_class(config),
            breakable(config)
        ));
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for (i, s) in report.scenarios.iter().enumerate() {
        out.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"#{}\">{}. {}</a></th>",
            anchor(s),
            i + 1,
            esc(&s.title)
        ));
        for (config, cell) in report.cells(s) {
            out.push_str(&td(cell, s.claim_verdict.meaning(config)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str(
        "</tbody>\n</table>\n<p class=\"key\"><span class=\"bad-key\">✗</span> differs from \
         what the contract says · <em>italic</em>: not measured · the colour and the word above \
         each outcome: what it means for the user (<span class=\"tone-good\">as wanted</span>, \
         <span class=\"tone-catch\">the claim's catch</span>, <span class=\"tone-bad\">against \
         the user</span>)</p>\n</section>\n",
    );
    out
}

/// One scenario: the verdict on what is claimed, whether the contract held,
/// what each column measured and what that means, its charts, and what it
/// teaches.
fn section(report: &Report, number: usize, s: &ScenarioReport) -> String {
    let (class, verdict) = verdict(report, s);
    let mut out = format!(
        "<section class=\"scenario\" id=\"{}\">\n<h2>{number}. {} <code class=\"id\">{}</code></h2>\n\
         {}\
         <p class=\"verdict {class}\"><span class=\"tag\">Contract check</span> {}</p>\n\
         <table class=\"cells\">\n<tbody>\n",
        anchor(s),
        esc(&s.title),
        esc(&s.id),
        claim_verdict(&s.claim, &s.claim_verdict),
        esc(&verdict)
    );
    for (config, cell) in report.cells(s) {
        out.push_str(&format!(
            "<tr><th scope=\"row\" class=\"{}\">{}</th>{}</tr>\n",
            app_class(config),
            breakable(config),
            td(cell, s.claim_verdict.meaning(config))
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    for chart in charts::of_scenario(&s.id) {
        if let Some(series) = charts::series(report, chart) {
            out.push_str(&figure(report, &series));
        }
    }
    out.push_str(&format!(
        "<p class=\"lesson\"><span class=\"tag\">What it shows</span> {}</p>\n</section>\n",
        esc_code(&s.lesson)
    ));
    out
}

fn figure(report: &Report, series: &charts::Series) -> String {
    let chart = series.chart;
    let svg = plot::document(report, series);
    // Inline, the SVG scales to the page by its viewBox; the label is what a
    // screen reader says for it.
    let svg = svg.replacen(
        "<svg ",
        &format!(
            "<svg role=\"img\" aria-label=\"{}\" ",
            esc(&format!("{}: {}", chart.title, described(series)))
        ),
        1,
    );
    format!(
        "<figure class=\"chart\" id=\"chart-{}\" data-metric=\"{}\">\n{svg}</figure>\n",
        esc(chart.id),
        esc(chart.metric.key())
    )
}

/// The bars in words: `session/memory 36 B, jwt 417 B, …`.
fn described(series: &charts::Series) -> String {
    series
        .bars
        .iter()
        .map(|b| match b.value {
            Ok(v) => format!("{} {}", b.column, series.chart.metric.show(v)),
            Err(why) => format!("{} {}", b.column, why.label()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `s`'s cells are what the contract says, and which are not.
fn verdict(report: &Report, s: &ScenarioReport) -> (&'static str, String) {
    let mut differ = Vec::new();
    let (mut skipped, mut not_run, mut columns) = (0, 0, 0);
    for (config, cell) in report.cells(s) {
        columns += 1;
        match cell {
            None => not_run += 1,
            Some(c) if c.skipped => skipped += 1,
            Some(c) if !c.expected => differ.push(config),
            Some(_) => {}
        }
    }
    let measured = columns - skipped - not_run;
    let mut text = if differ.is_empty() {
        format!("✓ As the contract says in all {measured} measured column(s).")
    } else {
        format!(
            "✗ Differs from the contract in {} of {measured} measured column(s): {}.",
            differ.len(),
            differ.join(", ")
        )
    };
    if skipped > 0 {
        text.push_str(&format!(" {skipped} column(s) skipped, not measured."));
    }
    if not_run > 0 {
        text.push_str(&format!(" {not_run} column(s) not run."));
    }
    (if differ.is_empty() { "ok" } else { "bad" }, text)
}

/// The claim's verdict, first in its section: the claim, the verdict in
/// words and colour, and why.
fn claim_verdict(claim: &str, v: &ClaimVerdict) -> String {
    let numbers = v
        .numbers
        .as_deref()
        .map(|n| format!("<p class=\"numbers\">{}</p>\n", esc_code(n)))
        .unwrap_or_default();
    format!(
        "<div class=\"claim-verdict v-{}\">\n<p class=\"claim\"><span class=\"tag\">The articles \
         say</span> {}</p>\n<p class=\"words\"><span class=\"tag\">Verdict on the claim</span> \
         <strong>{}</strong></p>\n<p class=\"why\">{}</p>\n{numbers}</div>\n",
        v.verdict.class(),
        esc_code(claim),
        esc(v.verdict.words()),
        esc_code(&v.why)
    )
}

/// A cell: its meaning for the user (colour and words), then its outcome.
fn td(cell: Option<&Cell>, meaning: Option<&Meaning>) -> String {
    let (tone, label) = match meaning {
        Some(m) if !m.label.is_empty() => (
            format!("tone-{}", m.tone.class()),
            format!("<span class=\"meaning\">{}</span> ", esc(&m.label)),
        ),
        _ => ("tone-unmeasured".to_owned(), String::new()),
    };
    match cell {
        None => format!("<td class=\"skipped {tone}\">{}</td>", super::NOT_RUN),
        Some(c) if c.skipped => {
            format!("<td class=\"skipped {tone}\">{}</td>", esc_code(&c.outcome))
        }
        Some(c) if c.expected => {
            format!("<td class=\"{tone}\">{label}{}</td>", esc_code(&c.outcome))
        }
        Some(c) => format!(
            "<td class=\"bad {tone}\">{label}✗ {}</td>",
            esc_code(&c.outcome)
        ),
    }
}

fn footer(report: &Report) -> String {
    // `<` is escaped so that no string in the JSON can close the script.
    let json = report.json().replace('<', "\\u003c");
    format!(
        "<footer>\n<p>Made by <code>cargo compare --format html</code> (<code>just report</code>). \
         The numbers and statuses above are this page's JSON report (version {}), kept below \
         for scripts: <code>--format json</code> prints the same.</p>\n</footer>\n\
         <script type=\"application/json\" id=\"{DATA_ID}\">\n{json}\n</script>\n",
        report.version
    )
}

/// The section's fragment id.
fn anchor(s: &ScenarioReport) -> String {
    format!("scenario-{}", esc(&s.id))
}

/// The class that colours a column by its server, as the charts do.
fn app_class(config: &str) -> &'static str {
    match Configuration::named(config).map(|c| c.app) {
        Some(App::Session) => "session",
        Some(App::Jwt) => "jwt",
        None => "other",
    }
}

/// A column name that may break after `/` and `+` (`jwt+` `denylist/`
/// `redis`) and nowhere else, as in the text table.
fn breakable(name: &str) -> String {
    esc(name).replace('/', "/<wbr>").replace('+', "+<wbr>")
}

/// Light, high-contrast, large: for a projector at the back of a room, and
/// for paper. Sizes follow the window, so the same page fills a projector's
/// 1920 pixels and a laptop's screen.
const CSS: &str = r#":root {
  color-scheme: light;
  --ink: #111; --muted: #474747; --rule: #8c8c8c; --soft: #efefef;
  --session: #1f5fa8; --jwt: #bf5400; --ok: #11612a; --bad: #a3190f; --bad-bg: #fdebe9;
}
* { box-sizing: border-box; }
html { font-size: clamp(17px, 0.55rem + 0.9vw, 30px); }
body {
  margin: 0 auto; max-width: 90rem; padding: 1rem 3vw 3rem;
  background: #fff; color: var(--ink); line-height: 1.4;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
h1 { font-size: 2.1rem; line-height: 1.15; margin: .3em 0; }
h2 { font-size: 1.55rem; line-height: 1.2; margin: 1.8em 0 .5em; padding-top: .5em; border-top: 5px solid var(--ink); }
a { color: inherit; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .9em; }
code.id { font-size: .55em; font-weight: normal; color: var(--muted); vertical-align: middle; }
.machine, .key, footer { color: var(--muted); font-size: .8rem; }
.left-out { font-weight: 600; }
.quick { border: 3px solid var(--ink); background: #fff3c4; padding: .4em .7em; font-weight: 600; }
.verdict { font-weight: 700; }
.verdict.ok { color: var(--ok); }
.verdict.bad, .bad-key { color: var(--bad); }
nav ol { columns: 2; column-gap: 3rem; margin: .3em 0; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td {
  border: 1px solid var(--rule); padding: .3em .45em; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; hyphens: auto;
}
thead th { background: var(--soft); }
th.session { border-left: 8px solid var(--session); }
th.jwt { border-left: 8px solid var(--jwt); }
thead th.session, thead th.jwt { border-left: 1px solid var(--rule); border-top: 8px solid; }
thead th.session { border-top-color: var(--session); }
thead th.jwt { border-top-color: var(--jwt); }
table.measured { font-size: .66rem; }
table.measured tbody th { width: 12%; }
table.measured a { text-decoration: none; }
table.cells { font-size: .9rem; }
table.cells th { width: 24%; white-space: nowrap; }
td.bad { outline: 4px solid var(--bad); outline-offset: -4px; font-weight: 700; }
td.skipped { color: var(--muted); font-style: italic; }
.tone-good { background: #d7efdc; color: #0b4f20; }
.tone-catch { background: #ffd98a; color: #3d2700; }
.tone-bad { background: #f7c6c0; color: #7d120a; }
.tone-info { background: #f4f4f4; }
span.tone-good, span.tone-catch, span.tone-bad { padding: 0 .3em; }
.meaning {
  display: block; font-size: .8em; font-weight: 700; letter-spacing: .02em;
  text-transform: uppercase;
}
.tone-catch .meaning::before { content: "⚠ "; }
.tone-bad .meaning::before { content: "✗ "; }
.tone-good .meaning::before { content: "✓ "; }
.claim-verdict { border-left: 14px solid var(--rule); background: var(--soft); padding: .3em .9em; margin: .6em 0 .8em; }
.claim-verdict p { margin: .35em 0; }
.claim-verdict .words { font-size: 1.45rem; }
.claim-verdict .why { font-size: 1.05rem; }
.claim-verdict .numbers { font-size: .85rem; color: var(--muted); }
.v-holds { border-color: var(--ok); }
.v-holds .words strong, td.v-holds { color: var(--ok); }
.v-holds-with-a-catch { border-color: #d08a00; background: #fff4d6; }
.v-holds-with-a-catch .words strong, td.v-holds-with-a-catch { color: #7a4f00; }
.v-half-true { border-color: #bf5400; background: #fde9d9; }
.v-half-true .words strong, td.v-half-true { color: #8a3c00; }
.v-false-in-practice { border-color: var(--bad); background: var(--bad-bg); }
.v-false-in-practice .words strong, td.v-false-in-practice { color: var(--bad); }
.v-not-measured .words strong, td.v-not-measured { color: var(--muted); font-style: italic; }
table.claims { font-size: .8rem; margin-bottom: 1rem; }
table.claims thead th:first-child { width: 30%; }
table.claims thead th:nth-child(2) { width: 13%; }
table.claims td[class^="v-"] { font-weight: 800; font-size: 1.1em; }
figure.matrix, figure.sequence { margin: 1.2rem 0; }
figure.matrix svg, figure.sequence svg { display: block; width: 100%; height: auto; border: 1px solid #d0d0d0; }
figure.matrix figcaption { font-size: .8rem; color: var(--muted); }
.claim, .lesson { font-size: 1.1rem; }
.tag {
  display: inline-block; margin-right: .4em; padding: 0 .35em; border: 2px solid currentColor;
  font-size: .7em; font-weight: 700; letter-spacing: .04em; text-transform: uppercase;
}
figure.chart { margin: 1.2rem 0; }
figure.chart svg { display: block; width: 100%; height: auto; border: 1px solid #d0d0d0; }
@media print {
  html { font-size: 10.5pt; }
  body { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  tr, figure.chart, figure.matrix, figure.sequence, .claim-verdict { break-inside: avoid; }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Metric, sample};

    #[test]
    fn a_scenario_the_page_does_not_know_gets_its_row_and_section() {
        let mut report = sample::report();
        report.scenarios.push(ScenarioReport::new(
            "decentralized",
            "Keys <on> devices",
            "No server at all.",
            "Some state is still somewhere.",
            vec![("jwt".into(), Cell::new("200 on B", 200, true))],
        ));
        report.judge();
        let page = page(&report);
        assert!(page.contains("<section class=\"scenario\" id=\"scenario-decentralized\">"));
        assert!(
            page.contains("3. Keys &lt;on&gt; devices"),
            "titles are escaped"
        );
        assert!(page.contains("<td class=\"skipped tone-unmeasured\">not run</td>"));
        assert!(
            page.contains(
                "✓ As the contract says in all 1 measured column(s). 1 column(s) not run."
            )
        );
    }

    #[test]
    fn the_scenarios_and_columns_left_out_are_named() {
        let page = page(&sample::report());
        let line = page
            .lines()
            .find(|l| l.starts_with("<p class=\"left-out\">Not run this time: scenarios login, "))
            .expect("the line");
        assert!(
            !line.contains("logout-replay") && !line.contains(" tampering"),
            "{line}"
        );
        assert!(
            line.contains("; columns session/sqlite, session/redis, "),
            "{line}"
        );
        assert!(!line.contains("session/memory"), "{line}");
    }

    #[test]
    fn unexpected_cells_and_skipped_ones_are_marked_in_words_not_only_colour() {
        let page = page(&sample::with_skipped_column());
        assert!(page.contains(
            "<td class=\"bad tone-good\"><span class=\"meaning\">forgery refused</span> ✗ 200 | \
             still works</td>"
        ));
        assert!(page.contains(
            "<td class=\"skipped tone-unmeasured\">skipped: no Redis — set REDIS_URL</td>"
        ));
        assert!(page.contains(
            "✗ Differs from the contract in 1 of 2 measured column(s): jwt. 1 column(s) not run."
        ));
        assert!(page.contains("1 column(s) skipped, not measured."));
        assert!(page.contains("A quick run"));
    }

    #[test]
    fn the_json_rides_along_and_cannot_close_its_script() {
        let mut report = sample::report();
        report.scenarios[0].lesson = "</script><script>alert(1)</script>".into();
        report.scenarios[0].results[0].1 =
            Cell::new("36 B", 36, true).with(Metric::CredentialBytes, 36.0);
        let page = page(&report);
        assert_eq!(
            page.matches("</script>").count(),
            1,
            "only the data's own end"
        );
        let start = page.find("application/json").expect("the data");
        let json = &page[page[start..].find('>').expect("tag end") + start + 1
            ..page.find("</script>").expect("end")];
        let v: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
        assert_eq!(
            v["scenarios"][0]["lesson"],
            "</script><script>alert(1)</script>"
        );
        assert_eq!(
            v["scenarios"][0]["results"]["session/memory"]["metrics"]["credential_bytes"],
            36.0
        );
    }

    #[test]
    fn each_section_leads_with_the_claims_verdict_and_colours_cells_by_meaning() {
        let mut report = sample::report();
        report.scenarios[0].lesson = "until `exp` <here>".into();
        let page = page(&report);
        let section = &page[page.find("id=\"scenario-logout-replay\"").expect("section")..];
        let after_heading = &section[section.find("</h2>\n").expect("heading") + 6..];
        assert!(
            after_heading.starts_with("<div class=\"claim-verdict v-holds\">"),
            "{}",
            &after_heading[..200]
        );
        assert!(after_heading.contains("<strong>holds</strong>"));
        assert!(after_heading.contains("<span class=\"tag\">Contract check</span> ✓"));
        assert!(section.contains(
            "<td class=\"tone-catch\"><span class=\"meaning\">still works after logout</span> 200"
        ));
        assert!(section.contains(
            "<td class=\"tone-good\"><span class=\"meaning\">refused</span> 401 after logout</td>"
        ));
        assert!(page.contains("until <code>exp</code> &lt;here&gt;"));
        assert!(page.contains("<figure class=\"matrix\" id=\"status-matrix\">"));
        assert_eq!(
            page.matches("<figure class=\"sequence\"").count(),
            sequence::DIAGRAMS.len()
        );
    }

    #[test]
    fn names_break_only_after_a_slash_or_plus() {
        assert_eq!(
            breakable("jwt+denylist/redis"),
            "jwt+<wbr>denylist/<wbr>redis"
        );
        assert_eq!(esc("a<b & \"c\"'"), "a&lt;b &amp; &quot;c&quot;&#39;");
    }
}
