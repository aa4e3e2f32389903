//! The status matrix: one cell per scenario × column, coloured by what its
//! outcome means for the user ([`Tone`]), showing the measured status or
//! value and that meaning in words (so that it reads without colour too).
//! Plain SVG written here, text in the viewer's sans-serif, nothing fetched.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use super::{Report, escape::esc, verdict::Tone};

/// The file `--charts DIR` writes, and the id of the page's figure.
pub const ID: &str = "status-matrix";

const LABEL_W: f64 = 300.0;
const CELL_W: f64 = 150.0;
const CELL_H: f64 = 60.0;
const HEAD_H: f64 = 78.0;
const LEGEND_H: f64 = 46.0;
const PAD: f64 = 10.0;

/// The tone's fill and ink.
pub fn colours(tone: Tone) -> (&'static str, &'static str) {
    match tone {
        Tone::Good => ("#d7efdc", "#0b4f20"),
        Tone::Catch => ("#ffd98a", "#5c3a00"),
        Tone::Bad => ("#f7c6c0", "#7d120a"),
        Tone::Info => ("#eeeeee", "#222222"),
        Tone::Unmeasured => ("#ffffff", "#555555"),
    }
}

/// What each tone says, for the legend.
pub fn legend(tone: Tone) -> &'static str {
    match tone {
        Tone::Good => "as the user wants",
        Tone::Catch => "the claim's catch",
        Tone::Bad => "against the user",
        Tone::Info => "a number",
        Tone::Unmeasured => "not measured",
    }
}

pub const TONES: [Tone; 5] = [
    Tone::Good,
    Tone::Catch,
    Tone::Bad,
    Tone::Info,
    Tone::Unmeasured,
];

/// A cell's label in the two lines a cell has room for; a longer one ends
/// in "…" rather than losing its end unseen (the whole is in the title).
fn cell_lines(label: &str) -> Vec<String> {
    let mut all = lines(label, 22);
    if all.len() > 2 {
        all.truncate(2);
        all[1].push('…');
    }
    all
}

/// `text` in lines of at most `width` characters, broken between words.
fn lines(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match out.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => out.push(word.to_owned()),
        }
    }
    out
}

/// A column name in parts that break after `/` and `+`.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    for c in name.chars() {
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
        if c == '/' || c == '+' {
            parts.push(String::new());
        }
    }
    parts.retain(|p| !p.is_empty());
    parts
}

