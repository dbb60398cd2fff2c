//! In-process Cedar evaluation.
//!
//! Mapping of a check to Cedar: principal `Agent::"<id>"` with the request's
//! attributes and one `Role::"<name>"` parent per role; resource
//! `<kind>::"<id>"` with its attributes; action `Action::"<action>"`; the
//! context as a record. Static entities (role hierarchy, shared resources)
//! come from `entities.json` beside the policies; a request entity with the
//! same uid replaces the static one.

use super::{CheckRequest, Decision};
use crate::error::{Result, SidecarError};
use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, EntityUid, PolicyId, PolicySet,
    Request,
};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;

/// Entity type of every principal.
pub const PRINCIPAL_TYPE: &str = "Agent";
/// Entity type of roles.
pub const ROLE_TYPE: &str = "Role";

/// A loaded policy set with its static entities.
pub struct CedarEngine {
    policies: PolicySet,
    static_entities: Vec<Value>,
    static_uids: HashSet<(String, String)>,
    authorizer: Authorizer,
}

fn uid_key(v: &Value) -> Option<(String, String)> {
    let uid = v.get("uid")?;
    Some((
        uid.get("type")?.as_str()?.to_string(),
        uid.get("id")?.as_str()?.to_string(),
    ))
}

impl CedarEngine {
    /// The example agent policies shipped in `authz-sidecar/policies/`.
    pub fn builtin_examples() -> Result<Self> {
        Self::from_sources(
            &[
                (
                    "payments-agent",
                    include_str!("../../policies/payments-agent.cedar"),
                ),
                (
                    "clinical-records-agent",
                    include_str!("../../policies/clinical-records-agent.cedar"),
                ),
            ],
            include_str!("../../policies/entities.json"),
        )
    }

