//! What `--check` verifies after a run: every step ran, every measurement produced figures,
//! the page and every chart are on disk and well formed, and the headline blocks fit the
//! README and the executive summary. Never a timing: a slow CI machine passes.

use super::charts::Chart;
use super::figures::Results;
use super::headline;
use super::page::Provenance;
use super::steps::{Plan, TRANSPORTS};
use std::path::{Path, PathBuf};

/// Routes each transport must have measured.
const ROUTES: [&str; 6] = [
    "POST /v1/sign",
    "POST /v1/encrypt",
    "POST /v1/verify",
    "POST /v1/decrypt",
    "PUT vault",
    "GET vault",
];

/// Charts a complete run draws.
const CHARTS: [&str; 11] = [
    "cluster-accepted.svg",
    "cluster-finality-ml-dsa-44.svg",
    "cluster-finality-ml-dsa-65.svg",
    "cluster-finality-ml-dsa-87.svg",
    "soak-rss.svg",
    "soak-cpu.svg",
    "rest-throughput.svg",
    "rest-latency.svg",
    "signatures-time.svg",
    "signatures-size.svg",
    "authz-comparison.svg",
];

/// Every problem found; empty when the run is complete and well formed.
pub fn check(
    out: &Path,
    page: &str,
    charts: &[Chart],
    provenance: &Provenance,
    results: &Results,
    plan: &Plan,
    targets: &[(PathBuf, String)],
) -> Vec<String> {
    let mut problems = Vec::new();
    for st in &provenance.steps {
        if let Some(e) = &st.error {
            problems.push(format!("step {} failed: {e}", st.name));
        }
    }
    for t in TRANSPORTS {
        for route in ROUTES {
            if route.contains("vault") && !t.vault {
                continue;
            }
            let found = results
                .rest
                .iter()
                .any(|f| f.transport == t.name && f.route() == route && f.requests > 0);
            if !found {
                problems.push(format!("REST {}: no successful {route} requests", t.name));
            }
        }
    }
    if let Some(f) = results.rest.iter().find(|f| f.errors > 0) {
        problems.push(format!("REST {}: {} wrong answers", f.workload, f.errors));
    }
    if results.ladder.len() != plan.ladder.len() {
        problems.push(format!(
            "cluster: {} of {} runs gave figures",
            results.ladder.len(),
            plan.ladder.len()
        ));
    }
    match &results.soak {
        Some(s) if s.usage.is_empty() => problems.push("soak: no RSS/CPU samples".into()),
        Some(_) => {}
        None => problems.push("soak: no figures".into()),
    }
    if results.signatures.is_empty() {
        problems.push("AuthZ comparison: no figures".into());
    }
    if results.handshakes.len() != 2 || results.handshakes.iter().any(|h| h.completed == 0) {
        problems.push(format!(
            "HTTPS: {} key-exchange groups with completed handshakes (2 expected)",
            results
                .handshakes
                .iter()
                .filter(|h| h.completed > 0)
                .count()
        ));
    }
    // A missing load-time file is "not measured"; one that is there must be understood.
    if let Err(e) = &results.load_time {
        if !e.starts_with("not measured") {
            problems.push(format!("dashboard load time: {e}"));
        }
    }
    // crypto.md is the one page a quick run leaves alone: only `cargo bench` refreshes it.
    for page in PAGES.iter().filter(|p| **p != "crypto.md") {
        if !out.join(page).is_file() {
            problems.push(format!("{page} was not written"));
        }
    }
    let sidecar_page = out.join(super::sidecar::FILE);
    match std::fs::read_to_string(&sidecar_page) {
        Ok(text) => {
            for section in super::sidecar::SECTIONS {
                if !text.contains(section) {
                    problems.push(format!("{}: no {section:?} table", super::sidecar::FILE));
                }
            }
        }
        Err(e) => problems.push(format!("{}: {e}", sidecar_page.display())),
    }
    if results.anchors.is_empty() {
        problems.push("library anchors: none".into());
    }
    for file in CHARTS {
        let path = out.join(file);
        match std::fs::read_to_string(&path) {
            Ok(svg) => {
                if let Err(e) = cretoai_chart::well_formed(&svg) {
                    problems.push(format!("{file}: {e}"));
                }
            }
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    for c in charts {
        if !page.contains(&format!("]({})", c.file)) {
            problems.push(format!("the page does not show {}", c.file));
        }
    }
    for heading in [
        "## Claims",
        "## 3-node cluster",
        "## Soak",
        "## REST API",
        "## Steps",
    ] {
        if !page.contains(heading) {
            problems.push(format!("the page has no {heading:?} section"));
        }
    }
    if !page.contains(&provenance.commit) || !page.contains(&provenance.command) {
        problems.push("the page does not name its commit and command".into());
    }
    for (path, block) in targets {
        match std::fs::read_to_string(path) {
            Ok(doc) => match headline::splice(&doc, block) {
                Some(new) => {
                    let start = doc.find(headline::START).unwrap_or(0);
                    if new[..start] != doc[..start] {
                        problems.push(format!(
                            "{}: text before the markers changed",
                            path.display()
                        ));
                    }
                }
                None => problems.push(format!(
                    "{}: no {} ... {} markers",
                    path.display(),
                    headline::START,
                    headline::END
                )),
            },
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    let rows = headline::rows(results);
    if rows.is_empty() || rows.len() > headline::MAX_ROWS {
        problems.push(format!(
            "{} headline rows (1 to {} expected)",
            rows.len(),
            headline::MAX_ROWS
        ));
    }
    problems
}

/// Files other than the charts that a full run writes into its output folder: the results
/// page, the criterion table (crypto.md, between its marks), the AuthZ comparison and the
/// sidecar page.
const PAGES: [&str; 5] = [
    "README.md",
    "crypto.md",
    "authz-comparison.md",
    "authz-comparison.json",
    super::sidecar::FILE,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/benchmarks holds current results only: what the report writes, and the history.
    #[test]
    fn every_file_of_docs_benchmarks_is_written_by_the_report_or_is_the_history() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/benchmarks");
        let mut seen = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                name == "history.md"
                    || PAGES.contains(&name.as_str())
                    || CHARTS.contains(&name.as_str()),
                "docs/benchmarks/{name} is written by no step of the report"
            );
            seen.push(name);
        }
        for page in PAGES {
            assert!(
                seen.iter().any(|n| n == page),
                "docs/benchmarks/{page} is missing"
            );
        }
    }
}
