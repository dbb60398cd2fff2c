//! The dashboard's load time, for the claims row "dashboard loads in < 2 s". A browser measures
//! it, not this command: `scripts/console-test.sh --load-time` writes
//! docs/dashboard/load-time.json, and the report reads that file and says when and on which
//! commit it was measured.

use super::claims::{Claim, Verdict};
use super::figures::grouped;
use serde::Deserialize;
use std::path::Path;

/// Where `scripts/console-test.sh --load-time` writes its result, from the repository root.
pub const LOAD_TIME_FILE: &str = "docs/dashboard/load-time.json";
/// The load time the product brief asks for, ms.
pub const TARGET_MS: f64 = 2_000.0;

/// `docs/dashboard/load-time.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LoadTime {
    /// Day of the measurement, `YYYY-MM-DD`.
    pub date: String,
    /// Short hash of the commit measured.
    pub commit: String,
    /// The command that measured it.
    pub command: String,
    /// 1-minute load average before the first load.
    pub load_before: f64,
    /// Page loads measured.
    pub loads_per_run: u32,
    /// Median load time, ms.
    pub median_ms: f64,
    /// Longest load time, ms.
    pub longest_ms: f64,
    /// What each node of the cluster behind the dashboard accepted meanwhile, tx/s.
    pub accepted_tps_per_node: Vec<f64>,
}

/// Parses the file's text.
pub fn parse(json: &str) -> Result<LoadTime, String> {
    let t: LoadTime =
        serde_json::from_str(json).map_err(|e| format!("{LOAD_TIME_FILE} not understood: {e}"))?;
    if !(t.median_ms.is_finite() && t.longest_ms.is_finite() && t.median_ms <= t.longest_ms) {
        return Err(format!(
            "{LOAD_TIME_FILE} not understood: median {} ms, longest {} ms",
            t.median_ms, t.longest_ms
        ));
    }
    Ok(t)
}

/// The file under `repo`; `Err` says why there is no figure (a missing file is not measured,
/// not a failure).
pub fn read(repo: &Path) -> Result<LoadTime, String> {
    match std::fs::read_to_string(repo.join(LOAD_TIME_FILE)) {
        Ok(json) => parse(&json),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "not measured: no {LOAD_TIME_FILE} (`scripts/console-test.sh --load-time` writes it)"
        )),
        Err(e) => Err(format!("{LOAD_TIME_FILE}: {e}")),
    }
}

fn seconds(ms: f64) -> String {
    format!("{:.2} s", ms / 1000.0)
}

/// The claims row: every load of the run must finish in under 2 s, so the verdict is on the
/// longest one.
pub fn claim(load_time: &Result<LoadTime, String>) -> Claim {
    let claim = "dashboard loads in < 2 s".to_string();
    match load_time {
        Ok(t) => {
            let cluster = if t.accepted_tps_per_node.is_empty() {
                "an idle cluster".to_string()
            } else {
                let rates: Vec<String> = t
                    .accepted_tps_per_node
                    .iter()
                    .map(|r| grouped(*r))
                    .collect();
                format!("{} nodes accepting {} tx/s", rates.len(), rates.join(" / "))
            };
            Claim {
                claim,
                measured: format!(
                    "median {}, longest {} of {} loads",
                    seconds(t.median_ms),
                    seconds(t.longest_ms),
                    t.loads_per_run
                ),
                of_limit: String::new(),
                verdict: if t.longest_ms < TARGET_MS {
                    Verdict::Met
                } else {
                    Verdict::NotMet
                },
                holds_for: format!(
                    "{cluster}, load average {:.2} before; `{}` on {}, commit `{}`",
                    t.load_before, t.command, t.date, t.commit
                ),
            }
        }
        Err(why) => Claim {
            claim,
            measured: why.clone(),
            of_limit: String::new(),
            verdict: Verdict::NotMeasured,
            holds_for: String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/fixtures/load-time.json");

    #[test]
    fn parses_the_load_time_file() {
        let t = parse(FIXTURE).unwrap();
        assert_eq!(
            t,
            LoadTime {
                date: "2026-12-07".into(),
                commit: "2d54182".into(),
                command: "scripts/console-test.sh --load-time".into(),
                load_before: 0.42,
                loads_per_run: 5,
                median_ms: 612.0,
                longest_ms: 1_840.5,
                accepted_tps_per_node: vec![1_998.0, 2_001.0, 1_995.0],
            }
        );
        let no_median = FIXTURE.replace("\"median_ms\": 612,", "");
        assert!(parse(&no_median).unwrap_err().contains("median_ms"));
        assert!(parse(&FIXTURE.replace("\"median_ms\": 612", "\"median_ms\": 2612")).is_err());
        assert!(parse("{}").unwrap_err().starts_with(LOAD_TIME_FILE));
    }

    #[test]
    fn the_row_gives_median_longest_verdict_command_and_date() {
        let c = claim(&parse(FIXTURE));
        assert_eq!(c.verdict, Verdict::Met);
        assert_eq!(c.measured, "median 0.61 s, longest 1.84 s of 5 loads");
        assert_eq!(
            c.holds_for,
            "3 nodes accepting 1,998 / 2,001 / 1,995 tx/s, load average 0.42 before; \
             `scripts/console-test.sh --load-time` on 2026-12-07, commit `2d54182`"
        );
        let slow = FIXTURE.replace("1840.5", "2000");
        assert_eq!(claim(&parse(&slow)).verdict, Verdict::NotMet);
    }

    #[test]
    fn a_missing_file_is_not_measured() {
        let empty = std::env::temp_dir().join(format!("cretoai-no-repo-{}", std::process::id()));
        let c = claim(&read(&empty));
        assert_eq!(c.verdict, Verdict::NotMeasured);
        assert_eq!(
            c.measured,
            "not measured: no docs/dashboard/load-time.json \
             (`scripts/console-test.sh --load-time` writes it)"
        );
    }
}
