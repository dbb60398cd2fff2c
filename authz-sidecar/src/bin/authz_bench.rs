//! `cretoai-authz-bench`: what the sidecar costs on top of the bare Cedar decision.
//!
//! ```text
//! cargo run --release -p cretoai-authz-sidecar --bin cretoai-authz-bench -- [--clients 32] [--seconds 5]
//! ```
//!
//! 1. In-process, one thread: the bare Cedar decision versus decision + claims
//!    + JWS signature in each mode (p50/p95 µs).
//! 2. Over HTTP with `--clients` concurrent keep-alive clients: a bench-only
//!    route that answers with the bare Cedar decision, versus the real
//!    `/v1/authorization/check` in each mode (checks/s, p50/p95 ms). Server
//!    (2 workers) and clients share the machine.
//! 3. With `--anchor-node-url` (and `CRETOAI_AUTHZ_ANCHOR_TOKEN`), or with
//!    `--anchor-node-bin` (a lone node this bench starts and stops): the same
//!    load on a second sidecar in pqc mode that anchors every decision in that
//!    node, beside pqc mode without anchoring, at each of `--anchor-clients`,
//!    to show the cost of the extra round trip.
//!
//! It prints Markdown: `cretoai-bench report` puts it on
//! docs/benchmarks/authz-sidecar-bench.md.

use actix_web::{web, App, HttpResponse, HttpServer};
use clap::Parser;
use cretoai_authz_sidecar::api;
use cretoai_authz_sidecar::config::{Config, Secret};
use cretoai_authz_sidecar::engine::{CheckRequest, Engine};
use cretoai_authz_sidecar::measurements::{percentiles, Percentiles};
use cretoai_authz_sidecar::mode::Mode;
use cretoai_authz_sidecar::state::{AppState, Secrets};
use serde_json::json;
use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "cretoai-authz-bench",
    about = "Sidecar overhead over the bare Cedar decision"
)]
struct Args {
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds of HTTP load per target.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// In-process iterations per target.
    #[arg(long, default_value_t = 3000)]
    iterations: usize,
    /// Server worker threads.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Also measure pqc mode with decision anchoring into this node.
    #[arg(long)]
    anchor_node_url: Option<String>,
    /// Also measure anchoring, into a lone `cretoai-node` started from this binary (free
    /// ports, scratch data dir, removed at the end).
    #[arg(long, conflicts_with = "anchor_node_url")]
    anchor_node_bin: Option<PathBuf>,
    /// Concurrent clients of the anchoring comparison (default: --clients).
    #[arg(long, value_delimiter = ',')]
    anchor_clients: Vec<usize>,
    /// Token for the anchor node (environment only: it is a secret).
    #[arg(skip = std::env::var("CRETOAI_AUTHZ_ANCHOR_TOKEN").ok().map(Secret::from))]
    anchor_token: Option<Secret>,
}

fn check_body() -> serde_json::Value {
    json!({
        "principal": {"id": "agent-7", "roles": ["treasury-agent"], "attributes": {"transfer_limit": 5000, "currency": "EUR"}},
        "resource": {"kind": "Payment", "id": "p-1", "attributes": {"amount": 120, "currency": "EUR", "destination_country": "DE"}},
        "action": "payments:initiate",
        "context": {"session": "s-1"}
    })
}

fn micros(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e6
}

fn in_process(state: &AppState, iterations: usize) -> Vec<(String, Percentiles)> {
    let req: CheckRequest = serde_json::from_value(check_body()).expect("valid check");
    let Engine::Cedar(cedar) = &state.engine else {
        unreachable!("bench uses cedar")
    };
    let mut out = Vec::new();
    let bare: Vec<f64> = (0..iterations)
        .map(|_| {
            let t = Instant::now();
            let d = cedar.decide(&req).expect("decides");
            assert!(d.allowed);
            micros(t)
        })
        .collect();
    out.push((
        "bare Cedar decision".to_string(),
        percentiles(bare).expect("iterations > 0"),
    ));
    for mode in Mode::ALL {
        state
            .set_mode(mode)
            .expect("records the mode in the data dir");
        let samples: Vec<f64> = (0..iterations)
            .map(|_| {
                let t = Instant::now();
                let d = cedar.decide(&req).expect("decides");
                let claims = state.claims_for(&req, &d);
                state.issue(&claims).expect("signs");
                micros(t)
            })
            .collect();
        out.push((
            format!("decision + sign, {mode} ({})", state.signing_alg()),
            percentiles(samples).expect("iterations > 0"),
        ));
    }
    out
}

