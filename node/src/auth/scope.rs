//! Token scopes: `area[:action[:pattern]]`.
//!
//! Areas and their actions are listed in [`AREAS`]; later subsystems (the vault) add theirs.
//! A pattern restricts the grant to named resources: `payments-signer` exactly, or every name
//! starting with `payments-` when written `payments-*`. Examples: `admin`, `keys:admin`,
//! `keys:read:team-a-*`, `crypto`, `crypto:sign:payments-*`.

use crate::error::{NodeError, Result};
use std::fmt;

/// Known areas and the actions each accepts. `admin` takes none and covers everything.
pub const AREAS: &[(&str, &[&str])] = &[
    ("admin", &[]),
    ("viewer", &[]),
    ("keys", &["admin", "read"]),
    ("crypto", &["encrypt", "decrypt", "sign", "verify"]),
    ("consensus", &["submit", "read"]),
    ("vault", &["read", "write"]),
    ("authz", &["read", "check", "admin"]),
];

/// What the `viewer` scope reads, for a demo screen: status, events, the DAG, the cluster
/// view and the authorization comparison. It changes nothing.
const VIEWER_READS: &[&str] = &["consensus", "authz"];

/// Actions that imply another action in the same area (`keys:admin` may also read).
const IMPLIES: &[(&str, &str, &str)] = &[("keys", "admin", "read")];

/// One granted scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    area: String,
    /// `None` means every action of the area.
    action: Option<String>,
    /// `None` means every resource.
    pattern: Option<String>,
}

/// What a route needs: an area, an action and (for per-key routes) the resource name.
#[derive(Debug, Clone, Copy)]
pub struct Need<'a> {
    /// Area, e.g. `crypto`.
    pub area: &'static str,
    /// Action, e.g. `sign`.
    pub action: &'static str,
    /// Resource name, e.g. the key name; `None` for collection routes.
    pub resource: Option<&'a str>,
}

impl<'a> Need<'a> {
    /// A need scoped to one resource.
    pub fn on(area: &'static str, action: &'static str, resource: &'a str) -> Self {
        Need {
            area,
            action,
            resource: Some(resource),
        }
    }
    /// A need for a collection route or a route without a stored resource.
    pub fn any(area: &'static str, action: &'static str) -> Self {
        Need {
            area,
            action,
            resource: None,
        }
    }
}

impl fmt::Display for Need<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.area)?;
        if !self.action.is_empty() {
            write!(f, ":{}", self.action)?;
        }
        match self.resource {
            Some(r) => write!(f, ":{r}"),
            None => Ok(()),
        }
    }
}

