//! What HTTPS costs the REST API: `/v1/sign` over HTTPS as a share of its plain-HTTP rate in
//! the same report (keep-alive connections, so the handshake cost should disappear), and
//! new-connection handshakes per second with X25519MLKEM768 and with X25519, read from the
//! output of `cretoai-bench http --tls`.

use super::claims::{Claim, Verdict};
use super::figures::{grouped, RestFigure};
use std::fmt::Write as _;

/// Share of its plain-HTTP rate `/v1/sign` must keep over HTTPS with keep-alive.
pub const HTTPS_SHARE_TARGET: f64 = 0.95;

/// The route the HTTPS share is measured on.
const SIGN: &str = "POST /v1/sign";

/// New-connection handshakes with one key-exchange group.
#[derive(Debug, Clone, PartialEq)]
pub struct HandshakeFigure {
    /// Group as rustls names it, e.g. `X25519MLKEM768`.
    pub group: String,
    /// Completed connections (handshake + `GET /health`) per second.
    pub per_second: f64,
    /// Completed connections.
    pub completed: u64,
    /// Failed connections.
    pub failed: u64,
}

/// The handshake lines of `cretoai-bench http` output, as its `http_transport` prints them:
/// `  X25519MLKEM768      812 handshakes/s  (1624 completed, 0 failed)`.
pub fn handshakes(stdout: &str) -> Vec<HandshakeFigure> {
    stdout
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
                .filter(|w| !w.is_empty())
                .collect();
            match f[..] {
                [group, rate, "handshakes/s", completed, "completed", failed, "failed"] => {
                    Some(HandshakeFigure {
                        group: group.to_string(),
                        per_second: rate.parse().ok()?,
                        completed: completed.parse().ok()?,
                        failed: failed.parse().ok()?,
                    })
                }
                _ => None,
            }
        })
        .collect()
}

/// `/v1/sign` over HTTPS and over plain HTTP (requests/s), when both ran.
pub fn sign_rates(rest: &[RestFigure]) -> Option<(f64, f64)> {
    let rate = |transport: &str| {
        rest.iter()
            .find(|f| f.transport == transport && f.route() == SIGN && f.requests > 0)
            .map(|f| f.rate)
    };
    let [plain, https] = super::steps::TRANSPORTS.map(|t| t.name);
    Some((rate(https)?, rate(plain)?))
}

/// Says where the ratio's cores went: the load generator is not a separate machine.
const SHARED_CORES: &str = "The load generator's own TLS work (encrypting each request, \
    decrypting each answer) runs on the same cores as the node, so this ratio counts the \
    client's TLS cost as well as the server's.";

/// The claims row of the HTTPS share.
pub fn claim(rest: &[RestFigure]) -> Claim {
    let claim = "REST `/v1/sign` over HTTPS ≥ 95 % of its plain-HTTP rate".to_string();
    match sign_rates(rest) {
        Some((https, plain)) => Claim {
            claim,
            measured: format!(
                "{:.1} %: {} signatures/s over HTTPS, {} over plain HTTP",
                100.0 * https / plain,
                grouped(https),
                grouped(plain)
            ),
            of_limit: String::new(),
            verdict: if https / plain >= HTTPS_SHARE_TARGET {
                Verdict::Met
            } else {
                Verdict::NotMet
            },
            holds_for: "ML-DSA-65, 32 keep-alive clients on the node's cores".into(),
        },
        None => Claim {
            claim,
            measured: "needs both a plain-HTTP and an HTTPS run".into(),
            of_limit: String::new(),
            verdict: Verdict::NotMeasured,
            holds_for: String::new(),
        },
    }
}

