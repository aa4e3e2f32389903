//! docs/architecture.md draws which crate of the workspace uses which. A
//! drawing written by hand goes stale the day a `Cargo.toml` changes: this
//! holds it against `cargo metadata`, edge by edge.

use std::{collections::BTreeSet, path::Path, process::Command};

use serde_json::Value;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// `(from, to, dev)`: `from` depends on `to`, as a dev-dependency if `dev`.
type Edge = (String, String, bool);

/// The edges of the first mermaid graph under `## Crates`: `a --> b` for a
/// dependency, `a -. tests .-> b` for a dev-dependency; a line of one name
/// alone draws a crate that uses no other.
fn drawn() -> BTreeSet<Edge> {
    let doc = std::fs::read_to_string(Path::new(WORKSPACE).join("docs/architecture.md"))
        .expect("docs/architecture.md");
    let section = doc
        .split_once("## Crates")
        .expect("a `## Crates` section")
        .1;
    let graph = section
        .split_once("```mermaid")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a mermaid graph in the Crates section")
        .0;
    graph
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("graph"))
        .filter(|l| !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(|line| {
            let (from, to, dev) = if let Some((a, b)) = line.split_once("-. tests .->") {
                (a, b, true)
            } else if let Some((a, b)) = line.split_once("-->") {
                (a, b, false)
            } else {
                panic!("not an edge: {line:?}")
            };
            (from.trim().to_owned(), to.trim().to_owned(), dev)
        })
        .collect()
}

/// The workspace's own edges, as cargo resolves them; a crate that is both
/// a dependency and a dev-dependency counts as a dependency.
fn resolved() -> BTreeSet<Edge> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(WORKSPACE)
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let members: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut edges = BTreeSet::new();
    for p in packages {
        let from = p["name"].as_str().unwrap_or_default();
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let to = d["name"].as_str().unwrap_or_default();
            if members.contains(to) {
                edges.insert((from.to_owned(), to.to_owned(), d["kind"] == "dev"));
            }
        }
    }
    let normal: BTreeSet<(String, String)> = edges
        .iter()
        .filter(|e| !e.2)
        .map(|(a, b, _)| (a.clone(), b.clone()))
        .collect();
    edges
        .into_iter()
        .filter(|(a, b, dev)| !dev || !normal.contains(&(a.clone(), b.clone())))
        .collect()
}

#[test]
fn the_crate_graph_of_the_architecture_page_is_the_workspace_s() {
    let (drawn, resolved) = (drawn(), resolved());
    let missing: Vec<&Edge> = resolved.difference(&drawn).collect();
    let stale: Vec<&Edge> = drawn.difference(&resolved).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "docs/architecture.md's crate graph differs from Cargo.toml \
         ((from, to, dev-dependency)):\nnot drawn: {missing:#?}\ndrawn, but not a dependency: {stale:#?}"
    );
}
