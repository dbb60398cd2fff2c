//! `cretoai-bench`: load benchmarks against real CretoAI processes.
//!
//! `cretoai-bench http` measures the crypto REST API: the library's raw 2-thread ML-DSA-65
//! signing rate, then `/v1/sign`, `/v1/encrypt`, `/v1/verify` and `/v1/decrypt` with N
//! concurrent keep-alive clients (req/s, p50/p95/p99), against a node it starts itself or one
//! given with `--url`; over plain HTTP and HTTPS in the same run, with new-connection
//! handshakes/s per key-exchange group.
//!
//! `cretoai-bench cluster` loads a 3-node QR-Avalanche cluster with pre-signed ML-DSA
//! transactions (see `cretoai_benches::cluster_load` and docs/measurement/cluster.md).
//!
//! `cretoai-bench replicated` measures p50/p95 latency of vault put and get, key create and sign
//! at low load, on one node and on node 1 of a local 3-node cluster (see
//! `cretoai_benches::replicated_latency`).
//!
//! `cretoai-bench report` runs all of the above (and the AuthZ comparison) as one plan and
//! writes docs/benchmarks/README.md with its charts (see `cretoai_benches::report`).
//!
//! `cretoai-bench crypto-table` turns the criterion results of `cargo bench --bench crypto`
//! into the table of docs/benchmarks/crypto.md (printed, or written between its marks).
//!
//! Run: `cargo build --release -p cretoai-node -p cretoai-benches && target/release/cretoai-bench http`

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use clap::{Parser, Subcommand};
use cretoai_benches::closed_loop::{has_string_member, position, print_header, Workload};
use cretoai_benches::node_process::NodeProcess;
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_tls::KeyExchangeGroup;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Load benchmarks against real CretoAI processes")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Crypto REST API throughput and latency.
    Http(HttpArgs),
    /// Vault REST put and get of a secret (1 KiB by default).
    Vault(cretoai_benches::vault_load::VaultArgs),
    /// QR-Avalanche cluster load: accepted TPS, finality on all nodes, peak RSS.
    Cluster(ClusterArgs),
    /// Latency of replicated writes (vault put, key create) and local reads and signing, on one
    /// node and on a 3-node cluster.
    Replicated(cretoai_benches::replicated_latency::ReplicatedArgs),
    /// Markdown table of the criterion `crypto` bench results.
    CryptoTable(CryptoTableArgs),
    /// Every benchmark in one run: the results page, its charts and the headline figures.
    Report(cretoai_benches::report::ReportArgs),
}

#[derive(Parser)]
struct CryptoTableArgs {
    /// Criterion's output folder (default: `$CARGO_TARGET_DIR/criterion`, else
    /// `target/criterion`).
    #[arg(long)]
    criterion_dir: Option<PathBuf>,
    /// Markdown file whose table (between the crypto-table marks) is replaced; without it the
    /// table is printed.
    #[arg(long)]
    write: Option<PathBuf>,
}

#[derive(Parser)]
struct ClusterArgs {
    /// A running node (repeat): `host:port` or `http://host:port` for plain HTTP,
    /// `https://host:port` for HTTPS (with --ca); if absent, --nodes local nodes are started.
    #[arg(long)]
    url: Vec<String>,
    /// CA certificate (PEM) that `https://` nodes are verified against.
    #[arg(long, value_name = "PEM")]
    ca: Option<PathBuf>,
    /// Node binary to start when --url is not given.
    #[arg(long, default_value = "target/release/cretoai-node")]
    node_bin: PathBuf,
    /// Local nodes to start.
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// Bearer token with `consensus` scopes (root token of nodes we start).
    #[arg(
        long,
        env = "CRETOAI_TOKEN",
        default_value = "bench-root-token-0123456789abcdef"
    )]
    token: String,
    /// Transactions to pre-sign and submit.
    #[arg(long, default_value_t = 20_000)]
    transactions: usize,
    /// Submissions per second; absent means flat out.
    #[arg(long)]
    rate: Option<u64>,
    /// Transactions per batch request.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Keep-alive connections per node.
    #[arg(long, default_value_t = 2)]
    connections: usize,
    /// Sender key level: ml-dsa-44, ml-dsa-65 or ml-dsa-87.
    #[arg(long, default_value = "ml-dsa-65")]
    level: MlDsaLevel,
    /// Transactions whose finality is read back from every node.
    #[arg(long, default_value_t = 2_000)]
    sample: usize,
    /// Record each local node's RSS and CPU time every this many seconds during the run.
    #[arg(long)]
    usage_every: Option<f64>,
}

