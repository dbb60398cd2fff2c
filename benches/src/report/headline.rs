//! The headline figures, written by the report between markers in the README's figures table
//! and the executive summary, so that each number is typed once, by a program.

use super::anchors::find;
use super::claims::best_run;
use super::figures::{grouped, Results};

/// Start of the generated block.
pub const START: &str = "<!-- bench:headline:start -->";
/// End of the generated block.
pub const END: &str = "<!-- bench:headline:end -->";
/// At most this many headline rows.
pub const MAX_ROWS: usize = 6;

/// One headline figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// What was measured.
    pub what: String,
    /// The figure.
    pub figure: String,
}

/// `doc` with the text between [`START`] and [`END`] replaced by `block` (each on a line of
/// their own); every byte outside the markers kept. `None` when the markers are missing or
/// out of order.
pub fn splice(doc: &str, block: &str) -> Option<String> {
    let start = doc.find(START)? + START.len();
    let end = start + doc[start..].find(END)?;
    let block = block.trim_end_matches('\n');
    Some(format!("{}\n{block}\n{}", &doc[..start], &doc[end..]))
}

/// The headline rows of a run: at most [`MAX_ROWS`], only from figures the run has.
pub fn rows(r: &Results) -> Vec<Headline> {
    let mut out = Vec::new();
    if let (Some(s), Some(v)) = (
        find(&r.anchors, "ML-DSA-65 sign"),
        find(&r.anchors, "ML-DSA-65 verify"),
    ) {
        out.push(Headline {
            what: "ML-DSA-65 sign / verify, one thread".into(),
            figure: format!(
                "{:.0} µs / {:.1} µs",
                1e6 / s.one_thread,
                1e6 / v.one_thread
            ),
        });
    }
    if let Some(sign) = r.rest.iter().find(|f| f.route() == "POST /v1/sign") {
        out.push(Headline {
            what: format!(
                "`POST /v1/sign` (ML-DSA-65), 32 clients, {}",
                sign.transport
            ),
            figure: format!(
                "{} requests/s, p95 {:.1} ms",
                grouped(sign.rate),
                sign.p95_ms
            ),
        });
    }
    let best = super::steps::LEVELS
        .iter()
        .filter_map(|l| best_run(&r.ladder, l))
        .filter(|(_, sustained)| *sustained)
        .max_by(|a, b| {
            let rate = |c: &super::figures::ClusterFigure| c.accepted_tps.unwrap_or(0.0);
            rate(a.0).total_cmp(&rate(b.0))
        });
    if let Some((c, _)) = best {
        out.push(Headline {
            what: format!(
                "3-node cluster, {} senders, highest rate with finality p95 < 1 s",
                c.level.to_uppercase()
            ),
            figure: format!(
                "{} tx/s accepted on every node, p95 {:.2} s",
                grouped(c.accepted_tps.unwrap_or(0.0)),
                c.finality_ms[1] / 1000.0
            ),
        });
    }
    if let Some(s) = &r.soak {
        let peak = s.peak_rss_mib.iter().copied().fold(0.0, f64::max);
        out.push(Headline {
            what: format!(
                "3-node cluster, {} senders, {} tx/s for {:.0} minutes",
                s.level.to_uppercase(),
                grouped(s.rate.unwrap_or(0) as f64),
                s.transactions as f64 / s.rate.unwrap_or(1).max(1) as f64 / 60.0
            ),
            figure: format!(
                "finality p95 {:.0} ms, peak RSS {peak:.0} MiB per node",
                s.finality_ms[1]
            ),
        });
    }
    let aws = |label: &str| {
        r.signatures
            .iter()
            .find(|s| s.label == label && s.backend == "aws-lc-rs")
    };
    if let (Some(pq), Some(rsa)) = (aws("ML-DSA-65"), aws("RS256 RSA-2048")) {
        out.push(Headline {
            what: "AuthZ decision signed with ML-DSA-65 (RS256 in brackets)".into(),
            figure: format!(
                "{:.1} µs to sign, {:.1} µs to verify, {}-byte token ({:.1} µs, {:.1} µs, {} bytes)",
                pq.sign_us,
                pq.verify_us,
                grouped(pq.token_bytes as f64),
                rsa.sign_us,
                rsa.verify_us,
                grouped(rsa.token_bytes as f64)
            ),
        });
    }
    out.truncate(MAX_ROWS);
    out
}