/// The page's HTTPS part: the share against its target, then the handshake rates with the
/// command that measured them.
pub fn section(s: &mut String, rest: &[RestFigure], shakes: &[HandshakeFigure], command: &str) {
    s.push_str("### What HTTPS costs\n\n");
    if let Some((https, plain)) = sign_rates(rest) {
        let share = https / plain;
        let _ = writeln!(
            s,
            "With keep-alive connections, `/v1/sign` over HTTPS reached {:.1} % of its \
             plain-HTTP rate in this run ({} against {} signatures/s): the target of at least \
             {:.0} % is **{}**. {SHARED_CORES}\n",
            100.0 * share,
            grouped(https),
            grouped(plain),
            100.0 * HTTPS_SHARE_TARGET,
            if share >= HTTPS_SHARE_TARGET {
                "met"
            } else {
                "not met"
            }
        );
    }
    if shakes.is_empty() {
        s.push_str("New-connection handshakes: not measured in this run.\n\n");
        return;
    }
    s.push_str(
        "New connections, no keep-alive: each of 32 clients opens a TLS connection offering \
         one key-exchange group, completes the handshake, asks `GET /health` and closes. \
         This is what the node pays when clients do not reuse connections.\n\n\
         | key exchange | new connections/s | completed | failed |\n|---|---:|---:|---:|\n",
    );
    for h in shakes {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            h.group,
            grouped(h.per_second),
            grouped(h.completed as f64),
            h.failed
        );
    }
    let _ = writeln!(
        s,
        "\nMeasured by the HTTPS step:\n\n```sh\n{command}\n```\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(transport: &str, rate: f64) -> RestFigure {
        RestFigure {
            transport: transport.into(),
            workload: "POST /v1/sign ml-dsa-65 c=32".into(),
            requests: 100,
            errors: 0,
            rate,
            p50_ms: 3.0,
            p95_ms: 5.0,
            p99_ms: 7.0,
        }
    }

    #[test]
    fn reads_handshake_lines_and_nothing_else() {
        let out = "HTTPS, 32 keep-alive connections:\n\
            POST /v1/sign ml-dsa-65 c=32     84594       0      10568      3.00      5.05      5.96\n\
            \nnew HTTPS connections (handshake + GET /health, no keep-alive), c=32:\n\
            \x20 X25519MLKEM768        812 handshakes/s  (1624 completed, 0 failed)\n\
            \x20 X25519               1033 handshakes/s  (2066 completed, 3 failed)\n";
        let h = handshakes(out);
        assert_eq!(h.len(), 2);
        assert_eq!(
            h[0],
            HandshakeFigure {
                group: "X25519MLKEM768".into(),
                per_second: 812.0,
                completed: 1624,
                failed: 0
            }
        );
        assert_eq!((h[1].group.as_str(), h[1].failed), ("X25519", 3));
        assert!(handshakes("  X25519 fast handshakes/s  (1 completed, 0 failed)").is_empty());
    }

    #[test]
    fn the_https_share_is_judged_against_95_percent() {
        // The last full run: 9,224 over HTTPS, 9,968 over plain HTTP.
        let rest = [sign("plain HTTP", 9_968.0), sign("HTTPS", 9_224.0)];
        let c = claim(&rest);
        assert_eq!(c.verdict, Verdict::NotMet);
        assert_eq!(
            c.measured,
            "92.5 %: 9,224 signatures/s over HTTPS, 9,968 over plain HTTP"
        );
        let fast = [sign("plain HTTP", 10_000.0), sign("HTTPS", 9_600.0)];
        assert_eq!(claim(&fast).verdict, Verdict::Met);
        assert_eq!(claim(&rest[..1]).verdict, Verdict::NotMeasured);

        let mut page = String::new();
        let shakes = handshakes("  X25519MLKEM768 812 handshakes/s (1624 completed, 0 failed)");
        section(&mut page, &rest, &shakes, "cretoai-bench http --tls");
        assert!(page.contains("reached 92.5 % of its plain-HTTP rate"));
        assert!(page.contains("the target of at least 95 % is **not met**"));
        assert!(page.contains("on the same cores as the node"));
        assert!(page.contains("| X25519MLKEM768 | 812 | 1,624 | 0 |"));
        assert!(page.contains("```sh\ncretoai-bench http --tls\n```"));
    }
}
