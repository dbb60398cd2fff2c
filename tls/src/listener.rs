//! What a binary's listener serves, decided and prepared before binding, announced once in
//! the start log, and probed by the binaries' `health` subcommand.

use crate::error::{Result, TlsError};
use crate::server::ServerTls;
use crate::settings::{Certificates, PlainReason, TlsSettings, Transport};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A listener's transport with its prepared TLS configuration.
#[derive(Debug)]
pub enum Listener {
    /// HTTPS with this configuration.
    Tls(Box<ServerTls>),
    /// Plain HTTP, and why.
    Plain(PlainReason),
}

impl Listener {
    /// Decides HTTPS or plain HTTP for `listen` and, for HTTPS, loads or generates the
    /// certificates (under `<data_dir>/tls/`). Logs the decision, and the CA clients should
    /// trust, once; `program` names the binary in the log.
    pub fn prepare(
        program: &str,
        settings: &TlsSettings,
        listen: SocketAddr,
        data_dir: &Path,
    ) -> Result<Listener> {
        let listener = match settings.transport(listen)? {
            Transport::Plain(reason) => Listener::Plain(reason),
            Transport::Tls(certificates) => Listener::Tls(Box::new(ServerTls::prepare(
                settings,
                &certificates,
                listen,
                data_dir,
            )?)),
        };
        listener.announce(program, listen);
        Ok(listener)
    }

    fn announce(&self, program: &str, listen: SocketAddr) {
        match self {
            Listener::Plain(PlainReason::Loopback) => tracing::info!(
                program,
                %listen,
                "serving plain HTTP on loopback (the development default: only this machine \
                 can connect); --tls or --tls-cert/--tls-key serve HTTPS"
            ),
            Listener::Plain(PlainReason::Insecure) => tracing::warn!(
                program,
                %listen,
                "--insecure-http: serving plain HTTP off loopback; tokens, plaintexts and \
                 secrets cross the network in the clear"
            ),
            Listener::Tls(tls) => {
                let ca = tls.generated_ca.as_ref().map_or_else(
                    || "the operator's (--tls-cert)".to_string(),
                    |p| p.display().to_string(),
                );
                tracing::info!(
                    program,
                    %listen,
                    cert = %tls.cert.display(),
                    ca = %ca,
                    created_ca = tls.created_ca,
                    mutual_tls = tls.mutual,
                    "serving HTTPS: TLS 1.3, X25519MLKEM768 offered first, classical groups \
                     accepted; clients trust the CA (curl --cacert <ca>)"
                );
            }
        }
    }

    /// Whether this listener serves HTTPS.
    pub fn is_tls(&self) -> bool {
        matches!(self, Listener::Tls(_))
    }
}

/// The certificate chain a configuration serves (`None` for plain HTTP), without creating it.
pub fn served_certificate(
    settings: &TlsSettings,
    listen: SocketAddr,
    data_dir: &Path,
) -> Result<Option<PathBuf>> {
    Ok(match settings.transport(listen)? {
        Transport::Plain(_) => None,
        Transport::Tls(Certificates::Provided { cert, .. }) => Some(cert),
        Transport::Tls(Certificates::Generated) => {
            Some(data_dir.join("tls").join(crate::authority::SERVER_CERT))
        }
    })
}

/// The `health` subcommand: `GET path` on this configuration's own listener and the status.
/// HTTPS is verified against the certificate the configuration serves (pinned, so a
/// certificate that does not name `localhost` still checks).
pub fn health(
    settings: &TlsSettings,
    listen: SocketAddr,
    data_dir: &Path,
    path: &str,
) -> Result<u16> {
    let tls = match served_certificate(settings, listen, data_dir)? {
        Some(cert) => {
            let leaf = crate::server::read_certs(&cert)?
                .into_iter()
                .next()
                .ok_or_else(|| TlsError::Probe(format!("{}: no certificate", cert.display())))?;
            Some(Arc::new(crate::client::pinned(leaf)?))
        }
        None => None,
    };
    crate::health::probe(
        crate::health::local_target(listen),
        tls,
        path,
        Duration::from_secs(3),
    )
}
