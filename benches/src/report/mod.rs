//! `cretoai-bench report`: every benchmark in one command, written as one results page
//! (docs/benchmarks/README.md) with its charts, a claims table, and the headline figures in the
//! README and the executive summary.
//!
//! Each step runs a separate process (a `cretoai-bench` subcommand, `cretoai-compare`,
//! `openssl speed`) whose exact command the page prints beside its figures; only the library
//! anchors are timed in this process. `--quick` runs every step small (a few minutes);
//! `--check` (CI) then checks that the page and every chart were written and are well formed,
//! in a temporary folder, with no assertion on any timing.

pub mod anchors;
pub mod charts;
pub mod claims;
pub mod dashboard;
pub mod figures;
pub mod headline;
pub mod https;
pub mod machine;
pub mod page;
pub mod sidecar;
pub mod steps;
mod verification;

use figures::Results;
use page::{Provenance, StepRecord};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use steps::{Binaries, Plan, StepCommand, TRANSPORTS};

/// Flags of `cretoai-bench report`.
#[derive(clap::Parser, Debug)]
pub struct ReportArgs {
    /// Every step once and small: a few minutes, rough figures (not for publishing).
    #[arg(long)]
    pub quick: bool,
    /// CI mode: write to a temporary folder (unless --out), then check that the page and the
    /// charts are complete and well formed; fails if any step failed. No timing assertions.
    #[arg(long)]
    pub check: bool,
    /// Output folder (default: docs/benchmarks under --repo).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Repository root: where docs/, README.md and scripts/ are.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// `cretoai-node` to start (default: next to this binary).
    #[arg(long)]
    pub node_bin: Option<PathBuf>,
    /// `cretoai-compare` (default: next to this binary).
    #[arg(long)]
    pub compare_bin: Option<PathBuf>,
    /// `cretoai-authz-bench` (default: next to this binary).
    #[arg(long)]
    pub authz_bench_bin: Option<PathBuf>,
    /// OpenSSL 3.5 for `openssl speed`: `install` (scripts/install-openssl35.sh, the default
    /// of a full run), `off` (the default of --quick), or the path of an `openssl`.
    #[arg(long)]
    pub openssl: Option<String>,
    /// Do not run the criterion bench (a full run runs it with `cargo bench`).
    #[arg(long)]
    pub no_criterion: bool,
    /// Do not write the headline figures into README.md and the executive summary (a full
    /// run outside --check writes them).
    #[arg(long)]
    pub no_headline: bool,
}

/// What can stop a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading or writing a file.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A binary the report needs is missing.
    #[error("{0} not found (build it, or give its path)")]
    Missing(PathBuf),
    /// A file to update lacks its markers.
    #[error("{0}: no {start} ... {end} markers", start = headline::START, end = headline::END)]
    Markers(PathBuf),
    /// `--check` found problems.
    #[error("report check failed:\n  {}", .0.join("\n  "))]
    Check(Vec<String>),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |e| ReportError::Io(path.to_path_buf(), e)
}

