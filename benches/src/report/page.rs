//! The results page, docs/benchmarks/README.md: how and where the run was made, the claims
//! table, then each measurement with its chart, table and exact command.

use super::anchors::{find, ROUTE_ANCHORS};
use super::charts::Chart;
use super::claims::Claim;
use super::figures::{grouped, Results};
use super::machine::{LoadAverage, Machine};
use std::fmt::Write as _;

/// One step as it ran.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// What the step measures.
    pub name: String,
    /// Its exact command.
    pub command: String,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// Where, when and how the run was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// The machine.
    pub machine: Machine,
    /// The commit measured, as `machine::describe_commit` words it (with backticks).
    pub commit: String,
    /// Start time, UTC.
    pub started: String,
    /// The report's own command line.
    pub command: String,
    /// Load average before the first step.
    pub load_before: Option<LoadAverage>,
    /// Load average after the last.
    pub load_after: Option<LoadAverage>,
    /// A quick run (short windows, not for publishing).
    pub quick: bool,
    /// Every step.
    pub steps: Vec<StepRecord>,
}

/// `secs` since the Unix epoch as `YYYY-MM-DD HH:MM UTC` (civil calendar, no time zone data).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (h, m) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02} UTC")
}

fn load(l: &Option<LoadAverage>) -> String {
    l.map_or("unknown".into(), |l| format!("{l} (1, 5, 15 min)"))
}

fn image(s: &mut String, charts: &[Chart], file: &str) {
    if let Some(c) = charts.iter().find(|c| c.file == file) {
        let _ = writeln!(s, "![{}]({})\n", c.alt, c.file);
    }
}

fn command_of<'a>(p: &'a Provenance, prefix: &str) -> impl Iterator<Item = &'a StepRecord> + 'a {
    let prefix = prefix.to_string();
    p.steps
        .iter()
        .filter(move |st| st.name.starts_with(&prefix))
}

fn commands(s: &mut String, p: &Provenance, prefix: &str) {
    let lines: Vec<&str> = command_of(p, prefix)
        .map(|st| st.command.as_str())
        .collect();
    if !lines.is_empty() {
        let _ = writeln!(s, "```sh\n{}\n```\n", lines.join("\n"));
    }
}

fn claims_table(s: &mut String, claims: &[Claim]) {
    s.push_str("| claim | measured | share of the physical limit | verdict | holds for |\n");
    s.push_str("|---|---|---|---|---|\n");
    for c in claims {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            c.claim, c.measured, c.of_limit, c.verdict, c.holds_for
        );
    }
    s.push('\n');
}

fn cluster(s: &mut String, r: &Results, p: &Provenance, charts: &[Chart]) {
    s.push_str("## 3-node cluster: throughput and finality\n\n");
    s.push_str(
        "Three `cretoai-node` processes and the load generator on this one machine. Every \
         transaction is signed before the clock starts and submitted in batches of 100 at the \
         offered rate (or flat out); accepted is counted when every node has accepted all of \
         them, finality is submit to accepted on all three nodes for a sample. Each run starts \
         fresh nodes and deletes their data when it ends.\n\n",
    );
    image(s, charts, "cluster-accepted.svg");
    for level in super::steps::LEVELS {
        image(s, charts, &format!("cluster-finality-{level}.svg"));
    }
    s.push_str(
        "| senders | offered | accepted on every node | finality p50 / p95 / p99 | refused and retried | peak RSS per node | verification ceiling |\n\
         |---|---:|---:|---|---:|---|---:|\n",
    );
    for c in &r.ladder {
        let rss: Vec<String> = c.peak_rss_mib.iter().map(|m| format!("{m:.0}")).collect();
        let _ = writeln!(
            s,
            "| {} | {} tx/s{} | {} | {:.0} / {:.0} / {:.0} ms | {} | {} MiB | {} tx/s |",
            c.level.to_uppercase(),
            grouped(c.offered_tps),
            if c.rate.is_none() { " (flat out)" } else { "" },
            c.accepted_tps
                .map_or("not all in time".into(), |a| format!("{} tx/s", grouped(a))),
            c.finality_ms[0],
            c.finality_ms[1],
            c.finality_ms[2],
            grouped(c.refused as f64),
            rss.join(" / "),
            grouped(c.ceiling_tps)
        );
    }
    s.push_str(
        "\nThe verification ceiling is what signature checking alone allows: cores / (3 nodes × \
         one verify), with the verify time measured in the same run; every node verifies every \
         transaction.\n\n",
    );
    commands(s, p, "cluster ");
}