/// The matrix as one SVG document.
pub fn svg(report: &Report) -> String {
    let columns = report.configurations.len();
    let rows = report.scenarios.len();
    let width = PAD * 2.0 + LABEL_W + CELL_W * columns as f64;
    let height = PAD * 2.0 + HEAD_H + CELL_H * rows as f64 + LEGEND_H;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" class=\"{ID}\">\n\
         <rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n"
    );
    // The header: the columns' names, broken after `/` and `+`.
    for (i, name) in report.configurations.iter().enumerate() {
        let x = PAD + LABEL_W + CELL_W * (i as f64 + 0.5);
        let parts = name_parts(name);
        let top = PAD + HEAD_H - 10.0 - 20.0 * (parts.len() as f64 - 1.0);
        for (j, part) in parts.iter().enumerate() {
            let _ = writeln!(
                out,
                "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" font-size=\"17\" \
                 font-weight=\"bold\" fill=\"#111\">{}</text>",
                top + 20.0 * j as f64,
                esc(part)
            );
        }
    }
    for (r, s) in report.scenarios.iter().enumerate() {
        let y = PAD + HEAD_H + CELL_H * r as f64;
        let title = format!("{}. {}", r + 1, s.title);
        let title_lines = lines(&title, 30);
        let first = y + CELL_H / 2.0 + 6.0 - 10.0 * (title_lines.len() as f64 - 1.0);
        for (j, line) in title_lines.iter().enumerate() {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"17\" fill=\"#111\">{}</text>",
                PAD + 4.0,
                first + 20.0 * j as f64,
                esc(line)
            );
        }
        for (c, config) in report.configurations.iter().enumerate() {
            let x = PAD + LABEL_W + CELL_W * c as f64;
            let meaning = s.claim_verdict.meaning(config).cloned().unwrap_or_default();
            let (fill, ink) = colours(meaning.tone);
            let label = if meaning.label.is_empty() {
                "not run".to_owned()
            } else {
                meaning.label.clone()
            };
            let shown = if meaning.shown.is_empty() {
                "—".to_owned()
            } else {
                meaning.shown.clone()
            };
            let _ = writeln!(
                out,
                "<g class=\"cell tone-{}\" data-scenario=\"{}\" data-column=\"{}\">\
                 <title>{}</title>\
                 <rect x=\"{x}\" y=\"{y}\" width=\"{CELL_W}\" height=\"{CELL_H}\" fill=\"{fill}\" \
                 stroke=\"#ffffff\" stroke-width=\"3\"/>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"19\" \
                 font-weight=\"bold\" fill=\"{ink}\">{}</text>",
                meaning.tone.class(),
                esc(&s.id),
                esc(config),
                esc(&format!("{config}: {shown}, {label}")),
                x + CELL_W / 2.0,
                y + 24.0,
                esc(&shown)
            );
            for (j, line) in cell_lines(&label).iter().enumerate() {
                let _ = write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" \
                     fill=\"{ink}\">{}</text>",
                    x + CELL_W / 2.0,
                    y + 40.0 + 14.0 * j as f64,
                    esc(line)
                );
            }
            out.push_str("</g>\n");
        }
    }
    // The legend, in one line under the grid.
    let y = PAD + HEAD_H + CELL_H * rows as f64 + 16.0;
    let mut x = PAD + 4.0;
    for tone in TONES {
        let (fill, _) = colours(tone);
        let text = legend(tone);
        let _ = writeln!(
            out,
            "<rect x=\"{x}\" y=\"{y}\" width=\"18\" height=\"18\" fill=\"{fill}\" \
             stroke=\"#888\"/><text x=\"{}\" y=\"{}\" font-size=\"14\" fill=\"#222\">{}</text>",
            x + 24.0,
            y + 14.0,
            esc(text)
        );
        x += 24.0 + text.chars().count() as f64 * 7.0 + 26.0;
    }
    out.push_str("</svg>\n");
    out
}

/// Writes the matrix as `DIR/status-matrix.svg`.
pub fn write_svg(report: &Report, dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{ID}.svg"));
    std::fs::write(&path, svg(report))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn one_cell_per_scenario_and_column_coloured_by_its_meaning() {
        let report = sample::with_skipped_column();
        let svg = svg(&report);
        assert_eq!(
            svg.matches("<g class=\"cell ").count(),
            report.scenarios.len() * report.configurations.len()
        );
        assert!(svg.contains(
            "<g class=\"cell tone-catch\" data-scenario=\"logout-replay\" data-column=\"jwt\">"
        ));
        assert!(svg.contains("still works after logout"));
        assert!(svg.contains(
            "<g class=\"cell tone-unmeasured\" data-scenario=\"tampering\" \
             data-column=\"session/redis\">"
        ));
    }

    #[test]
    fn a_label_too_long_for_a_cell_says_so() {
        assert_eq!(
            cell_lines("still works once ended"),
            ["still works once ended"]
        );
        let cut = cell_lines("works natively; in a browser only with third-party cookies");
        assert_eq!(cut.len(), 2);
        assert!(cut[1].ends_with('…'), "{cut:?}");
    }

    #[test]
    fn labels_wrap_between_words_and_names_after_a_slash() {
        assert_eq!(
            lines("still works after logout", 12),
            ["still works", "after logout"]
        );
        assert_eq!(
            name_parts("jwt+denylist/redis"),
            ["jwt+", "denylist/", "redis"]
        );
    }
}
