//! The steps of a report and their exact commands: which subcommand, with which flags, for the
//! quick and the full plan. Each step is a separate process, so a reader can rerun any one
//! figure with the command printed beside it, and every node's data directory is gone when its
//! step ends (each transaction costs several KiB of disk on each node).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How one REST transport is selected on the `http` and `vault` subcommands: one more entry
/// here is one more row in every REST table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transport {
    /// Name in tables and charts.
    pub name: &'static str,
    /// Flags added to the `http` subcommand.
    pub args: &'static [&'static str],
    /// Whether the `vault` subcommand runs over it (it speaks plain HTTP only).
    pub vault: bool,
}

/// The transports the REST step measures.
pub const TRANSPORTS: [Transport; 2] = [
    Transport {
        name: "plain HTTP",
        args: &["--plain"],
        vault: true,
    },
    Transport {
        name: "HTTPS",
        args: &["--tls"],
        vault: false,
    },
];

/// Sender key levels of the cluster ladder.
pub const LEVELS: [&str; 3] = ["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"];

/// One cluster run of the ladder or the soak.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRun {
    /// Sender key level.
    pub level: &'static str,
    /// Offered rate, `None` for flat out.
    pub rate: Option<u64>,
    /// Transactions to submit.
    pub transactions: usize,
    /// Finality sample size.
    pub sample: usize,
    /// RSS/CPU sampling interval, seconds (the soak only).
    pub usage_every: Option<u64>,
}

/// What a report runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Seconds per REST workload.
    pub rest_seconds: u64,
    /// Window of each library anchor rate.
    pub anchor_window: Duration,
    /// The cluster ladder, every level.
    pub ladder: Vec<ClusterRun>,
    /// The soak.
    pub soak: ClusterRun,
    /// Iterations of the AuthZ comparison.
    pub compare_iterations: usize,
    /// Key generations per variant of the AuthZ comparison.
    pub compare_keygens: usize,
    /// Seconds per `openssl speed` algorithm and operation.
    pub openssl_seconds: u64,
    /// Seconds of HTTP load per target of the AuthZ sidecar bench.
    pub sidecar_seconds: u64,
    /// In-process iterations per path of the AuthZ sidecar bench.
    pub sidecar_iterations: usize,
}

/// Client counts of the sidecar's anchoring comparison: one client (the round trip alone) and
/// the 32 of every other HTTP figure (the node merging concurrent commits).
pub const SIDECAR_ANCHOR_CLIENTS: [usize; 2] = [1, 32];

/// Offered rates of the full ladder (tx/s); flat out follows.
pub const FULL_RATES: [u64; 6] = [2_000, 4_000, 6_000, 8_000, 10_000, 12_000];
/// Seconds of submission per rung of the full ladder.
const FULL_RUNG_SECONDS: u64 = 10;

impl Plan {
    /// A few minutes, even on debug binaries: every step once, small.
    pub fn quick() -> Self {
        let mut ladder = Vec::new();
        for level in LEVELS {
            for (rate, transactions) in [(Some(1_000), 2_000), (None, 3_000)] {
                ladder.push(ClusterRun {
                    level,
                    rate,
                    transactions,
                    sample: 200,
                    usage_every: None,
                });
            }
        }
        Self {
            rest_seconds: 2,
            anchor_window: Duration::from_millis(250),
            ladder,
            soak: ClusterRun {
                level: "ml-dsa-65",
                rate: Some(500),
                transactions: 10_000,
                sample: 200,
                usage_every: Some(1),
            },
            compare_iterations: 20,
            compare_keygens: 1,
            openssl_seconds: 1,
            sidecar_seconds: 1,
            sidecar_iterations: 200,
        }
    }

