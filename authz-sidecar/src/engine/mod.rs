//! The policy engines the sidecar puts a signature on: Cedar in-process or an
//! upstream Creto AuthZ Engine over HTTP. Both take and give the engine's
//! REST check shapes.

pub mod cedar;
pub mod upstream;
pub mod verdict;

use crate::config::{EngineConfig, EngineKind};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The principal of a check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// Principal id.
    pub id: String,
    /// Role names.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Free-form attributes.
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// The scope (tenant, organisation path) the principal acts in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// The resource of a check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Resource type, e.g. `Payment`.
    pub kind: String,
    /// Resource id.
    pub id: String,
    /// Free-form attributes.
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// The scope the resource lives in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// `POST /v1/authorization/check` body (the engine's shape, plus `compare`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Who asks.
    pub principal: Principal,
    /// On what.
    pub resource: Resource,
    /// To do what.
    pub action: String,
    /// Request context.
    #[serde(default)]
    pub context: Map<String, Value>,
    /// Sidecar extension: also sign with every algorithm and report the costs.
    #[serde(default, skip_serializing)]
    pub compare: bool,
}

impl CheckRequest {
    /// The request as the engine sees it (without `compare`); this is what
    /// the decision token's `req_hash` covers.
    pub fn engine_view(&self) -> Value {
        serde_json::to_value(self).expect("check request serializes")
    }
}

/// An engine's decision, as the sidecar signs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the action is allowed.
    pub allowed: bool,
    /// `allow` or `deny` (an upstream default deny, effect `""`, reads `deny`).
    pub effect: String,
    /// The deciding policy.
    #[serde(default)]
    pub policy: Option<String>,
    /// The deciding rule within the policy.
    #[serde(default)]
    pub rule: Option<String>,
    /// The engine's details, exactly as it sent them.
    #[serde(default)]
    pub metadata: Value,
}

/// The configured engine.
pub enum Engine {
    /// In-process Cedar.
    Cedar(Box<cedar::CedarEngine>),
    /// Remote engine.
    Upstream(upstream::UpstreamEngine),
}

impl Engine {
    /// Build the engine the config names.
    pub fn from_config(c: &EngineConfig) -> Result<Self> {
        Ok(match c.kind {
            EngineKind::Cedar => Engine::Cedar(Box::new(match &c.policy_dir {
                Some(dir) => cedar::CedarEngine::from_dir(dir)?,
                None => cedar::CedarEngine::builtin_examples()?,
            })),
            EngineKind::Upstream => Engine::Upstream(upstream::UpstreamEngine::new(
                c.upstream_url.clone().unwrap_or_default(),
                c.upstream_timeout_ms,
            )),
        })
    }

    /// Decide `req`. `authorization` is the caller's Authorization header,
    /// passed on to an upstream engine unchanged.
    pub async fn decide(
        &self,
        req: &CheckRequest,
        authorization: Option<&str>,
    ) -> Result<Decision> {
        match self {
            Engine::Cedar(e) => e.decide(req),
            Engine::Upstream(e) => e.decide(req, authorization).await,
        }
    }

    /// Whether the engine can decide now: Cedar always can once built; an
    /// upstream engine must have reported itself healthy lately (probed at most
    /// once per [`upstream::PROBE_CACHE_TTL`]). `healthy`, or `degraded` when
    /// the engine's cache check fails.
    pub async fn ready(&self) -> Result<&'static str> {
        match self {
            Engine::Cedar(_) => Ok(upstream::EngineHealth::Healthy.as_str()),
            Engine::Upstream(e) => e.probe().await.map(upstream::EngineHealth::as_str),
        }
    }

    /// A short name for logs and answers.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Cedar(_) => "cedar",
            Engine::Upstream(_) => "upstream",
        }
    }
}