fn soak(s: &mut String, r: &Results, p: &Provenance, charts: &[Chart]) {
    let Some(k) = &r.soak else { return };
    s.push_str("## Soak: memory and CPU under steady load\n\n");
    let _ = writeln!(
        s,
        "{} transactions from {} senders at {} tx/s offered: {} accepted on every node per \
         second, finality p50 / p95 / p99 {:.0} / {:.0} / {:.0} ms, peak RSS {} MiB per node. \
         The load generator holds the pre-signed transactions in its own memory.\n",
        grouped(k.transactions as f64),
        k.level.to_uppercase(),
        grouped(k.rate.unwrap_or(0) as f64),
        k.accepted_tps.map_or("not all".into(), grouped),
        k.finality_ms[0],
        k.finality_ms[1],
        k.finality_ms[2],
        k.peak_rss_mib
            .iter()
            .map(|m| format!("{m:.0}"))
            .collect::<Vec<_>>()
            .join(" / ")
    );
    image(s, charts, "soak-rss.svg");
    image(s, charts, "soak-cpu.svg");
    commands(s, p, "soak");
}

fn rest(s: &mut String, r: &Results, p: &Provenance, charts: &[Chart]) {
    if r.rest.is_empty() {
        return;
    }
    s.push_str("## REST API\n\n");
    s.push_str(
        "One node; 32 keep-alive clients in a closed loop, on the same cores as the node. A \
         request counts only when its answer is a 2xx with the expected body (a signature of \
         the right length, `valid: true`, the whole plaintext). The library column is the same \
         operation called in-process on every core, with no HTTP: the physical limit of that \
         route on this machine.\n\n",
    );
    image(s, charts, "rest-throughput.svg");
    image(s, charts, "rest-latency.svg");
    s.push_str(
        "| transport | workload | requests/s | library, no HTTP | share | p50 / p95 / p99 | errors |\n\
         |---|---|---:|---:|---:|---|---:|\n",
    );
    for f in &r.rest {
        let anchor = ROUTE_ANCHORS
            .iter()
            .find(|(route, _)| *route == f.route())
            .and_then(|(_, op)| find(&r.anchors, op));
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} | {} | {:.2} / {:.2} / {:.2} ms | {} |",
            f.transport,
            f.workload,
            grouped(f.rate),
            anchor.map_or(String::new(), |a| format!("{}/s", grouped(a.all_cores))),
            anchor.map_or(String::new(), |a| format!(
                "{:.0} %",
                100.0 * f.rate / a.all_cores
            )),
            f.p50_ms,
            f.p95_ms,
            f.p99_ms,
            f.errors
        );
    }
    s.push('\n');
    commands(s, p, "REST ");
    let https_step = format!("REST {}", super::steps::TRANSPORTS[1].name);
    if let Some(st) = command_of(p, &https_step).next() {
        super::https::section(s, &r.rest, &r.handshakes, &st.command);
    }
}

fn crypto(s: &mut String, r: &Results, p: &Provenance, charts: &[Chart]) {
    s.push_str("## Crypto primitives and anchors\n\n");
    s.push_str(
        "The library (aws-lc through `cretoai-crypto`, the calls the node makes) timed \
         in-process, beside OpenSSL 3.5's `openssl speed` on one thread. Criterion's \
         figures with confidence intervals: [crypto.md](crypto.md).\n\n",
    );
    s.push_str(
        "| operation | one thread | per second, one thread | per second, all cores | OpenSSL 3.5, per second, one thread |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for a in &r.anchors {
        let (alg, op) = a.operation.split_once(' ').unwrap_or((&a.operation, ""));
        let ossl = r.openssl.as_ref().ok().and_then(|o| {
            o.iter()
                .find(|f| f.algorithm == alg && f.operation == format!("{op}/s"))
        });
        let _ = writeln!(
            s,
            "| {} | {:.1} µs | {} | {} ({} threads) | {} |",
            a.operation,
            1e6 / a.one_thread,
            grouped(a.one_thread),
            grouped(a.all_cores),
            a.threads,
            ossl.map_or("".into(), |f| grouped(f.per_second))
        );
    }
    match &r.openssl {
        Ok(_) => s.push_str(
            "\nOpenSSL 3.5 is Debian 13's build, unpacked with its own C library by \
             `scripts/install-openssl35.sh` (nothing installed system-wide).\n",
        ),
        Err(why) => {
            let _ = writeln!(s, "\nOpenSSL 3.5: not measured in this run: {why}.");
        }
    }
    s.push('\n');
    commands(s, p, "OpenSSL");
    if !r.signatures.is_empty() {
        s.push_str("## Classical against post-quantum signatures\n\n");
        s.push_str(
            "An authorization decision signed as a compact JWS, one thread, aws-lc-rs rows; \
             every backend and percentile: [authz-comparison.md](authz-comparison.md).\n\n",
        );
        image(s, charts, "signatures-time.svg");
        image(s, charts, "signatures-size.svg");
        commands(s, p, "AuthZ comparison");
        s.push_str(
            "What the AuthZ sidecar adds to each decision, with and without anchoring: \
             [authz-sidecar-bench.md](authz-sidecar-bench.md).\n\n",
        );
    }
}

