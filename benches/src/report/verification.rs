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