#[derive(Parser)]
struct HttpArgs {
    /// Address (`host:port`) of a running node; if absent a node is started from --node-bin.
    #[arg(long)]
    url: Option<String>,
    /// Node binary to start when --url is not given.
    #[arg(long, default_value = "target/release/cretoai-node")]
    node_bin: PathBuf,
    /// Bearer token with `crypto` and `keys:admin` scopes (root token of a node we start).
    #[arg(
        long,
        env = "CRETOAI_TOKEN",
        default_value = "bench-root-token-0123456789abcdef"
    )]
    token: String,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds per workload.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Threads for the raw library signing rate (the machine's cores by default).
    #[arg(long)]
    raw_threads: Option<usize>,
    /// Only HTTPS (default: plain HTTP, then HTTPS, each on a node of its own, and
    /// new-connection handshakes/s with X25519MLKEM768 and with X25519).
    #[arg(long, conflicts_with_all = ["plain", "url"])]
    tls: bool,
    /// Only plain HTTP.
    #[arg(long, conflicts_with = "tls")]
    plain: bool,
}

fn main() -> bench_error::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Http(args) => http(args),
        Cmd::Vault(args) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(cretoai_benches::vault_load::run(args)),
        Cmd::Replicated(args) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(cretoai_benches::replicated_latency::run(args))
            .map_err(|e| e as Box<dyn std::error::Error>),
        Cmd::CryptoTable(args) => crypto_table(args),
        Cmd::Report(args) => {
            // Its errors are sentences (a check failure lists every problem): shown as such.
            if let Err(e) = cretoai_benches::report::run(args) {
                eprintln!("cretoai-bench report: {e}");
                std::process::exit(1);
            }
            Ok(())
        }
        Cmd::Cluster(a) => {
            let plan = cretoai_benches::cluster_load::Plan {
                urls: a.url,
                ca: a.ca,
                node_bin: a.node_bin,
                nodes: a.nodes,
                token: a.token,
                transactions: a.transactions.max(1),
                rate: a.rate,
                batch: a.batch.max(1),
                connections: a.connections,
                level: a.level,
                sample: a.sample,
                usage_every: a
                    .usage_every
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .map(Duration::from_secs_f64),
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(cretoai_benches::cluster_load::run(plan))
                .map_err(|e| e as Box<dyn std::error::Error>)
        }
    }
}

/// Boxed errors: a bench binary only reports them.
mod bench_error {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;
}

fn http(args: HttpArgs) -> bench_error::Result<()> {
    let threads = args
        .raw_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let secs = args.seconds.clamp(1, 600);
    let raw = raw_sign_rate(threads, Duration::from_secs(secs.min(5)));
    println!("raw ML-DSA-65 signing, {threads} threads, library only: {raw:.0} signatures/s");

    // The client runs on one thread so that it takes as little CPU from the server as it can.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Plain HTTP and HTTPS in the same run, each against a node of its own (one listener
    // serves one of them); --url measures the given node only.
    let transports: &[bool] = match (args.url.is_some() || args.plain, args.tls) {
        (true, _) => &[false],
        (false, true) => &[true],
        (false, false) => &[false, true],
    };
    let mut sign_rates = Vec::new();
    for &tls in transports {
        let rate = rt.block_on(http_transport(&args, tls, secs, threads, raw))?;
        sign_rates.push((tls, rate));
    }
    if let [(false, plain), (true, https)] = sign_rates[..] {
        println!(
            "\n/v1/sign over HTTPS (keep-alive) reaches {:.0}% of its plain-HTTP rate in this run",
            100.0 * https / plain
        );
    }
    Ok(())
}

