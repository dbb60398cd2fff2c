//! `cretoai-compare`: classical versus post-quantum decision signing, measured
//! on this machine, written to `docs/benchmarks/authz-comparison.{md,json,svg}`.
//!
//! ```text
//! cargo run --release -p cretoai-comparison -- [--iterations 300] [--out-dir docs/benchmarks]
//! ```

mod chart;
mod report;

use clap::Parser;
use cretoai_authz_sidecar::algorithm::{Algorithm, Backend};
use cretoai_authz_sidecar::jws;
use cretoai_authz_sidecar::key_pair::KeyPair;
use cretoai_authz_sidecar::measurements::percentiles;
use report::Row;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "cretoai-compare",
    about = "Side-by-side cost of classical, composite and ML-DSA JWS signing"
)]
struct Args {
    /// Sign and verify operations per variant.
    #[arg(long, default_value_t = 300)]
    iterations: usize,
    /// Key generations per variant (RSA-3072 keygen takes ~1 s in release builds).
    #[arg(long, default_value_t = 5)]
    keygens: usize,
    /// Output directory.
    #[arg(long, default_value = "docs/benchmarks")]
    out_dir: PathBuf,
}

/// One measured configuration.
struct Case {
    label: &'static str,
    alg: Algorithm,
    rsa_bits: usize,
    backend: Backend,
}

const fn case(label: &'static str, alg: Algorithm, rsa_bits: usize, backend: Backend) -> Case {
    Case {
        label,
        alg,
        rsa_bits,
        backend,
    }
}

const CASES: [Case; 14] = [
    case("RS256 RSA-2048", Algorithm::Rs256, 2048, Backend::AwsLc),
    case(
        "RS256 RSA-2048",
        Algorithm::Rs256,
        2048,
        Backend::RustCrypto,
    ),
    case("RS256 RSA-3072", Algorithm::Rs256, 3072, Backend::AwsLc),
    case(
        "RS256 RSA-3072",
        Algorithm::Rs256,
        3072,
        Backend::RustCrypto,
    ),
    case("PS256 RSA-2048", Algorithm::Ps256, 2048, Backend::AwsLc),
    case(
        "PS256 RSA-2048",
        Algorithm::Ps256,
        2048,
        Backend::RustCrypto,
    ),
    case("PS256 RSA-3072", Algorithm::Ps256, 3072, Backend::AwsLc),
    case(
        "PS256 RSA-3072",
        Algorithm::Ps256,
        3072,
        Backend::RustCrypto,
    ),
    case("EdDSA Ed25519", Algorithm::EdDsa, 0, Backend::AwsLc),
    case("EdDSA Ed25519", Algorithm::EdDsa, 0, Backend::RustCrypto),
    case("ML-DSA-44", Algorithm::MlDsa44, 0, Backend::AwsLc),
    case("ML-DSA-65", Algorithm::MlDsa65, 0, Backend::AwsLc),
    case("ML-DSA-87", Algorithm::MlDsa87, 0, Backend::AwsLc),
    case(
        "ML-DSA-65-Ed25519",
        Algorithm::MlDsa65Ed25519,
        0,
        Backend::AwsLc,
    ),
];

fn micros(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e6
}

fn measure(c: &Case, args: &Args) -> Result<Row, Box<dyn std::error::Error>> {
    let mut keygen_us = Vec::new();
    let mut key = None;
    for _ in 0..args.keygens.max(1) {
        let t = Instant::now();
        let k = KeyPair::generate(c.alg, c.rsa_bits)?;
        keygen_us.push(micros(t));
        key = Some(k);
    }
    let key = key.expect("at least one key generated");
    let kid = key.public_key().thumbprint();
    // A representative decision: the claims the sidecar signs for every check.
    let claims = json!({
        "iss": "cretoai-authz-sidecar", "sub": "agent-payments-7", "act": "payments:initiate",
        "res": "Payment:p-20261126-0042", "effect": "allow", "policy": "payments-agent",
        "iat": 1_795_000_000u64, "nbf": 1_795_000_000u64, "exp": 1_795_000_300u64,
        "jti": "6f1c2a9e0b7d4e3f8a5c1d2e3f4a5b6c",
        "req_hash": "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c"
    });
    let mut sign_us = Vec::with_capacity(args.iterations);
    let mut verify_us = Vec::with_capacity(args.iterations);
    let mut token = String::new();
    for _ in 0..args.iterations {
        let t = Instant::now();
        token = jws::sign(&key, &kid, c.backend, &claims)?;
        sign_us.push(micros(t));
        let parsed = jws::parse(&token)?;
        let t = Instant::now();
        key.public_key()
            .verify(
                c.backend,
                parsed.signing_input.as_bytes(),
                &parsed.signature,
            )
            .map_err(|r| format!("{}: own token refused: {r:?}", c.label))?;
        verify_us.push(micros(t));
    }
    let parsed = jws::parse(&token)?;
    let sign = percentiles(sign_us).expect("iterations > 0");
    let verify = percentiles(verify_us).expect("iterations > 0");
    Ok(Row {
        label: c.label,
        alg: c.alg,
        backend: c.backend,
        keygen_us: percentiles(keygen_us).expect("keygens > 0").p50,
        sign,
        verify,
        token_bytes: token.len(),
        signature_bytes: parsed.signature.len(),
        public_key_bytes: key.public_key().size(),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.iterations == 0 {
        return Err("--iterations must be at least 1".into());
    }
    let mut rows = Vec::new();
    for c in &CASES {
        eprintln!("measuring {} ({})", c.label, c.backend.as_str());
        rows.push(measure(c, &args)?);
    }
    std::fs::create_dir_all(&args.out_dir)?;
    let command = format!(
        "cargo run --release -p cretoai-comparison -- --iterations {} --keygens {}",
        args.iterations, args.keygens
    );
    let md = report::markdown(&rows, &command);
    std::fs::write(args.out_dir.join("authz-comparison.md"), &md)?;
    std::fs::write(
        args.out_dir.join("authz-comparison.json"),
        serde_json::to_string_pretty(&report::json(&rows, &command, args.iterations))? + "\n",
    )?;
    std::fs::write(args.out_dir.join("authz-comparison.svg"), chart::svg(&rows))?;
    println!("{md}");
    eprintln!(
        "wrote {}/authz-comparison.{{md,json,svg}}",
        args.out_dir.display()
    );
    Ok(())
}
