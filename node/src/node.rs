//! Wiring: open the store, load keys and tokens, start the actors, build the actix `App`.

use crate::api::auth::DefaultTtl;
use crate::api::error::{json_error, path_error, rewrite_plain_errors, BodyLimit};
use crate::api::openapi::ApiDoc;
use crate::api::{self, AppState};
use crate::audit::AuditLog;
use crate::auth::tokens::TokenRegistry;
use crate::clock::SharedClock;
use crate::cluster::ClusterView;
use crate::config::{Config, Secret};
use crate::consensus::submission::Submissions;
use crate::consensus::{ConsensusHandle, NetworkLink};
use crate::crypto_pool::CryptoPool;
use crate::error::Result;
use crate::keys::operations::KeyOperations;
use crate::keys::KeyRing;
use crate::master_key::MasterKey;
use crate::metrics::Metrics;
use crate::network::identity::NodeKey;
use crate::replication::applier::Applier;
use crate::replication::{ClusterKey, ClusterLink, Parts, Replicator, Waiters};
use crate::sidecar::Sidecar;
use crate::store::Store;
use crate::vault::{Vault, VaultLimits};
use actix::{Actor, Arbiter};
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App};
use std::sync::Arc;
use std::time::Instant;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// A running node's shared parts; clone it into each HTTP worker's `App`.
#[derive(Clone)]
pub struct Node {
    state: web::Data<AppState>,
    tokens: web::Data<TokenRegistry>,
    max_body_bytes: usize,
    default_ttl: u64,
    generated_root: Option<Secret>,
}

/// What the node opens before its services start: the store, the master key, the tokens and
/// the node identity.
struct Opened {
    store: Store,
    master: MasterKey,
    tokens: TokenRegistry,
    generated_root: Option<Secret>,
    node_key: NodeKey,
}

impl Opened {
    fn open(config: &Config, clock: &SharedClock) -> Result<Self> {
        let store = Store::open_with_cache(&config.data_dir, config.db_cache_mib * 1024 * 1024)?;
        let master = MasterKey::load(
            config.master_key.as_ref().map(Secret::expose),
            &config.data_dir,
        )?;
        store.check_master_key(&master)?;
        let tokens = TokenRegistry::load(store.clone(), clock.clone())?;
        let generated_root = tokens.bootstrap_root(config.root_token.as_ref())?;
        crate::vault::ensure_key(&store, &master, clock.now())?;
        let node_key = NodeKey::load_or_create(&config.node_key_path(), &master)?;
        store.init_consensus()?;
        Ok(Opened {
            store,
            master,
            tokens,
            generated_root,
            node_key,
        })
    }
}

impl Node {
    /// Opens everything under `config.data_dir` and starts the actors and the crypto pool,
    /// without the cluster transport: consensus runs alone, as with no peers configured
    /// ([`Node::start`] brings the transport up). Must run inside an actix system.
    pub fn open(config: &Config, clock: SharedClock) -> Result<Self> {
        let opened = Opened::open(config, &clock)?;
        Self::assemble(config, clock, opened, None)
    }

    /// As [`Node::open`], and with peers configured binds the cluster transport before
    /// consensus starts, so the two are wired once; the returned transport is served once the
    /// caller is ready ([`crate::network::Bound::serve`]).
    pub async fn start(
        config: &Config,
        clock: SharedClock,
    ) -> Result<(Self, Option<crate::network::Bound>)> {
        let opened = Opened::open(config, &clock)?;
        let transport = if config.peers.is_empty() {
            None
        } else {
            Some(crate::network::bind(&opened.node_key, &opened.store, config).await?)
        };
        let link = transport.as_ref().map(crate::network::Bound::link);
        Ok((Self::assemble(config, clock, opened, link)?, transport))
    }

    fn assemble(
        config: &Config,
        clock: SharedClock,
        opened: Opened,
        link: Option<NetworkLink>,
    ) -> Result<Self> {
        let Opened {
            store,
            master,
            tokens,
            generated_root,
            node_key,
        } = opened;
        let pool = CryptoPool::start(config.crypto_threads);
        let master = Arc::new(master);
        let tokens = Arc::new(tokens);
        let cluster_key = ClusterKey::load(
            config.cluster_key_file.as_deref(),
            &master,
            !config.peers.is_empty(),
        )?;
        let state_key = cluster_key.state_key()?;
        store.init_replication(cretoai_crypto::hash::sha256(
            state_key.verifying_key().as_bytes(),
        ))?;
        let keys = KeyRing::start(store.clone(), master.clone(), clock.clone())?;
        let audit = AuditLog::start(store.clone(), clock.clone())?;
        let vault_limits = VaultLimits {
            max_value_bytes: config.vault_max_value_bytes,
            max_versions: config.vault_max_versions,
        };
        let waiters = Waiters::default();
        let transit = Arc::new(cluster_key.transit()?);
        let applier = Applier {
            store: store.clone(),
            master,
            transit: transit.clone(),
            keys: keys.directory().clone(),
            tokens: tokens.clone(),
            vault_limits,
            tx_limits: config.consensus.params(config.peers.len() + 1)?.limits,
            waiters: waiters.clone(),
        };
        let applier = Applier::start_in_arbiter(&Arbiter::new().handle(), move |_| applier);
        let consensus = ConsensusHandle::start(
            config,
            store.clone(),
            node_key,
            pool.clone(),
            link,
            Some(applier.clone().recipient()),
        )?;
        let vault = Vault::start(
            store.clone(),
            keys.directory().clone(),
            pool.clone(),
            clock.clone(),
            vault_limits,
        )?;
        let replicator = Replicator::new(Parts {
            store: store.clone(),
            applier,
            waiters,
            cluster: (!config.peers.is_empty()).then(|| ClusterLink {
                consensus: consensus.clone(),
                state_key,
                nodes: config.peers.len() + 1,
            }),
            transit,
            keys: keys.clone(),
            tokens: tokens.clone(),
            vault: vault.clone(),
            clock,
            audit: audit.clone(),
            origin: hex::encode(consensus.node_id().0),
        });
        let cluster = ClusterView::new(
            hex::encode(consensus.node_id().0),
            config.peers.iter().map(|p| p.node_id.to_string()),
        );
        let metrics = Arc::new(Metrics::default());
        let state = AppState {
            submissions: Submissions::new(
                consensus.clone(),
                keys.directory().clone(),
                pool.clone(),
                metrics.clone(),
            ),
            key_operations: KeyOperations::new(
                keys.directory().clone(),
                pool.clone(),
                metrics.clone(),
            ),
            keys,
            pool,
            metrics,
            store,
            max_batch_items: config.max_batch_items,
            vault,
            audit,
            consensus,
            cluster,
            sidecar: Sidecar::new(
                config.authz_sidecar_url.clone(),
                config.authz_sidecar_token.clone(),
                crate::https::outgoing(config)?,
            ),
            replicator,
        };
        Ok(Node {
            state: web::Data::new(state),
            tokens: web::Data::from(tokens),
            max_body_bytes: config.max_body_bytes,
            default_ttl: config.default_token_ttl_seconds,
            generated_root,
        })
    }