    /// About 30 minutes on 2 cores: the ladder to flat out for every level, a 10-minute soak
    /// at 2,000 tx/s.
    pub fn full() -> Self {
        let mut ladder = Vec::new();
        for level in LEVELS {
            for rate in FULL_RATES {
                ladder.push(ClusterRun {
                    level,
                    rate: Some(rate),
                    transactions: (rate * FULL_RUNG_SECONDS) as usize,
                    sample: 2_000,
                    usage_every: None,
                });
            }
            ladder.push(ClusterRun {
                level,
                rate: None,
                transactions: 100_000,
                sample: 2_000,
                usage_every: None,
            });
        }
        Self {
            rest_seconds: 10,
            anchor_window: Duration::from_secs(2),
            ladder,
            soak: ClusterRun {
                level: "ml-dsa-65",
                rate: Some(2_000),
                transactions: 2_000 * 600,
                sample: 2_000,
                usage_every: Some(10),
            },
            compare_iterations: 300,
            compare_keygens: 3,
            openssl_seconds: 3,
            sidecar_seconds: 4,
            sidecar_iterations: 3_000,
        }
    }
}

/// The binaries a report runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Binaries {
    /// `cretoai-bench` (the running one by default).
    pub bench: PathBuf,
    /// `cretoai-node`.
    pub node: PathBuf,
    /// `cretoai-compare`.
    pub compare: PathBuf,
    /// `cretoai-authz-bench`.
    pub authz_bench: PathBuf,
}

/// A command to run, kept as words so it can be both run and shown.
#[derive(Debug, Clone, PartialEq)]
pub struct StepCommand {
    /// Program.
    pub program: PathBuf,
    /// Arguments.
    pub args: Vec<String>,
}

impl StepCommand {
    fn new(program: &Path, args: impl IntoIterator<Item = String>) -> Self {
        Self {
            program: program.to_path_buf(),
            args: args.into_iter().collect(),
        }
    }

    /// The command as a shell line, paths shown relative to `repo` when inside it.
    pub fn display(&self, repo: &Path) -> String {
        let shown = |p: &Path| {
            p.strip_prefix(repo)
                .map_or_else(|_| p.display().to_string(), |r| r.display().to_string())
        };
        let mut words = vec![shown(&self.program)];
        for a in &self.args {
            let p = Path::new(a);
            words.push(if p.is_absolute() { shown(p) } else { a.clone() });
        }
        words.join(" ")
    }

    /// Runs it to the end; stdout when it exits 0, else stderr's tail.
    pub fn run(&self) -> Result<(String, Duration), String> {
        let start = Instant::now();
        let out = Command::new(&self.program)
            .args(&self.args)
            .output()
            .map_err(|e| format!("{}: {e}", self.program.display()))?;
        let elapsed = start.elapsed();
        if out.status.success() {
            Ok((String::from_utf8_lossy(&out.stdout).into_owned(), elapsed))
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = err.lines().rev().take(5).collect();
            Err(format!(
                "{} exited with {}: {}",
                self.program.display(),
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
            ))
        }
    }
}

/// `cretoai-bench http` or `vault` over one transport.
pub fn rest(bins: &Binaries, subcommand: &str, transport: &Transport, seconds: u64) -> StepCommand {
    let mut args = vec![
        subcommand.to_string(),
        "--node-bin".into(),
        bins.node.display().to_string(),
        "--seconds".into(),
        seconds.to_string(),
    ];
    if subcommand == "http" {
        args.extend(transport.args.iter().map(|a| a.to_string()));
    }
    StepCommand::new(&bins.bench, args)
}

/// `cretoai-bench cluster` for one run.
pub fn cluster(bins: &Binaries, run: &ClusterRun) -> StepCommand {
    let mut args = vec![
        "cluster".to_string(),
        "--node-bin".into(),
        bins.node.display().to_string(),
        "--level".into(),
        run.level.into(),
        "--transactions".into(),
        run.transactions.to_string(),
        "--sample".into(),
        run.sample.to_string(),
    ];
    if let Some(r) = run.rate {
        args.extend(["--rate".into(), r.to_string()]);
    }
    if let Some(e) = run.usage_every {
        args.extend(["--usage-every".into(), e.to_string()]);
    }
    StepCommand::new(&bins.bench, args)
}