/// Loads one node over plain HTTP or HTTPS; answers the `/v1/sign` rate.
async fn http_transport(
    args: &HttpArgs,
    tls: bool,
    secs: u64,
    threads: usize,
    raw: f64,
) -> bench_error::Result<f64> {
    let node = match &args.url {
        Some(_) => None,
        None => Some(NodeProcess::start_with(&args.node_bin, &args.token, tls).await?),
    };
    let endpoint = match (&node, &args.url) {
        (Some(n), _) => n.endpoint.clone(),
        (None, u) => cretoai_benches::http_client::Endpoint::plain(
            u.as_deref()
                .unwrap_or_default()
                .trim_start_matches("http://")
                .trim_end_matches('/'),
        ),
    };
    let addr = endpoint.addr.clone();
    let suffix = std::process::id();
    let sign_key = format!("bench-sign-{suffix}");
    let enc_key = format!("bench-enc-{suffix}");
    create_key(&endpoint, &args.token, &sign_key, "ml-dsa-65").await?;
    create_key(&endpoint, &args.token, &enc_key, "ml-kem-768").await?;

    let sign_body =
        serde_json::json!({"key": sign_key, "message": B64.encode([0x5au8; 64])}).to_string();
    let enc_body =
        serde_json::json!({"key": enc_key, "plaintext": B64.encode([0x42u8; 1024])}).to_string();
    let scheme = if tls { "HTTPS" } else { "HTTP" };
    println!("\n{scheme}, {} keep-alive connections:", args.concurrency);
    print_header();
    let plan = Workload {
        addr: &addr,
        token: &args.token,
        concurrency: args.concurrency.max(1),
        window: Duration::from_secs(secs),
        tls: endpoint.tls.clone(),
    };
    let sign_path = |_: usize| "/v1/sign".to_string();
    let mut sign = plan
        .measure_checked(
            "POST",
            sign_path,
            Some(Arc::new(sign_body.clone())),
            is_signature,
        )
        .await?;
    sign.print(&format!("POST /v1/sign ml-dsa-65 c={}", args.concurrency));
    let enc_path = |_: usize| "/v1/encrypt".to_string();
    let mut enc = plan
        .measure_checked(
            "POST",
            enc_path,
            Some(Arc::new(enc_body.clone())),
            is_ciphertext,
        )
        .await?;
    enc.print(&format!("POST /v1/encrypt 1KiB c={}", args.concurrency));
    // Verify a signature and decrypt a ciphertext the node itself made.
    let signed = post_json(&endpoint, &args.token, "/v1/sign", &sign_body).await?;
    let verify_body = serde_json::json!({
        "key": sign_key, "key_version": signed["key_version"],
        "message": B64.encode([0x5au8; 64]), "signature": signed["signature"],
    })
    .to_string();
    let verify_path = |_: usize| "/v1/verify".to_string();
    plan.measure_checked("POST", verify_path, Some(Arc::new(verify_body)), is_valid)
        .await?
        .print(&format!("POST /v1/verify ml-dsa-65 c={}", args.concurrency));
    let sealed = post_json(&endpoint, &args.token, "/v1/encrypt", &enc_body).await?;
    let dec_body =
        serde_json::json!({"key": enc_key, "ciphertext": sealed["ciphertext"]}).to_string();
    let dec_path = |_: usize| "/v1/decrypt".to_string();
    plan.measure_checked("POST", dec_path, Some(Arc::new(dec_body)), is_plaintext)
        .await?
        .print(&format!("POST /v1/decrypt 1KiB c={}", args.concurrency));
    println!(
        "/v1/sign over {scheme} reaches {:.0}% of the raw {threads}-thread library signing rate",
        100.0 * sign.rate() / raw
    );
    if let Some(node) = node.as_ref().filter(|_| tls) {
        println!(
            "\nnew HTTPS connections (handshake + GET /health, no keep-alive), c={}:",
            args.concurrency
        );
        for group in [KeyExchangeGroup::X25519MlKem768, KeyExchangeGroup::X25519] {
            let run = cretoai_benches::handshake::measure(
                &addr,
                &node.ca(),
                group,
                args.concurrency.max(1),
                Duration::from_secs(secs.min(5)),
            )
            .await?;
            println!(
                "  {:<16} {:>8.0} handshakes/s  ({} completed, {} failed)",
                group.name(),
                run.rate(),
                run.completed,
                run.failed
            );
        }
    }
    Ok(sign.rate())
}

/// Standard base64 length of an ML-DSA-65 signature (3309 bytes).
const ML_DSA_65_SIGNATURE_B64: usize = 3309usize.div_ceil(3) * 4;

/// A `/v1/sign` answer carries an ML-DSA-65 signature of the right size (what a load generator
/// like wrk would check is only status and length; this also finds the field).
fn is_signature(body: &[u8]) -> bool {
    has_string_member(body, b"\"signature\":\"", ML_DSA_65_SIGNATURE_B64)
}

/// A `/v1/encrypt` answer carries a `cretoai:v<version>:` ciphertext.
fn is_ciphertext(body: &[u8]) -> bool {
    position(body, b"\"ciphertext\":\"cretoai:v").is_some()
}