/// Runs the report.
pub fn run(args: ReportArgs) -> Result<(), ReportError> {
    let repo = std::fs::canonicalize(&args.repo).map_err(io(&args.repo))?;
    let me = std::env::current_exe().map_err(io(Path::new("cretoai-bench")))?;
    let sibling = |name: &str| me.with_file_name(name);
    let bins = Binaries {
        bench: me.clone(),
        node: absolute(
            args.node_bin
                .clone()
                .unwrap_or_else(|| sibling("cretoai-node")),
        ),
        compare: absolute(
            args.compare_bin
                .clone()
                .unwrap_or_else(|| sibling("cretoai-compare")),
        ),
        authz_bench: absolute(
            args.authz_bench_bin
                .clone()
                .unwrap_or_else(|| sibling("cretoai-authz-bench")),
        ),
    };
    for b in [&bins.node, &bins.compare, &bins.authz_bench] {
        if !b.is_file() {
            return Err(ReportError::Missing(b.clone()));
        }
    }
    let out = match (&args.out, args.check) {
        (Some(o), _) => o.clone(),
        (None, true) => std::env::temp_dir().join(format!("cretoai-report-{}", std::process::id())),
        (None, false) => repo.join("docs/benchmarks"),
    };
    std::fs::create_dir_all(&out).map_err(io(&out))?;
    let out = std::fs::canonicalize(&out).map_err(io(&out))?;
    let plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    let command = StepCommand {
        program: me.clone(),
        args: std::env::args().skip(1).collect(),
    }
    .display(&repo);

    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut runner = Runner {
        repo: repo.clone(),
        records: Vec::new(),
    };
    // Before any step: the steps rewrite tracked pages (crypto.md, the AuthZ comparison).
    let commit = machine::commit(&repo);
    let load_before = machine::load_now();
    let mut results = Results::default();
    if !args.quick && !args.no_criterion {
        criterion(&mut runner, &out);
    }
    let t = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!("library anchors (in-process)...");
    results.anchors = anchors::measure(threads, plan.anchor_window);
    runner.records.push(StepRecord {
        name: "library anchors (in this process)".into(),
        command: "in this process, no command of its own (benches/src/report/anchors.rs)".into(),
        seconds: t.elapsed().as_secs_f64(),
        error: None,
    });
    results.openssl = openssl(&mut runner, &args, &plan);
    for t in TRANSPORTS {
        for (sub, what) in [("http", "crypto routes"), ("vault", "vault")] {
            if sub == "vault" && !t.vault {
                continue;
            }
            let c = steps::rest(&bins, sub, &t, plan.rest_seconds);
            if let Some(o) = runner.step(&format!("REST {}: {what}", t.name), &c) {
                results.rest.extend(figures::rest_rows(t.name, &o));
                results.handshakes.extend(https::handshakes(&o));
            }
        }
    }
    for run in &plan.ladder {
        let name = format!(
            "cluster {} {}",
            run.level,
            run.rate
                .map_or("flat out".into(), |r| format!("at {r} tx/s"))
        );
        if let Some(o) = runner.step(&name, &steps::cluster(&bins, run)) {
            runner.parsed(&name, figures::cluster(&o), |c| results.ladder.push(c));
        }
    }
    let name = format!("soak {}", plan.soak.level);
    if let Some(o) = runner.step(&name, &steps::cluster(&bins, &plan.soak)) {
        runner.parsed(&name, figures::cluster(&o), |c| results.soak = Some(c));
    }
    let name = "AuthZ comparison";
    if runner
        .step(name, &steps::compare(&bins, &plan, &out))
        .is_some()
    {
        let path = out.join("authz-comparison.json");
        let json = std::fs::read_to_string(&path).unwrap_or_default();
        runner.parsed(name, figures::comparison(&json), |s| results.signatures = s);
    }
    let name = "AuthZ sidecar overhead";
    let sidecar_out = runner.step(name, &steps::sidecar(&bins, &plan));
    results.image_bytes = image_size();
    results.load_time = dashboard::read(&repo);
    let load_after = machine::load_now();

    let mut provenance = Provenance {
        machine: machine::Machine::read(),
        commit,
        started: page::utc(started),
        command,
        load_before,
        load_after,
        quick: args.quick,
        steps: runner.records,
    };
    let claims = claims::claims(&results);
    let charts = charts::all(&results);
    for c in &charts {
        let path = out.join(&c.file);
        std::fs::write(&path, &c.svg).map_err(io(&path))?;
    }
    if let Some(o) = sidecar_out {
        let shown = steps::sidecar(&bins, &plan).display(&repo);
        let page = sidecar::page(&o, &shown, &provenance);
        if let Err(e) = &page {
            if let Some(rec) = provenance.steps.iter_mut().find(|r| r.name == name) {
                rec.error = Some(format!("output not understood: {e}"));
            }
        }
        if let Ok(text) = page {
            let path = out.join(sidecar::FILE);
            std::fs::write(&path, text).map_err(io(&path))?;
        }
    }
    let page_path = out.join("README.md");
    let text = page::render(&results, &provenance, &claims, &charts);
    std::fs::write(&page_path, &text).map_err(io(&page_path))?;
    eprintln!("wrote {} and {} charts", page_path.display(), charts.len());

    let rows = headline::rows(&results);
    let machine_line = format!("{}", provenance.machine);
    let targets = [
        (
            repo.join("README.md"),
            headline::readme_table(&rows, &machine_line),
        ),
        (
            repo.join("docs/customer/executive-summary.md"),
            headline::summary_bullets(&rows, &machine_line),
        ),
    ];
    if args.check {
        let problems =
            verification::check(&out, &text, &charts, &provenance, &results, &plan, &targets);
        if !problems.is_empty() {
            return Err(ReportError::Check(problems));
        }
        eprintln!(
            "check passed: every step ran; the page, {} charts and the headline blocks are well formed",
            charts.len()
        );
        if args.out.is_none() {
            // A folder of our own making: a failed check leaves it for inspection, a passed one
            // has nothing more to show.
            std::fs::remove_dir_all(&out).map_err(io(&out))?;
        }
    } else if !args.quick && !args.no_headline {
        for (path, block) in &targets {
            let doc = std::fs::read_to_string(path).map_err(io(path))?;
            let new = headline::splice(&doc, block).ok_or(ReportError::Markers(path.clone()))?;
            std::fs::write(path, new).map_err(io(path))?;
            eprintln!("headline figures written into {}", path.display());
        }
    }
    Ok(())
}

