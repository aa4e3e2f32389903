//! Draws a chart's bars as SVG with plotters: one horizontal bar per column
//! (or bench row), in table order from the top, each with its value written
//! at its end, so that it reads from the back of a room without the axis.
//! The report's charts and the bench's share this drawing through
//! [`Figure`], so that both look alike.
//!
//! Text is SVG `<text>` in the viewer's sans-serif font: nothing here reads a
//! font file, and plotters only estimates label widths for the layout.

use plotters::{
    coord::ranged1d::SegmentValue,
    prelude::*,
    style::text_anchor::{HPos, Pos, VPos},
};

use super::{
    Metric, Report,
    charts::{Bar, CHARTS, Chart, Series, series},
    escape::esc,
};
use std::path::{Path, PathBuf};

use crate::columns::App;

const WIDTH: u32 = 1200;
/// Height of one column's row.
const ROW: u32 = 56;
/// Title, reading line and legend.
const HEAD: u32 = 112;
/// Ticks and the footnote.
const FOOT: u32 = 96;
/// Left of the bars: the column names (at least; longer names get more).
const NAMES: u32 = 270;
/// Right of the plot.
const RIGHT: u32 = 30;

/// plotters writes `font-size` as the size given over 1.24: these are the
/// pixel sizes of the SVG, times 1.24.
const TITLE: f64 = 34.0 * 1.24;
const TEXT: f64 = 23.0 * 1.24;
const SMALL: f64 = 17.0 * 1.24;

const INK: RGBColor = RGBColor(17, 17, 17);
const MUTED: RGBColor = RGBColor(80, 80, 80);
const GRID: RGBColor = RGBColor(205, 205, 205);
/// The pair of colours the HTML page uses too, apart for colour-blind eyes
/// (blue and orange) and dark enough on white to project.
pub const SESSION: RGBColor = RGBColor(31, 95, 168);
pub const JWT: RGBColor = RGBColor(191, 84, 0);
const OTHER: RGBColor = RGBColor(110, 110, 110);

fn colour(app: Option<App>) -> RGBColor {
    match app {
        Some(App::Session) => SESSION,
        Some(App::Jwt) => JWT,
        None => OTHER,
    }
}

/// The report's legend: the two servers.
pub const APPS: &[(&str, Option<App>)] = &[
    ("session-app", Some(App::Session)),
    ("jwt-app", Some(App::Jwt)),
];

/// How a chart writes its numbers: at the end of each bar and on the axis.
pub trait Scale {
    /// `value` for a person, unit included.
    fn show(&self, value: f64) -> String;
    /// `value` as an axis tick: short, unit included.
    fn tick(&self, value: f64) -> String;
    /// How many units one step of the axis counts (see [`Metric::axis_unit`]).
    fn axis_unit(&self, _largest: f64) -> f64 {
        1.0
    }
}

impl Scale for Metric {
    fn show(&self, value: f64) -> String {
        Metric::show(*self, value)
    }
    fn tick(&self, value: f64) -> String {
        Metric::tick(*self, value)
    }
    fn axis_unit(&self, largest: f64) -> f64 {
        Metric::axis_unit(*self, largest)
    }
}

/// Everything one chart draws: what the report's [`Series`] becomes, and
/// what the bench builds from its rows.
pub struct Figure<'a> {
    pub title: &'a str,
    /// How to read the bars, under the title.
    pub reading: &'a str,
    pub scale: &'a dyn Scale,
    pub bars: &'a [Bar<'a>],
    /// Which colour is which server (or kind of row), top right.
    pub legend: &'a [(&'a str, Option<App>)],
}

impl<'a> Figure<'a> {
    /// A report chart: its metric, its words and the two servers' colours.
    pub fn of(series: &'a Series<'a>) -> Self {
        Self {
            title: series.chart.title,
            reading: series.chart.reading,
            scale: &series.chart.metric,
            bars: &series.bars,
            legend: APPS,
        }
    }
}