    /// Every `*.cedar` file in `dir` plus `dir/entities.json` if present.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let cfg = |e: std::io::Error| SidecarError::Config(format!("{}: {e}", dir.display()));
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(cfg)? {
            let path = entry.map_err(cfg)?.path();
            if path.extension().is_some_and(|e| e == "cedar") {
                let stem = path
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                files.push((stem, std::fs::read_to_string(&path).map_err(cfg)?));
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(SidecarError::Config(format!(
                "no *.cedar files in {}",
                dir.display()
            )));
        }
        let entities = match std::fs::read_to_string(dir.join("entities.json")) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => "[]".into(),
            Err(e) => return Err(cfg(e)),
        };
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        Self::from_sources(&refs, &entities)
    }

    /// Policies as `(policy name, cedar source)` plus the entities JSON.
    /// Each Cedar policy gets the id `<policy name>/<@id annotation>`.
    pub fn from_sources(files: &[(&str, &str)], entities_json: &str) -> Result<Self> {
        let mut policies = PolicySet::new();
        for (name, src) in files {
            let set = PolicySet::from_str(src)
                .map_err(|e| SidecarError::Config(format!("policy {name}: {e}")))?;
            for (i, p) in set.policies().enumerate() {
                let rule = p
                    .annotation("id")
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("rule{i}"));
                policies
                    .add(p.new_id(PolicyId::new(format!("{name}/{rule}"))))
                    .map_err(|e| SidecarError::Config(format!("policy {name}: {e}")))?;
            }
        }
        let static_entities: Vec<Value> = serde_json::from_str(entities_json)
            .map_err(|e| SidecarError::Config(format!("entities.json: {e}")))?;
        Entities::from_json_value(Value::Array(static_entities.clone()), None)
            .map_err(|e| SidecarError::Config(format!("entities.json: {e}")))?;
        let static_uids = static_entities.iter().filter_map(uid_key).collect();
        Ok(CedarEngine {
            policies,
            static_entities,
            static_uids,
            authorizer: Authorizer::new(),
        })
    }

    fn entities_for(&self, req: &CheckRequest) -> Result<Entities> {
        let principal_key = (PRINCIPAL_TYPE.to_string(), req.principal.id.clone());
        let resource_key = (req.resource.kind.clone(), req.resource.id.clone());
        let mut all: Vec<Value> = self
            .static_entities
            .iter()
            .filter(|e| uid_key(e).is_none_or(|k| k != principal_key && k != resource_key))
            .cloned()
            .collect();
        let parents: Vec<Value> = req
            .principal
            .roles
            .iter()
            .map(|r| json!({"type": ROLE_TYPE, "id": r}))
            .collect();
        for role in &req.principal.roles {
            if !self
                .static_uids
                .contains(&(ROLE_TYPE.to_string(), role.clone()))
            {
                all.push(
                    json!({"uid": {"type": ROLE_TYPE, "id": role}, "attrs": {}, "parents": []}),
                );
            }
        }
        all.push(json!({
            "uid": {"type": PRINCIPAL_TYPE, "id": req.principal.id},
            "attrs": req.principal.attributes,
            "parents": parents,
        }));
        all.push(json!({
            "uid": {"type": req.resource.kind, "id": req.resource.id},
            "attrs": req.resource.attributes,
            "parents": [],
        }));
        Entities::from_json_value(Value::Array(all), None)
            .map_err(|e| SidecarError::Policy(format!("entities from the request: {e}")))
    }

    /// Evaluate one check.
    pub fn decide(&self, req: &CheckRequest) -> Result<Decision> {
        let bad =
            |what: &str, e: &dyn std::fmt::Display| SidecarError::Policy(format!("{what}: {e}"));
        let uid = |ty: &str, id: &str| -> Result<EntityUid> {
            let ty =
                cedar_policy::EntityTypeName::from_str(ty).map_err(|e| bad("entity type", &e))?;
            Ok(EntityUid::from_type_name_and_id(
                ty,
                cedar_policy::EntityId::new(id),
            ))
        };
        let principal = uid(PRINCIPAL_TYPE, &req.principal.id)?;
        let action = uid("Action", &req.action)?;
        let resource = uid(&req.resource.kind, &req.resource.id)?;
        let context = Context::from_json_value(Value::Object(req.context.clone()), None)
            .map_err(|e| bad("context", &e))?;
        let request = Request::new(principal, action, resource, context, None)
            .map_err(|e| bad("request", &e))?;
        let entities = self.entities_for(req)?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &entities);
        let reasons: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|p| p.to_string())
            .collect();
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(|e| e.to_string())
            .collect();
        let allowed = response.decision() == CedarDecision::Allow;
        let (policy, rule) = match reasons.first().and_then(|r| r.split_once('/')) {
            Some((p, r)) => (Some(p.to_string()), Some(r.to_string())),
            None => (None, None),
        };
        Ok(Decision {
            allowed,
            effect: if allowed { "allow" } else { "deny" }.into(),
            policy,
            rule,
            metadata: json!({"engine": "cedar", "determining_policies": reasons, "errors": errors}),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: Value) -> CheckRequest {
        serde_json::from_value(v).unwrap()
    }

    fn payment(amount: i64, country: &str, roles: &[&str], ctx: Value) -> CheckRequest {
        check(json!({
            "principal": {"id": "agent-7", "roles": roles, "attributes": {"transfer_limit": 5000, "currency": "EUR"}},
            "resource": {"kind": "Payment", "id": "p-1", "attributes": {"amount": amount, "currency": "EUR", "destination_country": country}},
            "action": "payments:initiate",
            "context": ctx
        }))
    }

    #[test]
    fn payments_policies_decide_as_written() {
        let e = CedarEngine::builtin_examples().unwrap();
        let d = e
            .decide(&payment(100, "DE", &["payments-agent"], json!({})))
            .unwrap();
        assert!(d.allowed);
        assert_eq!(d.policy.as_deref(), Some("payments-agent"));
        assert_eq!(d.rule.as_deref(), Some("initiate-within-limit"));
        // Role hierarchy from entities.json: treasury-agent is a payments-agent.
        assert!(
            e.decide(&payment(100, "DE", &["treasury-agent"], json!({})))
                .unwrap()
                .allowed
        );
        let over = e
            .decide(&payment(6000, "DE", &["payments-agent"], json!({})))
            .unwrap();
        assert!(!over.allowed);
        assert_eq!(over.policy, None);
        let sanctioned = e
            .decide(&payment(100, "KP", &["payments-agent"], json!({})))
            .unwrap();
        assert_eq!(
            (sanctioned.effect.as_str(), sanctioned.rule.as_deref()),
            ("deny", Some("sanctioned-destination"))
        );
        assert!(
            !e.decide(&payment(100, "DE", &["clinical-agent"], json!({})))
                .unwrap()
                .allowed
        );
    }

    #[test]
    fn clinical_policies_and_bad_input() {
        let e = CedarEngine::builtin_examples().unwrap();
        let read = |cat: &str, ctx: Value| {
            e.decide(&check(json!({
                "principal": {"id": "scribe", "roles": ["oncology-agent"], "attributes": {"assigned_patients": ["pt-1"]}},
                "resource": {"kind": "MedicalRecord", "id": "r-9", "attributes": {"patient_id": "pt-2", "category": cat}},
                "action": "records:read", "context": ctx
            })))
            .unwrap()
        };
        assert!(!read("labs", json!({})).allowed);
        let bg = read(
            "labs",
            json!({"break_glass": true, "justification": "ER admission"}),
        );
        assert_eq!(bg.rule.as_deref(), Some("break-glass"));
        assert!(
            !read(
                "psychotherapy-notes",
                json!({"break_glass": true, "justification": "x"})
            )
            .allowed
        );

        let bad_kind = payment(1, "DE", &[], json!({}));
        let mut bad_kind = bad_kind;
        bad_kind.resource.kind = "not a type!".into();
        assert_eq!(e.decide(&bad_kind).unwrap_err().code(), "policy_error");
        let float = payment(1, "DE", &["payments-agent"], json!({"score": 0.5}));
        assert_eq!(e.decide(&float).unwrap_err().code(), "policy_error");
    }
}