async fn bare_cedar(state: web::Data<AppState>, body: web::Json<CheckRequest>) -> HttpResponse {
    match state.engine.decide(&body, None).await {
        Ok(d) => HttpResponse::Ok().json(d),
        Err(e) => HttpResponse::BadRequest().body(e.to_string()),
    }
}

/// Run `clients` keep-alive clients against `path` for `seconds`; returns
/// (checks/s, latency percentiles in ms, errors).
fn load(
    addr: SocketAddr,
    path: &'static str,
    clients: usize,
    seconds: u64,
) -> (f64, Percentiles, usize) {
    let samples = Rc::new(RefCell::new(Vec::<f64>::new()));
    let errors = Rc::new(RefCell::new(0usize));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    actix_web::rt::System::new().block_on({
        let samples = samples.clone();
        let errors = errors.clone();
        async move {
            let client = awc::Client::builder()
                .timeout(Duration::from_secs(10))
                .finish();
            let url = format!("http://{addr}{path}");
            let tasks: Vec<_> = (0..clients)
                .map(|_| {
                    let (client, url, samples, errors) =
                        (client.clone(), url.clone(), samples.clone(), errors.clone());
                    actix_web::rt::spawn(async move {
                        let body = check_body();
                        while Instant::now() < deadline {
                            let t = Instant::now();
                            let ok = match client.post(&url).send_json(&body).await {
                                Ok(mut r) => r.status().is_success() && r.body().await.is_ok(),
                                Err(_) => false,
                            };
                            if ok {
                                samples.borrow_mut().push(t.elapsed().as_secs_f64() * 1e3);
                            } else {
                                *errors.borrow_mut() += 1;
                            }
                        }
                    })
                })
                .collect();
            for t in tasks {
                let _ = t.await;
            }
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let samples = samples.take();
    let rate = samples.len() as f64 / elapsed;
    (
        rate,
        percentiles(samples).unwrap_or_default(),
        errors.take(),
    )
}

/// Serve `state` (plus the bare-Cedar route) on a free port from its own thread.
fn serve(state: web::Data<AppState>, workers: usize) -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                App::new()
                    .route("/bench/bare-cedar", web::post().to(bare_cedar))
                    .configure(api::configure(state.clone()))
            })
            .workers(workers)
            .listen(listener)
            .expect("listen")
            .run()
            .await
        })
    });
    std::thread::sleep(Duration::from_millis(300));
    Ok(addr)
}

/// A sidecar state over a scratch data dir.
fn open_state(
    data_dir: &std::path::Path,
    edit: impl FnOnce(&mut Config),
) -> Result<web::Data<AppState>, Box<dyn std::error::Error>> {
    let mut config = Config {
        data_dir: data_dir.to_path_buf(),
        ..Config::default()
    };
    edit(&mut config);
    let secrets = Secrets {
        root_token: Some(hex::encode(cretoai_crypto::random::array::<16>())),
        master_key_hex: None,
    };
    Ok(web::Data::new(AppState::open(config, secrets)?.0))
}

/// A lone node started for anchoring; killed, and its data removed, when dropped.
struct AnchorNode {
    child: Child,
    url: String,
    token: Secret,
    data_dir: PathBuf,
}

