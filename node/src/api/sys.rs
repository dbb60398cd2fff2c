//! `/v1/sys/*`: what the caller can learn about its own connection to this node.

use super::error::ErrorBody;
use crate::auth::Principal;
use actix_web::{web, HttpRequest};
use cretoai_tls::ConnectionReport;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The caller's connection as this node sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Connection {
    /// `https` or `http` (plain HTTP: loopback development default or `--insecure-http`).
    #[schema(example = "https")]
    pub transport: String,
    /// TLS version, e.g. `TLSv1.3`; absent over plain HTTP.
    #[schema(example = "TLSv1.3")]
    pub tls_version: Option<String>,
    /// Cipher suite (IANA name); absent over plain HTTP.
    #[schema(example = "TLS13_AES_256_GCM_SHA384")]
    pub cipher_suite: Option<String>,
    /// Key-exchange group (IANA name): `X25519MLKEM768` is the hybrid post-quantum group;
    /// `X25519`, `secp256r1` and `secp384r1` are classical. Absent over plain HTTP.
    #[schema(example = "X25519MLKEM768")]
    pub key_exchange_group: Option<String>,
    /// Whether the key exchange resists a quantum computer (recorded traffic stays secret).
    pub post_quantum: bool,
    /// Whether the caller presented a client certificate (only possible under mutual TLS,
    /// where a missing or wrong one is refused during the handshake).
    pub client_certificate: bool,
}

impl Connection {
    fn from_report(report: Option<&ConnectionReport>) -> Connection {
        match report {
            Some(r) => Connection {
                transport: "https".into(),
                tls_version: Some(r.tls_version.clone()),
                cipher_suite: Some(r.cipher_suite.clone()),
                key_exchange_group: Some(r.key_exchange_group.clone()),
                post_quantum: r.post_quantum,
                client_certificate: r.client_certificate,
            },
            None => Connection {
                transport: "http".into(),
                tls_version: None,
                cipher_suite: None,
                key_exchange_group: None,
                post_quantum: false,
                client_certificate: false,
            },
        }
    }
}

/// The caller's TLS version, cipher suite, key-exchange group and client certificate
/// (any valid token).
#[utoipa::path(get, path = "/v1/sys/connection", tag = "sys", security(("bearer" = [])),
    responses((status = 200, body = Connection), (status = 401, body = ErrorBody)))]
pub async fn connection(_auth: Principal, req: HttpRequest) -> web::Json<Connection> {
    web::Json(Connection::from_report(req.conn_data::<ConnectionReport>()))
}