/// A `/v1/verify` answer says the signature is valid.
fn is_valid(body: &[u8]) -> bool {
    position(body, b"\"valid\":true").is_some()
}

/// Standard base64 length of the 1 KiB plaintext the decrypt workload gets back.
const PLAINTEXT_1K_B64: usize = 1024usize.div_ceil(3) * 4;

/// A `/v1/decrypt` answer carries the whole 1 KiB plaintext.
fn is_plaintext(body: &[u8]) -> bool {
    has_string_member(body, b"\"plaintext\":\"", PLAINTEXT_1K_B64)
}

/// POSTs a JSON body and returns the JSON answer, which must be a 2xx.
async fn post_json(
    endpoint: &cretoai_benches::http_client::Endpoint,
    token: &str,
    path: &str,
    body: &str,
) -> bench_error::Result<serde_json::Value> {
    let mut c = endpoint.connect().await?;
    let r = c
        .request("POST", path, Some(token), Some(body.as_bytes()))
        .await?;
    if !(200..300).contains(&r.status) {
        return Err(format!(
            "{path}: HTTP {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        )
        .into());
    }
    Ok(serde_json::from_slice(&r.body)?)
}

fn crypto_table(args: CryptoTableArgs) -> bench_error::Result<()> {
    use cretoai_benches::criterion_table::{collect, render, splice};
    let dir = args.criterion_dir.unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
        PathBuf::from(target).join("criterion")
    });
    let estimates = collect(&dir)
        .map_err(|e| format!("reading criterion results in {}: {e}", dir.display()))?;
    let table = render(&estimates);
    match args.write {
        None => print!("{table}"),
        Some(doc_path) => {
            let doc = std::fs::read_to_string(&doc_path)?;
            let updated = splice(&doc, &table)
                .ok_or_else(|| format!("{}: table marks not found", doc_path.display()))?;
            std::fs::write(&doc_path, updated)?;
            println!(
                "{}: {} results written",
                doc_path.display(),
                estimates.len()
            );
        }
    }
    Ok(())
}

async fn create_key(
    endpoint: &cretoai_benches::http_client::Endpoint,
    token: &str,
    name: &str,
    kind: &str,
) -> bench_error::Result<()> {
    let mut c = endpoint.connect().await?;
    let body = serde_json::json!({"name": name, "type": kind}).to_string();
    let r = c
        .request("POST", "/v1/keys", Some(token), Some(body.as_bytes()))
        .await?;
    if !(200..300).contains(&r.status) {
        return Err(format!(
            "creating key {name}: HTTP {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        )
        .into());
    }
    Ok(())
}

/// Signs with `threads` threads for `window` and returns signatures per second.
fn raw_sign_rate(threads: usize, window: Duration) -> f64 {
    let key = Arc::new(SigningKey::generate(MlDsaLevel::MlDsa65).expect("key generation"));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let key = key.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while start.elapsed() < window {
                    key.sign(&[0x5a; 64], b"").expect("sign");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_checks_accept_real_answers_only() {
        let key = SigningKey::generate(MlDsaLevel::MlDsa65).unwrap();
        let sig = B64.encode(key.sign(b"m", b"").unwrap());
        assert_eq!(sig.len(), ML_DSA_65_SIGNATURE_B64);
        let good =
            serde_json::json!({"signature": sig, "algorithm": "ml-dsa-65", "key_version": 1});
        assert!(is_signature(good.to_string().as_bytes()));
        let short = serde_json::json!({"signature": &sig[4..], "algorithm": "ml-dsa-65"});
        assert!(!is_signature(short.to_string().as_bytes()));
        assert!(!is_signature(
            br#"{"error":{"code":"key_not_found","message":"x"}}"#
        ));
        assert!(is_ciphertext(
            br#"{"ciphertext":"cretoai:v1:AAAA","key_version":1}"#
        ));
        assert!(!is_ciphertext(br#"{"plaintext":"cretoai:v1:AAAA"}"#));
        assert!(is_valid(br#"{"valid":true,"key_version":1}"#));
        assert!(!is_valid(br#"{"valid":false,"key_version":1}"#));
        let plain = serde_json::json!({"plaintext": B64.encode([0x42u8; 1024])});
        assert!(is_plaintext(plain.to_string().as_bytes()));
        let short = serde_json::json!({"plaintext": B64.encode([0x42u8; 1000])});
        assert!(!is_plaintext(short.to_string().as_bytes()));
    }
}