fn free_port() -> std::io::Result<SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// Whether `GET /ready` at `addr` answers 200 (one plain HTTP/1.1 request, no client crate:
/// the node serves plain HTTP on loopback).
fn ready(addr: SocketAddr) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let asked = s.write_all(b"GET /ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let mut head = [0u8; 12];
    asked.is_ok() && s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

impl AnchorNode {
    fn start(binary: &Path, data_dir: PathBuf) -> std::io::Result<Self> {
        let (listen, quic) = (free_port()?, free_port()?);
        let token = hex::encode(cretoai_crypto::random::array::<16>());
        let mut command = Command::new(binary);
        for var in ["CRETOAI_CONFIG", "CRETOAI_PEERS", "CRETOAI_MASTER_KEY"] {
            command.env_remove(var);
        }
        let child = command
            .env("CRETOAI_LISTEN", listen.to_string())
            .env("CRETOAI_QUIC_LISTEN", quic.to_string())
            .env("CRETOAI_DATA_DIR", &data_dir)
            .env("CRETOAI_ROOT_TOKEN", &token)
            .env("CRETOAI_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .spawn()?;
        let node = Self {
            child,
            url: format!("http://{listen}"),
            token: Secret::from(token),
            data_dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ready(listen) {
            if Instant::now() > deadline {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("{} did not become ready", binary.display()),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(node)
    }
}

impl Drop for AnchorNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// pqc mode without and with anchoring into `url`, at each client count.
fn anchoring(
    args: &Args,
    data_dir: &Path,
    plain: (&web::Data<AppState>, SocketAddr),
    url: String,
    token: Option<Secret>,
) -> Result<(), Box<dyn std::error::Error>> {
    let anchored = open_state(&data_dir.join("anchored"), |c| {
        c.mode = Mode::Pqc;
        c.anchor.node_url = Some(url);
        c.anchor.token = token;
    })?;
    let addr = serve(anchored.clone(), args.workers)?;
    plain
        .0
        .set_mode(Mode::Pqc)
        .expect("records the mode in the data dir");
    println!(
        "\n## Decision anchoring, {} s per target, {} server workers\n",
        args.seconds, args.workers
    );
    println!(
        "| target | clients | checks/s | p50 ms | p95 ms | errors |\n|---|---:|---:|---:|---:|---:|"
    );
    let counts = if args.anchor_clients.is_empty() {
        vec![args.clients]
    } else {
        args.anchor_clients.clone()
    };
    for clients in counts {
        for (target, at) in [
            ("sidecar, pqc (ML-DSA-65)", plain.1),
            ("sidecar, pqc (ML-DSA-65) + anchoring", addr),
        ] {
            let (rate, p, errs) = load(at, "/v1/authorization/check", clients, args.seconds);
            println!(
                "| {target} | {clients} | {rate:.0} | {:.2} | {:.2} | {errs} |",
                p.p50, p.p95
            );
        }
    }
    // Anchoring failures still answer 200: report them separately.
    if let Some(a) = &anchored.anchor {
        let s = a.status();
        let failed: u64 = s["failed"]
            .as_object()
            .map_or(0, |m| m.values().filter_map(|v| v.as_u64()).sum());
        let ms = |q: &str| {
            s["anchor_us"][q]
                .as_f64()
                .map_or("-".into(), |us| format!("{:.1}", us / 1e3))
        };
        println!(
            "\nAnchoring: {} decisions anchored, {failed} failed; sign + submit p50 {} ms, p95 {} ms.",
            s["anchored"],
            ms("p50"),
            ms("p95")
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let data_dir = std::env::temp_dir().join(format!("cretoai-authz-bench-{}", std::process::id()));
    let state = open_state(&data_dir, |_| {})?;

    println!(
        "## In-process, one thread ({} iterations)\n",
        args.iterations
    );
    println!("| path | p50 µs | p95 µs |\n|---|---:|---:|");
    let rows = in_process(&state, args.iterations);
    for (name, p) in &rows {
        println!("| {name} | {:.1} | {:.1} |", p.p50, p.p95);
    }

    let addr = serve(state.clone(), args.workers)?;

    println!(
        "\n## HTTP, {} concurrent clients, {} s per target, {} server workers\n",
        args.clients, args.seconds, args.workers
    );
    println!("| target | checks/s | p50 ms | p95 ms | errors |\n|---|---:|---:|---:|---:|");
    let (rate, bare, errs) = load(addr, "/bench/bare-cedar", args.clients, args.seconds);
    println!(
        "| bare Cedar over HTTP | {rate:.0} | {:.2} | {:.2} | {errs} |",
        bare.p50, bare.p95
    );
    let mut pqc_p95 = 0.0;
    for mode in Mode::ALL {
        state
            .set_mode(mode)
            .expect("records the mode in the data dir");
        let (rate, p, errs) = load(addr, "/v1/authorization/check", args.clients, args.seconds);
        println!(
            "| sidecar, {mode} ({}) | {rate:.0} | {:.2} | {:.2} | {errs} |",
            state.signing_alg(),
            p.p50,
            p.p95
        );
        if mode == Mode::Pqc {
            pqc_p95 = p.p95;
        }
    }
    let in_bare = rows[0].1.p95;
    let in_pqc = rows
        .iter()
        .find(|(n, _)| n.contains("pqc"))
        .map_or(0.0, |r| r.1.p95);
    println!(
        "\nAdded p95 in pqc mode: {:.3} ms in-process (decision + sign vs bare decision), {:.3} ms over HTTP at {} clients.",
        (in_pqc - in_bare) / 1e3,
        pqc_p95 - bare.p95,
        args.clients
    );
    let node = match &args.anchor_node_bin {
        Some(bin) => Some(AnchorNode::start(bin, data_dir.join("node"))?),
        None => None,
    };
    let target = match (&node, &args.anchor_node_url) {
        (Some(n), _) => Some((n.url.clone(), Some(n.token.clone()))),
        (None, Some(url)) => Some((url.clone(), args.anchor_token.clone())),
        (None, None) => None,
    };
    if let Some((url, token)) = target {
        anchoring(&args, &data_dir, (&state, addr), url, token)?;
    }
    drop(node);
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}