fn absolute(p: PathBuf) -> PathBuf {
    std::fs::canonicalize(&p).unwrap_or(p)
}

/// Runs steps and keeps their records.
struct Runner {
    repo: PathBuf,
    records: Vec<StepRecord>,
}

impl Runner {
    /// Runs `cmd` as step `name`; its stdout, or `None` (recorded as failed).
    fn step(&mut self, name: &str, cmd: &StepCommand) -> Option<String> {
        let shown = cmd.display(&self.repo);
        eprintln!("{name}: {shown}");
        let start = Instant::now();
        let result = cmd.run();
        let seconds = start.elapsed().as_secs_f64();
        eprintln!(
            "  {seconds:.0} s{}",
            result
                .as_ref()
                .err()
                .map_or(String::new(), |e| format!(", failed: {e}"))
        );
        self.records.push(StepRecord {
            name: name.into(),
            command: shown,
            seconds,
            error: result.as_ref().err().cloned(),
        });
        result.ok().map(|(o, _)| o)
    }

    /// Hands a parsed figure on, or records why the step's output could not be read.
    fn parsed<T>(&mut self, name: &str, r: Result<T, String>, use_it: impl FnOnce(T)) {
        match r {
            Ok(v) => use_it(v),
            Err(e) => {
                if let Some(rec) = self.records.iter_mut().rev().find(|r| r.name == name) {
                    rec.error = Some(format!("output not understood: {e}"));
                }
            }
        }
    }
}

/// `cargo bench` of the crypto primitives, then their table into `crypto.md` of `out`.
fn criterion(runner: &mut Runner, out: &Path) {
    let manifest = runner.repo.join("Cargo.toml");
    let mut args = vec!["bench".to_string(), "--manifest-path".into()];
    args.push(manifest.display().to_string());
    args.extend(
        "-p cretoai-benches --bench crypto -- --warm-up-time 1 --measurement-time 4 --noplot"
            .split(' ')
            .map(String::from),
    );
    let cargo = StepCommand {
        program: "cargo".into(),
        args,
    };
    let name = "criterion crypto bench";
    if runner.step(name, &cargo).is_none() {
        return;
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or(runner.repo.join("target"), PathBuf::from);
    let doc_path = out.join("crypto.md");
    let written = crate::criterion_table::collect(&target.join("criterion"))
        .map_err(|e| e.to_string())
        .and_then(|est| {
            let doc = std::fs::read_to_string(&doc_path).map_err(|e| e.to_string())?;
            let new = crate::criterion_table::splice(&doc, &crate::criterion_table::render(&est))
                .ok_or("crypto.md: table marks not found")?;
            std::fs::write(&doc_path, new).map_err(|e| e.to_string())
        });
    runner.parsed(name, written, |_| ());
}

/// `openssl speed` of OpenSSL 3.5, installed or given, or why not.
fn openssl(
    runner: &mut Runner,
    args: &ReportArgs,
    plan: &Plan,
) -> Result<Vec<figures::OpensslFigure>, String> {
    let mode = args.openssl.clone().unwrap_or_else(|| {
        if args.quick {
            "off".into()
        } else {
            "install".into()
        }
    });
    let bin = match mode.as_str() {
        "off" => return Err("not requested (`--openssl install` runs it)".into()),
        "install" => {
            let script = StepCommand {
                program: runner.repo.join("scripts/install-openssl35.sh"),
                args: Vec::new(),
            };
            let out = runner.step("OpenSSL 3.5 install", &script).ok_or_else(|| {
                let e = runner.records.last().and_then(|r| r.error.clone());
                format!(
                    "scripts/install-openssl35.sh failed: {}",
                    e.unwrap_or_default()
                )
            })?;
            PathBuf::from(out.trim())
        }
        path => PathBuf::from(path),
    };
    let cmd = steps::openssl_speed(&bin, plan.openssl_seconds);
    let out = runner
        .step("OpenSSL 3.5 speed", &cmd)
        .ok_or("`openssl speed` failed (see Steps)")?;
    let f = figures::openssl_speed(&out);
    if f.is_empty() {
        Err("`openssl speed` printed no ML-DSA or ML-KEM rate".into())
    } else {
        Ok(f)
    }
}

/// The size of the `cretoai:latest` image, or why it is unknown.
fn image_size() -> Result<u64, String> {
    let out = std::process::Command::new("timeout")
        .args([
            "20",
            "docker",
            "image",
            "inspect",
            "--format",
            "{{.Size}}",
            "cretoai:latest",
        ])
        .output()
        .map_err(|e| format!("not measured: {e}"))?;
    if !out.status.success() {
        return Err("not measured: no `cretoai:latest` image on this machine (`docker compose build` makes it)".into());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| "not measured: `docker image inspect` gave no size".into())
}