/// `series` drawn as a standalone SVG document, noting which run it shows.
pub fn document(report: &Report, series: &Series) -> String {
    let m = &report.machine;
    let footnote = format!(
        "auth-compare · cargo compare · {} · {} build · bcrypt cost {} · {} cores · {}",
        if m.quick {
            "QUICK run (short load phases: not for numbers)"
        } else {
            "full run"
        },
        m.profile,
        m.bcrypt_cost,
        m.cores,
        m.date.get(..10).unwrap_or(&m.date),
    );
    svg(&Figure::of(series), &footnote)
}

/// Writes each chart whose scenario was run to `dir/ID.svg` (making `dir`
/// if needed). Returns every chart with its file, or `None` if it had no
/// scenario to draw from.
pub fn write_svgs(
    report: &Report,
    dir: &Path,
) -> std::io::Result<Vec<(&'static Chart, Option<PathBuf>)>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for chart in CHARTS {
        let file = match series(report, chart) {
            Some(series) => {
                let path = dir.join(format!("{}.svg", chart.id));
                std::fs::write(&path, document(report, &series))?;
                Some(path)
            }
            None => None,
        };
        written.push((chart, file));
    }
    Ok(written)
}

/// The chart as an SVG document, or an SVG that says it could not be drawn.
pub fn svg(figure: &Figure, footnote: &str) -> String {
    let rows = u32::try_from(figure.bars.len()).unwrap_or(u32::MAX).max(1);
    let size = (WIDTH, HEAD + ROW * rows + FOOT);
    let mut out = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(&root, figure, footnote).and_then(|()| root.present())
    };
    match drawn {
        Ok(()) => out,
        Err(e) => format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"60\">\
             <text x=\"10\" y=\"40\" font-family=\"sans-serif\" font-size=\"22\">\
             {}: the chart could not be drawn ({})</text></svg>\n",
            esc(figure.title),
            esc(&e.to_string())
        ),
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type Drawn = Result<(), DrawingAreaErrorKind<<SVGBackend<'static> as DrawingBackend>::ErrorType>>;

fn draw(root: &Area, figure: &Figure, footnote: &str) -> Drawn {
    root.fill(&WHITE)?;
    let metric = figure.scale;
    root.draw_text(figure.title, &font(TITLE, FontStyle::Bold, INK), (24, 18))?;
    root.draw_text(
        figure.reading,
        &font(SMALL, FontStyle::Normal, MUTED),
        (24, 66),
    )?;
    legend(root, figure.legend, &font(SMALL, FontStyle::Normal, INK))?;
    let (_, height) = root.dim_in_pixel();
    root.draw_text(
        footnote,
        &font(SMALL, FontStyle::Normal, MUTED),
        (24, i32::try_from(height).unwrap_or(i32::MAX) - 34),
    )?;

    let n = figure.bars.len().max(1);
    let largest = figure
        .bars
        .iter()
        .filter_map(|b| b.value.ok())
        .fold(0.0, f64::max);
    let unit = metric.axis_unit(largest);
    // Room right of the longest bar for the longest label, as plotters
    // would estimate it: about 0.55 em a character.
    let label_room = figure
        .bars
        .iter()
        .filter_map(|b| b.value.ok())
        .map(|v| metric.show(v).chars().count() as f64 * 0.55 * TEXT / 1.24 + 24.0)
        .fold(0.0, f64::max);
    let names = names_width(figure.bars);
    let plot_width = f64::from(WIDTH - names - RIGHT);
    let x_end = if largest > 0.0 {
        largest / unit * plot_width / (plot_width - label_room).max(plot_width / 3.0)
    } else {
        1.0
    };
    let area = root.margin(HEAD, FOOT - 56, 0, RIGHT);
    // A discrete range of plotters holds both its ends: 0..n-1 is n rows.
    let mut plot = ChartBuilder::on(&area)
        .x_label_area_size(44)
        .y_label_area_size(names)
        .build_cartesian_2d(0.0..x_end, (0..n - 1).into_segmented())?;
    // The first column on the top row: rows count from the bottom.
    let row = |i: usize| n - 1 - i;
    plot.configure_mesh()
        .disable_y_mesh()
        .x_labels(6)
        .x_label_formatter(&|x| metric.tick(x * unit))
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(r) if *r < n => figure
                .bars
                .get(row(*r))
                .map_or_else(String::new, |b| b.column.to_owned()),
            _ => String::new(),
        })
        .x_label_style(font(SMALL, FontStyle::Normal, MUTED))
        .y_label_style(font(TEXT, FontStyle::Normal, INK))
        .axis_style(INK)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;

    let measured = figure
        .bars
        .iter()
        .enumerate()
        .filter_map(|(i, b)| b.value.ok().map(|v| (i, b, v)));
    plot.draw_series(measured.clone().map(|(i, b, v)| {
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(row(i))),
                (v / unit, SegmentValue::Exact(row(i) + 1)),
            ],
            colour(b.app).filled(),
        );
        bar.set_margin(9, 9, 0, 0);
        bar
    }))?;
    // Text just right of where the bar ends (or would start).
    let label = |text: String, i: usize, x: f64, style: TextStyle<'static>| {
        EmptyElement::at((x, SegmentValue::CenterOf(row(i))))
            + Text::new(text, (10, 0), style.pos(Pos::new(HPos::Left, VPos::Center)))
    };
    plot.draw_series(measured.map(|(i, _, v)| {
        label(
            metric.show(v),
            i,
            v / unit,
            font(TEXT, FontStyle::Normal, INK),
        )
    }))?;
    plot.draw_series(figure.bars.iter().enumerate().filter_map(|(i, b)| {
        let why = b.value.err()?;
        let style = font(TEXT, FontStyle::Italic, MUTED);
        Some(label(format!("— {}", why.label()), i, 0.0, style))
    }))?;
    Ok(())
}