impl Scope {
    /// Parses and validates a scope string.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid =
            |why: &str| NodeError::InvalidRequest(format!("invalid scope `{text}`: {why}"));
        let mut parts = text.splitn(3, ':');
        let area = parts.next().unwrap_or_default();
        let action = parts.next().filter(|a| *a != "*");
        let pattern = parts.next().filter(|p| *p != "*");
        let (_, actions) = AREAS
            .iter()
            .find(|(name, _)| *name == area)
            .ok_or_else(|| {
                invalid("unknown area (admin, viewer, keys, crypto, consensus, vault, authz)")
            })?;
        if let Some(action) = action {
            if !actions.contains(&action) {
                return Err(invalid("unknown action for this area"));
            }
        }
        if (area == "admin" || area == "viewer") && text != area {
            return Err(invalid("`admin` and `viewer` take no action or pattern"));
        }
        if let Some(p) = pattern {
            let body = p.strip_suffix('*').unwrap_or(p);
            if body.is_empty() || body.contains('*') {
                return Err(invalid(
                    "a pattern is a name or a name prefix followed by `*`",
                ));
            }
        }
        Ok(Scope {
            area: area.to_string(),
            action: action.map(str::to_string),
            pattern: pattern.map(str::to_string),
        })
    }

    /// Whether this grant allows `need`.
    pub fn covers(&self, need: &Need<'_>) -> bool {
        if self.area == "admin" {
            return true;
        }
        if self.area == "viewer" {
            return need.action == "read" && VIEWER_READS.contains(&need.area);
        }
        if self.area != need.area {
            return false;
        }
        let action_ok = match &self.action {
            None => true,
            Some(a) => {
                a == need.action
                    || IMPLIES.iter().any(|(area, from, to)| {
                        *area == need.area && a == from && *to == need.action
                    })
            }
        };
        let resource_ok = match (&self.pattern, need.resource) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(p), Some(r)) => match p.strip_suffix('*') {
                Some(prefix) => r.starts_with(prefix),
                None => p == r,
            },
        };
        action_ok && resource_ok
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.area)?;
        match (&self.action, &self.pattern) {
            (None, None) => Ok(()),
            (Some(a), None) => write!(f, ":{a}"),
            (a, Some(p)) => write!(f, ":{}:{p}", a.as_deref().unwrap_or("*")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(scope: &str, need: Need<'_>) -> bool {
        Scope::parse(scope).unwrap().covers(&need)
    }

    #[test]
    fn admin_covers_everything() {
        assert!(covers("admin", Need::any("keys", "admin")));
        assert!(covers("admin", Need::on("crypto", "sign", "k")));
    }

    #[test]
    fn a_viewer_reads_consensus_and_authz_and_changes_nothing() {
        assert!(covers("viewer", Need::any("consensus", "read")));
        assert!(covers("viewer", Need::any("authz", "read")));
        for need in [
            Need::any("consensus", "submit"),
            Need::any("authz", "check"),
            Need::any("authz", "admin"),
            Need::any("keys", "read"),
            Need::on("crypto", "encrypt", "k"),
            Need::on("vault", "read", "a/b"),
            Need::any("admin", ""),
        ] {
            assert!(!covers("viewer", need), "{need}");
        }
        assert!(Scope::parse("viewer:read").is_err());
    }

    #[test]
    fn areas_and_actions_must_match() {
        assert!(covers("crypto", Need::on("crypto", "sign", "k")));
        assert!(!covers("crypto", Need::any("keys", "read")));
        assert!(covers("crypto:sign", Need::on("crypto", "sign", "k")));
        assert!(!covers("crypto:sign", Need::on("crypto", "decrypt", "k")));
        assert!(covers("keys:admin", Need::on("keys", "read", "k")));
        assert!(!covers("keys:read", Need::on("keys", "admin", "k")));
    }

    #[test]
    fn patterns_restrict_resources() {
        assert!(covers(
            "crypto:sign:pay-*",
            Need::on("crypto", "sign", "pay-eu")
        ));
        assert!(!covers(
            "crypto:sign:pay-*",
            Need::on("crypto", "sign", "hr-eu")
        ));
        assert!(covers(
            "crypto:*:exact",
            Need::on("crypto", "verify", "exact")
        ));
        assert!(!covers(
            "crypto:*:exact",
            Need::on("crypto", "verify", "exact2")
        ));
        assert!(!covers("keys:read:pay-*", Need::any("keys", "read")));
    }

    #[test]
    fn vault_scopes_carry_path_prefixes() {
        let read = Need::on("vault", "read", "agents/billing/stripe");
        assert!(covers("vault:read:agents/*", read));
        assert!(covers("vault", read));
        assert!(!covers("vault:read:agents/hr/*", read));
        assert!(!covers("vault:write:agents/*", read));
        assert!(!covers("vault:read:agent", read));
    }

    #[test]
    fn malformed_scopes_are_rejected() {
        for bad in [
            "",
            "root",
            "keys:write",
            "admin:x",
            "crypto:sign:",
            "crypto:sign:a*b",
            "vault:delete",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad:?}");
        }
        for good in [
            "admin",
            "keys:admin",
            "crypto",
            "crypto:sign:pay-*",
            "vault:read:agents/*",
        ] {
            assert_eq!(Scope::parse(good).unwrap().to_string(), good);
        }
    }
}
