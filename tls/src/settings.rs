//! The TLS settings both binaries take (flags, `CRETOAI_TLS_*` environment, `[tls]` TOML
//! table) and the one decision they drive: HTTPS or plain HTTP on the listen address.

use crate::error::{Result, TlsError};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// TLS settings as given on the command line, in the environment or in the `[tls]` TOML table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSettings {
    /// Server certificate chain (PEM, leaf first). With --tls-key; without both, a local CA
    /// and a server certificate are generated under <data-dir>/tls/.
    #[arg(long = "tls-cert", env = "CRETOAI_TLS_CERT", value_name = "PEM")]
    pub cert: Option<PathBuf>,
    /// Private key of --tls-cert (PEM: PKCS#8, SEC1 or PKCS#1).
    #[arg(long = "tls-key", env = "CRETOAI_TLS_KEY", value_name = "PEM")]
    pub key: Option<PathBuf>,
    /// Extra names (DNS or IP) for the generated server certificate (repeat, or
    /// comma-separate in CRETOAI_TLS_SAN).
    #[arg(
        long = "tls-san",
        env = "CRETOAI_TLS_SAN",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub san: Vec<String>,
    /// Require client certificates issued by this CA (PEM): mutual TLS. Tokens still apply.
    #[arg(
        long = "tls-client-ca",
        env = "CRETOAI_TLS_CLIENT_CA",
        value_name = "PEM"
    )]
    pub client_ca: Option<PathBuf>,
    /// CA certificates (PEM) trusted for this binary's own outgoing HTTPS calls.
    #[arg(long = "tls-trust", env = "CRETOAI_TLS_TRUST", value_name = "PEM")]
    pub trust: Option<PathBuf>,
    /// Serve HTTPS on a loopback address too (loopback serves plain HTTP unless a certificate
    /// is given; every other address serves HTTPS).
    #[arg(long = "tls", env = "CRETOAI_TLS")]
    pub tls: bool,
    /// Serve plain HTTP on a non-loopback address. Everything sent, tokens included, crosses
    /// the network in the clear; a warning is logged at start.
    #[arg(long = "insecure-http", env = "CRETOAI_INSECURE_HTTP")]
    pub insecure_http: bool,
}

/// Why a listener serves plain HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainReason {
    /// Loopback address and no TLS setting: the zero-configuration development default.
    Loopback,
    /// `--insecure-http` was given.
    Insecure,
}

/// Where the server certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Certificates {
    /// `--tls-cert` and `--tls-key`.
    Provided {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
    /// Generated under `<data-dir>/tls/`.
    Generated,
}

/// What a listener serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// HTTPS.
    Tls(Certificates),
    /// Plain HTTP.
    Plain(PlainReason),
}

impl TlsSettings {
    /// Layers `over` (flags and environment) on `self` (the TOML table): set fields win.
    pub fn overlay(mut self, over: TlsSettings) -> TlsSettings {
        self.cert = over.cert.or(self.cert);
        self.key = over.key.or(self.key);
        if !over.san.is_empty() {
            self.san = over.san;
        }
        self.client_ca = over.client_ca.or(self.client_ca);
        self.trust = over.trust.or(self.trust);
        self.tls |= over.tls;
        self.insecure_http |= over.insecure_http;
        self
    }

    /// Decides what `listen` serves. Secure by default: any address that is not loopback
    /// (0.0.0.0 included) gets HTTPS unless `--insecure-http` says otherwise.
    pub fn transport(&self, listen: SocketAddr) -> Result<Transport> {
        let certificates = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Some(Certificates::Provided {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (None, None) => None,
            _ => {
                return Err(TlsError::Config(
                    "--tls-cert and --tls-key go together".into(),
                ))
            }
        };
        if self.insecure_http {
            if certificates.is_some() || self.client_ca.is_some() || self.tls {
                return Err(TlsError::Config(
                    "--insecure-http contradicts --tls, --tls-cert and --tls-client-ca".into(),
                ));
            }
            return Ok(Transport::Plain(PlainReason::Insecure));
        }
        let wants_tls = certificates.is_some() || self.client_ca.is_some() || self.tls;
        if listen.ip().is_loopback() && !wants_tls {
            return Ok(Transport::Plain(PlainReason::Loopback));
        }
        Ok(Transport::Tls(
            certificates.unwrap_or(Certificates::Generated),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn non_loopback_serves_https_unless_insecure() {
        let none = TlsSettings::default();
        assert_eq!(
            none.transport(addr("0.0.0.0:8080")).unwrap(),
            Transport::Tls(Certificates::Generated)
        );
        assert_eq!(
            none.transport(addr("10.1.2.3:8080")).unwrap(),
            Transport::Tls(Certificates::Generated)
        );
        assert_eq!(
            none.transport(addr("127.0.0.1:8080")).unwrap(),
            Transport::Plain(PlainReason::Loopback)
        );
        assert_eq!(
            none.transport(addr("[::1]:8080")).unwrap(),
            Transport::Plain(PlainReason::Loopback)
        );
        let insecure = TlsSettings {
            insecure_http: true,
            ..TlsSettings::default()
        };
        assert_eq!(
            insecure.transport(addr("0.0.0.0:8080")).unwrap(),
            Transport::Plain(PlainReason::Insecure)
        );
    }

    #[test]
    fn loopback_serves_https_when_asked() {
        let forced = TlsSettings {
            tls: true,
            ..TlsSettings::default()
        };
        assert_eq!(
            forced.transport(addr("127.0.0.1:1")).unwrap(),
            Transport::Tls(Certificates::Generated)
        );
        let provided = TlsSettings {
            cert: Some("c.pem".into()),
            key: Some("k.pem".into()),
            ..TlsSettings::default()
        };
        assert!(matches!(
            provided.transport(addr("127.0.0.1:1")).unwrap(),
            Transport::Tls(Certificates::Provided { .. })
        ));
    }

    #[test]
    fn contradictions_are_refused() {
        let half = TlsSettings {
            cert: Some("c.pem".into()),
            ..TlsSettings::default()
        };
        assert!(half.transport(addr("0.0.0.0:1")).is_err());
        let both = TlsSettings {
            tls: true,
            insecure_http: true,
            ..TlsSettings::default()
        };
        assert!(both.transport(addr("0.0.0.0:1")).is_err());
    }

    #[test]
    fn flags_win_over_the_file() {
        let file = TlsSettings {
            cert: Some("file.pem".into()),
            san: vec!["a".into()],
            ..TlsSettings::default()
        };
        let flags = TlsSettings {
            cert: Some("flag.pem".into()),
            ..TlsSettings::default()
        };
        let merged = file.overlay(flags);
        assert_eq!(merged.cert, Some(PathBuf::from("flag.pem")));
        assert_eq!(merged.san, vec!["a".to_string()]);
    }
}
