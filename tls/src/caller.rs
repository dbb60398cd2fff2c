//! The caller's own connection, for an actix-web server (the node and the AuthZ sidecar): the
//! per-connection hook that reads what the TLS handshake negotiated, and the answer of
//! `GET /v1/sys/connection`. One implementation for both binaries.

use crate::connection::ConnectionReport;
use actix_web::dev::Extensions;
use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};
use std::any::Any;

/// The TLS stream actix-web hands to the hook for an HTTPS listener.
type TlsStream = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;

/// The per-connection hook (`HttpServer::on_connect`): reads what the TLS handshake
/// negotiated, hands it to `observe` (the node counts handshakes by group) and keeps it with the
/// connection for [`Connection::of`]. Plain-HTTP connections carry no report.
pub fn on_connect(
    observe: impl Fn(&ConnectionReport) + Send + Sync + 'static,
) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync + 'static {
    move |io: &dyn Any, extensions: &mut Extensions| {
        let stream = io.downcast_ref::<TlsStream>();
        if let Some(report) = stream.and_then(|s| ConnectionReport::of(s.get_ref().1)) {
            observe(&report);
            extensions.insert(report);
        }
    }
}

/// The caller's connection as the server sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Connection {
    /// `https` or `http` (plain HTTP: loopback development default or `--insecure-http`).
    #[cfg_attr(feature = "openapi", schema(example = "https"))]
    pub transport: String,
    /// TLS version, e.g. `TLSv1.3`; absent over plain HTTP.
    #[cfg_attr(feature = "openapi", schema(example = "TLSv1.3"))]
    pub tls_version: Option<String>,
    /// Cipher suite (IANA name); absent over plain HTTP.
    #[cfg_attr(feature = "openapi", schema(example = "TLS13_AES_256_GCM_SHA384"))]
    pub cipher_suite: Option<String>,
    /// Key-exchange group (IANA name): `X25519MLKEM768` is the hybrid post-quantum group;
    /// `X25519`, `secp256r1` and `secp384r1` are classical. Absent over plain HTTP.
    #[cfg_attr(feature = "openapi", schema(example = "X25519MLKEM768"))]
    pub key_exchange_group: Option<String>,
    /// Whether the key exchange resists a quantum computer (recorded traffic stays secret).
    pub post_quantum: bool,
    /// Whether the caller presented a client certificate (only possible under mutual TLS,
    /// where a missing or wrong one is refused during the handshake).
    pub client_certificate: bool,
}

impl Connection {
    /// The answer for a connection with this report (`None`: plain HTTP).
    pub fn from_report(report: Option<&ConnectionReport>) -> Connection {
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

    /// The answer for the connection `req` came on (its report was kept by [`on_connect`]).
    pub fn of(req: &HttpRequest) -> Connection {
        Connection::from_report(req.conn_data::<ConnectionReport>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_becomes_an_https_answer_and_none_a_plain_one() {
        let report = ConnectionReport {
            tls_version: "TLSv1.3".into(),
            cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
            key_exchange_group: "X25519MLKEM768".into(),
            post_quantum: true,
            client_certificate: false,
        };
        let https = Connection::from_report(Some(&report));
        assert_eq!(https.transport, "https");
        assert_eq!(https.key_exchange_group.as_deref(), Some("X25519MLKEM768"));
        assert!(https.post_quantum);
        let plain = Connection::from_report(None);
        assert_eq!(plain.transport, "http");
        assert_eq!(plain.tls_version, None);
        assert!(!plain.post_quantum);
    }
}