/// `cretoai-compare` writing into `out`.
pub fn compare(bins: &Binaries, plan: &Plan, out: &Path) -> StepCommand {
    StepCommand::new(
        &bins.compare,
        [
            "--iterations".to_string(),
            plan.compare_iterations.to_string(),
            "--keygens".into(),
            plan.compare_keygens.to_string(),
            "--out-dir".into(),
            out.display().to_string(),
        ],
    )
}

/// `cretoai-authz-bench`, anchoring into a lone node it starts from `bins.node`.
pub fn sidecar(bins: &Binaries, plan: &Plan) -> StepCommand {
    let clients: Vec<String> = SIDECAR_ANCHOR_CLIENTS
        .iter()
        .map(|c| c.to_string())
        .collect();
    StepCommand::new(
        &bins.authz_bench,
        [
            "--seconds".to_string(),
            plan.sidecar_seconds.to_string(),
            "--iterations".into(),
            plan.sidecar_iterations.to_string(),
            "--anchor-node-bin".into(),
            bins.node.display().to_string(),
            "--anchor-clients".into(),
            clients.join(","),
        ],
    )
}

/// `openssl speed` of ML-DSA and ML-KEM, one thread.
pub fn openssl_speed(openssl: &Path, seconds: u64) -> StepCommand {
    StepCommand::new(
        openssl,
        [
            "speed",
            "-seconds",
            &seconds.to_string(),
            "ML-DSA-44",
            "ML-DSA-65",
            "ML-DSA-87",
            "ML-KEM-768",
        ]
        .map(String::from),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bins() -> Binaries {
        Binaries {
            bench: "/repo/target/debug/cretoai-bench".into(),
            node: "/repo/target/debug/cretoai-node".into(),
            compare: "/repo/target/debug/cretoai-compare".into(),
            authz_bench: "/repo/target/debug/cretoai-authz-bench".into(),
        }
    }

    #[test]
    fn commands_are_shown_relative_to_the_repository() {
        let c = cluster(&bins(), &Plan::full().soak);
        assert_eq!(
            c.display(Path::new("/repo")),
            "target/debug/cretoai-bench cluster --node-bin target/debug/cretoai-node --level ml-dsa-65 \
             --transactions 1200000 --sample 2000 --rate 2000 --usage-every 10"
        );
        let r = rest(&bins(), "vault", &TRANSPORTS[0], 10);
        assert_eq!(
            r.display(Path::new("/elsewhere")),
            "/repo/target/debug/cretoai-bench vault --node-bin /repo/target/debug/cretoai-node --seconds 10"
        );
        assert_eq!(
            sidecar(&bins(), &Plan::quick()).display(Path::new("/repo")),
            "target/debug/cretoai-authz-bench --seconds 1 --iterations 200 \
             --anchor-node-bin target/debug/cretoai-node --anchor-clients 1,32"
        );
    }

    #[test]
    fn the_full_ladder_climbs_to_flat_out_for_every_level() {
        let plan = Plan::full();
        for level in LEVELS {
            let rungs: Vec<Option<u64>> = plan
                .ladder
                .iter()
                .filter(|r| r.level == level)
                .map(|r| r.rate)
                .collect();
            assert_eq!(rungs.len(), FULL_RATES.len() + 1);
            assert_eq!(rungs.last(), Some(&None));
            assert!(rungs.windows(2).all(|w| match (w[0], w[1]) {
                (Some(a), Some(b)) => a < b,
                (Some(_), None) => true,
                _ => false,
            }));
        }
        // Ten minutes at 2,000 tx/s.
        assert_eq!(plan.soak.transactions as u64 / plan.soak.rate.unwrap(), 600);
        assert!(Plan::quick().ladder.len() == LEVELS.len() * 2);
    }
}