/// The viewer's sans-serif font: SVG text names a family, not a file.
fn font(size: f64, style: FontStyle, colour: RGBColor) -> TextStyle<'static> {
    ("sans-serif", size).into_font().style(style).color(&colour)
}

/// Room for the longest bar name, estimated as the bars' labels are (about
/// 0.55 em a character), never less than [`NAMES`]: the report's column
/// names fit in that, the bench's longer row names do not.
fn names_width(bars: &[Bar]) -> u32 {
    let longest = bars
        .iter()
        .map(|b| b.column.chars().count())
        .max()
        .unwrap_or(0);
    let wanted = longest as f64 * 0.55 * TEXT / 1.24 + 24.0;
    // Half the width at most, so that the bars keep room.
    (wanted.ceil() as u32).clamp(NAMES, WIDTH / 2)
}

/// Which colour is which, top right.
fn legend(root: &Area, entries: &[(&str, Option<App>)], style: &TextStyle) -> Drawn {
    let (width, _) = root.dim_in_pixel();
    let entries_width = i32::try_from(entries.len()).unwrap_or(0) * 180;
    let mut x = i32::try_from(width).unwrap_or(i32::MAX) - entries_width;
    for &(name, app) in entries {
        let colour = colour(app);
        root.draw(&Rectangle::new([(x, 70), (x + 22, 92)], colour.filled()))?;
        root.draw_text(
            name,
            &style.pos(Pos::new(HPos::Left, VPos::Center)),
            (x + 30, 81),
        )?;
        x += 180;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::with_throughput;

    #[test]
    fn only_the_charts_of_scenarios_that_ran_are_written() {
        let report = with_throughput();
        let dir = tempfile::tempdir().expect("temp dir");
        let written = write_svgs(&report, dir.path()).expect("written");
        let files: Vec<&str> = written
            .iter()
            .filter(|(_, f)| f.is_some())
            .map(|(c, _)| c.id)
            .collect();
        assert_eq!(files, ["requests-per-second", "p99-latency"]);
        let svg = std::fs::read_to_string(dir.path().join("p99-latency.svg")).expect("a file");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(!dir.path().join("credential-bytes.svg").exists());
    }
}