/// The README's table (its links relative to the repository root).
pub fn readme_table(rows: &[Headline], machine: &str) -> String {
    let mut s = format!(
        "Measured on {machine}; every figure, its command and the machine's load: \
         [docs/benchmarks/](docs/benchmarks/README.md).\n\n| what | figure |\n|---|---|\n"
    );
    for r in rows {
        s.push_str(&format!("| {} | {} |\n", r.what, r.figure));
    }
    s
}

/// The executive summary's bullets (links relative to docs/customer/).
pub fn summary_bullets(rows: &[Headline], machine: &str) -> String {
    let mut s = String::new();
    for r in rows {
        s.push_str(&format!("- **{}:** {}.\n", r.what, r.figure));
    }
    s.push_str(&format!(
        "\nMeasured on {machine}; the commands and every other figure: \
         [benchmarks](../benchmarks/README.md).\n"
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::anchors::Anchor;

    #[test]
    fn splice_keeps_every_byte_outside_the_markers() {
        let before = "# Title\r\n\nsome text  \n| a | b |\n";
        let after = "\n\ntrailing text without newline";
        let doc = format!("{before}{START}\nold table\nmore\n{END}{after}");
        let new = splice(&doc, "| new | row |\n").unwrap();
        assert_eq!(new, format!("{before}{START}\n| new | row |\n{END}{after}"));
        assert!(new.starts_with(before) && new.ends_with(after));
        // Idempotent, and a second block of markers is left alone.
        assert_eq!(splice(&new, "| new | row |").unwrap(), new);
        let two = format!("{doc}\n{START}\nkeep\n{END}\n");
        assert!(splice(&two, "x")
            .unwrap()
            .ends_with(&format!("{START}\nkeep\n{END}\n")));
        assert!(splice("no markers", "x").is_none());
        assert!(splice(&format!("{END} {START}"), "x").is_none());
    }

    #[test]
    fn the_readme_and_the_summary_have_one_block_each_and_keep_the_rest() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for file in ["README.md", "docs/customer/executive-summary.md"] {
            let doc = std::fs::read_to_string(root.join(file)).unwrap();
            assert_eq!(doc.matches(START).count(), 1, "{file}");
            assert_eq!(doc.matches(END).count(), 1, "{file}");
            let new = splice(&doc, "- **x:** y.\n").unwrap();
            let (head, tail) = (
                &doc[..doc.find(START).unwrap()],
                &doc[doc.find(END).unwrap()..],
            );
            assert!(new.starts_with(head) && new.ends_with(tail), "{file}");
            assert_eq!(
                new.len(),
                head.len() + START.len() + "\n- **x:** y.\n".len() + tail.len()
            );
        }
    }

    #[test]
    fn rows_come_only_from_measured_figures() {
        assert!(rows(&Results::default()).is_empty());
        let r = Results {
            anchors: vec![
                Anchor {
                    operation: "ML-DSA-65 sign".into(),
                    one_thread: 8_000.0,
                    all_cores: 15_000.0,
                    threads: 2,
                },
                Anchor {
                    operation: "ML-DSA-65 verify".into(),
                    one_thread: 28_000.0,
                    all_cores: 50_000.0,
                    threads: 2,
                },
            ],
            ..Results::default()
        };
        let h = rows(&r);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].figure, "125 µs / 35.7 µs");
        let table = readme_table(&h, "a 2-core machine");
        assert!(table.ends_with("| ML-DSA-65 sign / verify, one thread | 125 µs / 35.7 µs |\n"));
        assert!(summary_bullets(&h, "m")
            .starts_with("- **ML-DSA-65 sign / verify, one thread:** 125 µs / 35.7 µs.\n"));
    }
}
