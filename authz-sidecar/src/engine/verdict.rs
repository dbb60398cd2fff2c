//! How an upstream Creto AuthZ Engine's HTTP answer becomes a decision to sign, or an error
//! with nothing signed. Pure: status, headers and body in; the contract is in
//! docs/authz-upgrade-path.md ("The engine contract").
//!
//! The sidecar signs an allow only when the engine said both `allowed: true` and
//! `effect: "allow"`. `allowed: false` is a deny whatever `effect` says: the engine answers a
//! request that no rule matched with an empty effect (default deny), and that deny must be
//! signed and auditable like an explicit one. Anything else is not a decision.

use super::Decision;
use crate::error::{Result, SidecarError};
use serde_json::Value;

/// Longest engine message passed on to the caller.
const MAX_MESSAGE_CHARS: usize = 500;
/// Retry-After given to clients when the engine gave none.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// Reads the engine's answer to a check.
pub fn read(status: u16, retry_after: Option<&str>, body: &[u8]) -> Result<Decision> {
    match status {
        200..=299 => decision(body),
        400 | 422 => Err(SidecarError::UpstreamRejected(message(body))),
        401 | 403 | 404 => Err(SidecarError::UpstreamError(format!(
            "the engine answered {status}: check the sidecar's engine URL and credentials"
        ))),
        429 => Err(SidecarError::UpstreamUnavailable {
            detail: "the engine is rate limiting (429)".into(),
            retry_after_secs: retry_after
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(DEFAULT_RETRY_AFTER_SECS),
        }),
        _ => Err(SidecarError::UpstreamError(format!(
            "the engine answered {status}: {}",
            message(body)
        ))),
    }
}

fn decision(body: &[u8]) -> Result<Decision> {
    let answer: Value = serde_json::from_slice(body)
        .map_err(|e| SidecarError::UpstreamError(format!("the answer is not JSON: {e}")))?;
    let Value::Object(map) = answer else {
        return Err(SidecarError::UpstreamError(
            "the answer is not a JSON object".into(),
        ));
    };
    let effect = map.get("effect");
    let allowed = match map.get("allowed") {
        Some(Value::Bool(true)) if effect == Some(&Value::from("allow")) => true,
        Some(Value::Bool(true)) => {
            return Err(SidecarError::UpstreamError(format!(
                "contradictory answer: allowed=true with effect {}",
                effect.map_or("missing".into(), Value::to_string)
            )))
        }
        Some(Value::Bool(false)) => false,
        other => {
            return Err(SidecarError::UpstreamError(format!(
                "the answer's `allowed` is {}, not a boolean",
                other.map_or("missing".into(), Value::to_string)
            )))
        }
    };
    let text = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Ok(Decision {
        allowed,
        effect: if allowed { "allow" } else { "deny" }.into(),
        policy: text("policy"),
        rule: text("rule"),
        metadata: map.get("metadata").cloned().unwrap_or(Value::Null),
    })
}

/// The engine's own explanation: its JSON `message` (or `error`), else the body's text.
fn message(body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        ["message", "error"]
            .iter()
            .find_map(|k| v.get(k).and_then(Value::as_str).map(str::to_string))
    });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_string());
    if text.is_empty() {
        return "no message".into();
    }
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(body: Value) -> Result<Decision> {
        read(200, None, body.to_string().as_bytes())
    }

    fn code(r: Result<Decision>) -> &'static str {
        r.expect_err("an error").code()
    }

    #[test]
    fn only_allowed_true_with_effect_allow_is_an_allow() {
        let d = ok(
            json!({"allowed": true, "effect": "allow", "policy": "p", "rule": "r",
            "metadata": {"request_id": "x"}}),
        )
        .unwrap();
        assert!(d.allowed);
        assert_eq!(
            (d.policy.as_deref(), d.rule.as_deref()),
            (Some("p"), Some("r"))
        );
        assert_eq!(d.metadata, json!({"request_id": "x"}));
        for effect in [json!("deny"), json!(""), json!("ALLOW"), json!(null)] {
            let r = ok(json!({"allowed": true, "effect": effect}));
            assert_eq!(code(r), "upstream_error", "{effect}");
        }
        assert_eq!(code(ok(json!({"allowed": true}))), "upstream_error");
    }

    #[test]
    fn allowed_false_is_a_deny_whatever_the_effect() {
        for body in [
            json!({"allowed": false, "effect": "", "policy": "", "rule": "", "metadata": {}}),
            json!({"allowed": false, "effect": "deny", "policy": "p", "rule": "no"}),
            json!({"allowed": false}),
            json!({"allowed": false, "effect": "allow"}),
        ] {
            let d = ok(body.clone()).unwrap();
            assert_eq!((d.allowed, d.effect.as_str()), (false, "deny"), "{body}");
        }
        let d = ok(json!({"allowed": false, "effect": "", "policy": "", "rule": ""})).unwrap();
        assert_eq!((d.policy, d.rule), (None, None), "empty names are no names");
    }

    #[test]
    fn anything_else_is_not_a_decision() {
        for body in [
            json!({"effect": "allow"}),
            json!({"allowed": "true", "effect": "allow"}),
            json!({"allowed": 1, "effect": "allow"}),
            json!([true]),
            json!("allow"),
        ] {
            assert_eq!(code(ok(body.clone())), "upstream_error", "{body}");
        }
        assert_eq!(code(read(200, None, b"not json")), "upstream_error");
    }

    #[test]
    fn engine_errors_map_to_what_a_client_can_do() {
        let bad = br#"{"error": "resource.id is required", "message": "resource.id is required"}"#;
        for status in [400, 422] {
            let e = read(status, None, bad).unwrap_err();
            assert_eq!(e.code(), "upstream_rejected");
            assert!(e.to_string().contains("resource.id is required"), "{e}");
        }
        for status in [401, 403, 404, 500, 502, 503, 302] {
            assert_eq!(code(read(status, None, b"")), "upstream_error", "{status}");
        }
        match read(429, Some("7"), b"") {
            Err(SidecarError::UpstreamUnavailable {
                retry_after_secs, ..
            }) => assert_eq!(retry_after_secs, 7),
            other => panic!("{other:?}"),
        }
        match read(429, None, b"") {
            Err(SidecarError::UpstreamUnavailable {
                retry_after_secs, ..
            }) => assert_eq!(retry_after_secs, DEFAULT_RETRY_AFTER_SECS),
            other => panic!("{other:?}"),
        }
    }
}