    /// The root token if this start generated it (first start without `CRETOAI_ROOT_TOKEN`).
    pub fn generated_root_token(&self) -> Option<&Secret> {
        self.generated_root.as_ref()
    }

    /// The shared handler state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The actix application: routes, limits, JSON errors, metrics and one log line per request.
    pub fn app(
        &self,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    > {
        let metrics = self.state.metrics.clone();
        App::new()
            .app_data(self.state.clone())
            .app_data(self.tokens.clone())
            .app_data(web::Data::new(DefaultTtl(self.default_ttl)))
            .app_data(BodyLimit(self.max_body_bytes))
            .app_data(
                web::JsonConfig::default()
                    .limit(self.max_body_bytes)
                    .content_type_required(false)
                    .error_handler(json_error),
            )
            .app_data(web::PayloadConfig::new(self.max_body_bytes))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .configure(api::routes)
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()))
            .route(
                "/docs",
                web::get().to(|| async {
                    actix_web::HttpResponse::PermanentRedirect()
                        .insert_header(("location", "/docs/"))
                        .finish()
                }),
            )
            .wrap(ErrorHandlers::new().default_handler(rewrite_plain_errors))
            .wrap_fn(move |req, srv| {
                let start = Instant::now();
                let method = req.method().to_string();
                let path = req.path().to_string();
                let call = srv.call(req);
                let metrics = metrics.clone();
                async move {
                    let mut res = call.await?;
                    let elapsed = start.elapsed();
                    // The console shows how long the node took for an operation, without the
                    // network: Server-Timing is readable by same-origin scripts.
                    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&format!(
                        "app;dur={:.3}",
                        elapsed.as_secs_f64() * 1000.0
                    )) {
                        res.headers_mut().insert(
                            actix_web::http::header::HeaderName::from_static("server-timing"),
                            value,
                        );
                    }
                    let route = res
                        .request()
                        .match_pattern()
                        .unwrap_or_else(|| "unmatched".into());
                    let status = res.status().as_u16();
                    metrics.observe_request(&method, &route, status, elapsed);
                    tracing::info!(
                        target: "cretoai_node::http",
                        %method, %path, %route, status, micros = elapsed.as_micros() as u64,
                        "request"
                    );
                    Ok(res)
                }
            })
    }
}

/// Runs the node until Ctrl-C / SIGTERM.
pub async fn run(config: Config) -> Result<()> {
    let (node, transport) = Node::start(&config, Arc::new(crate::clock::SystemClock)).await?;
    if let Some(root) = node.generated_root_token() {
        // Printed once, to stdout and not to the log, so it does not end up in log storage.
        println!(
            "Generated root token (shown once, store it now): {}",
            root.expose()
        );
    }
    let state = node.state();
    if let Some(transport) = transport {
        transport.serve(&state.consensus, state.cluster.clone());
    }
    actix::spawn(crate::cluster::sampler::run(
        state.consensus.clone(),
        state.cluster.clone(),
    ));
    let listener = crate::https::listener(&config)?;
    tracing::info!(
        listen = %config.listen,
        data_dir = %config.data_dir.display(),
        https = listener.is_tls(),
        "serving"
    );
    let factory_node = node.clone();
    let server = actix_web::HttpServer::new(move || factory_node.app())
        .workers(config.workers)
        .on_connect(crate::https::on_connect(state.metrics.clone()));
    let cannot_listen =
        |e| crate::error::NodeError::Config(format!("cannot listen on {}: {e}", config.listen));
    let server = match listener {
        cretoai_tls::Listener::Tls(tls) => server
            .bind_rustls_0_23(config.listen, tls.config)
            .map_err(cannot_listen)?,
        cretoai_tls::Listener::Plain(_) => server.bind(config.listen).map_err(cannot_listen)?,
    };
    server
        .run()
        .await
        .map_err(|e| crate::error::NodeError::Config(format!("server stopped: {e}")))
}