/// The whole page.
pub fn render(r: &Results, p: &Provenance, claims: &[Claim], charts: &[Chart]) -> String {
    let mut s = String::from("# Benchmarks\n\n");
    if p.quick {
        s.push_str(
            "**A quick run**: short windows and small runs, to check that everything works. \
             Its figures are rough; publish only a full run's.\n\n",
        );
    }
    let _ = writeln!(
        s,
        "Every figure on this page comes from one command, run on {} ({}), {}:\n\n\
         ```sh\n{}\n```\n\n\
         Load average before: {}; after: {}. Each step's own command is given with its \
         figures, so any one of them can be rerun alone.\n",
        p.machine,
        p.started,
        p.commit,
        p.command,
        load(&p.load_before),
        load(&p.load_after)
    );
    s.push_str("## Claims\n\n");
    claims_table(&mut s, claims);
    cluster(&mut s, r, p, charts);
    soak(&mut s, r, p, charts);
    rest(&mut s, r, p, charts);
    crypto(&mut s, r, p, charts);
    s.push_str("## Steps\n\n| step | seconds | result |\n|---|---:|---|\n");
    for st in &p.steps {
        let _ = writeln!(
            s,
            "| {} | {:.0} | {} |",
            st.name,
            st.seconds,
            st.error
                .as_deref()
                .map_or("ok".into(), |e| format!("failed: {}", e.replace('|', "/")))
        );
    }
    s.push_str(
        "\n## Other pages\n\n\
         - [crypto.md](crypto.md): criterion figures of every primitive.\n\
         - [How the cluster benchmark works](../measurement/cluster.md) and what it reports.\n\
         - [How the REST benchmark works](../measurement/rest-api.md).\n\
         - [authz-comparison.md](authz-comparison.md), [authz-sidecar-bench.md](authz-sidecar-bench.md): the AuthZ sidecar.\n\
         - [history.md](history.md): earlier measurements and what changed between them.\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_796_666_400 + 3_660), "2026-12-07 19:01 UTC");
    }

    #[test]
    fn the_page_names_the_machine_command_and_every_chart() {
        let p = Provenance {
            machine: Machine {
                cpu_model: "Test CPU".into(),
                cores: 2,
                memory_kib: Some(1024 * 1024),
                kernel: "6.1".into(),
            },
            commit: "commit `abc123`".into(),
            started: "2026-12-07 18:00 UTC".into(),
            command: "cretoai-bench report --quick".into(),
            load_before: Some(LoadAverage(0.1, 0.2, 0.3)),
            load_after: None,
            quick: true,
            steps: vec![StepRecord {
                name: "REST plain HTTP: crypto routes".into(),
                command: "cretoai-bench http --seconds 2".into(),
                seconds: 12.0,
                error: Some("a | b".into()),
            }],
        };
        let charts = vec![Chart {
            file: "rest-throughput.svg".into(),
            alt: "REST".into(),
            svg: String::new(),
        }];
        let r = Results {
            rest: vec![super::super::figures::RestFigure {
                transport: "plain HTTP".into(),
                workload: "POST /v1/sign ml-dsa-65 c=32".into(),
                requests: 1,
                errors: 0,
                rate: 10.0,
                p50_ms: 1.0,
                p95_ms: 2.0,
                p99_ms: 3.0,
            }],
            ..Results::default()
        };
        let page = render(&r, &p, &[], &charts);
        assert!(page.contains(
            "Test CPU, 2 cores, 1.0 GiB memory, Linux 6.1 (2026-12-07 18:00 UTC), commit `abc123`"
        ));
        assert!(page.contains("```sh\ncretoai-bench report --quick\n```"));
        assert!(page
            .contains("Load average before: 0.10 / 0.20 / 0.30 (1, 5, 15 min); after: unknown."));
        assert!(page.contains("![REST](rest-throughput.svg)"));
        assert!(page.contains("```sh\ncretoai-bench http --seconds 2\n```"));
        assert!(page.contains("| REST plain HTTP: crypto routes | 12 | failed: a / b |"));
        assert!(page.contains("**A quick run**"));
        assert!(page.contains("OpenSSL 3.5: not measured in this run: not run."));
    }
}
