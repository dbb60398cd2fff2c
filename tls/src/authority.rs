//! The generated local certificate authority and server certificate (ECDSA P-256: browsers
//! cannot verify ML-DSA certificates yet; the key exchange is where the post-quantum
//! protection of the session lies).
//!
//! Files in the directory (normally `<data-dir>/tls/`):
//! - `ca.pem` (give this to clients: `curl --cacert`, the browser's trust store),
//! - `ca.key` (0600; only needed to issue server certificates),
//! - `server.pem` (leaf then CA), `server.key` (0600),
//! - `server.names`: the names and expiry the server certificate was issued for; a change of
//!   names (another listen address, `--tls-san`) or a near expiry issues a new one under the
//!   same CA, so clients that trust the CA keep working.

use crate::error::{Result, TlsError};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

/// CA certificate file name.
pub const CA_CERT: &str = "ca.pem";
/// CA private key file name.
pub const CA_KEY: &str = "ca.key";
/// Server certificate chain file name.
pub const SERVER_CERT: &str = "server.pem";
/// Server private key file name.
pub const SERVER_KEY: &str = "server.key";
/// What the server certificate was issued for.
pub const SERVER_NAMES: &str = "server.names";

/// Days a generated server certificate is valid: under the 398 days browsers accept.
const SERVER_DAYS: i64 = 397;
/// Days a generated CA is valid.
const CA_DAYS: i64 = 3650;
/// A server certificate this close to expiry is issued again at start.
const RENEW_DAYS: i64 = 30;

/// The files [`ensure`] left in place, and what it had to create.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The CA certificate clients trust.
    pub ca: PathBuf,
    /// The server certificate chain.
    pub cert: PathBuf,
    /// The server private key.
    pub key: PathBuf,
    /// Whether this call created the CA.
    pub created_ca: bool,
    /// Whether this call issued the server certificate.
    pub issued_server: bool,
}

/// The names a generated certificate covers for `listen`: the address itself and `localhost`;
/// for an unspecified address (0.0.0.0, ::) `localhost`, 127.0.0.1, ::1 and the host name;
/// then `extra` (`--tls-san`). Deduplicated, order kept.
pub fn names_for(listen: SocketAddr, extra: &[String]) -> Vec<String> {
    let mut names = vec!["localhost".to_string()];
    if listen.ip().is_unspecified() {
        names.push("127.0.0.1".into());
        names.push("::1".into());
        if let Some(host) = host_name() {
            names.push(host);
        }
    } else {
        names.push(listen.ip().to_string());
    }
    names.extend(extra.iter().map(|n| n.trim().to_string()));
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| !n.is_empty() && seen.insert(n.to_ascii_lowercase()));
    names
}

fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// Makes sure `dir` holds a CA and a server certificate for `names`, creating or renewing
/// only what is missing, stale or issued for other names.
pub fn ensure(dir: &Path, names: &[String]) -> Result<Issued> {
    ensure_issued(dir, dir, names)
}

/// Like [`ensure`], with the CA in `ca_dir` and the server certificate, its key and a copy of
/// `ca.pem` in `dir`: a cluster's one CA issuing each member's certificate, the CA key staying
/// where only the issuing step can read it.
pub fn ensure_issued(ca_dir: &Path, dir: &Path, names: &[String]) -> Result<Issued> {
    for d in [ca_dir, dir] {
        std::fs::create_dir_all(d).map_err(|source| TlsError::Io {
            path: d.to_path_buf(),
            source,
        })?;
    }
    let paths = |f: &str| dir.join(f);
    let (ca_key, created_ca) = load_or_create_ca(ca_dir)?;
    if ca_dir != dir {
        let ca_pem = read(&ca_dir.join(CA_CERT))?;
        if std::fs::read_to_string(paths(CA_CERT)).ok().as_deref() != Some(ca_pem.as_str()) {
            write_atomic(&paths(CA_CERT), ca_pem.as_bytes(), false)?;
        }
    }
    let now = OffsetDateTime::now_utc();
    let stale = match std::fs::read_to_string(paths(SERVER_NAMES)) {
        Ok(text) => !recorded_matches(&text, names, now),
        Err(_) => true,
    };
    let issued_server =
        created_ca || stale || !paths(SERVER_CERT).exists() || !paths(SERVER_KEY).exists();
    if issued_server {
        issue_server(dir, &ca_key, names, now)?;
    }
    Ok(Issued {
        ca: paths(CA_CERT),
        cert: paths(SERVER_CERT),
        key: paths(SERVER_KEY),
        created_ca,
        issued_server,
    })
}

fn load_or_create_ca(dir: &Path) -> Result<(KeyPair, bool)> {
    let (cert_path, key_path) = (dir.join(CA_CERT), dir.join(CA_KEY));
    match (cert_path.exists(), key_path.exists()) {
        (true, true) => {
            let pem = Zeroizing::new(read(&key_path)?);
            let key = KeyPair::from_pem(&pem).map_err(|e| TlsError::Pem {
                path: key_path,
                reason: e.to_string(),
            })?;
            Ok((key, false))
        }
        (false, false) => {
            let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
            let mut params = ca_params(&key)?;
            let now = OffsetDateTime::now_utc();
            params.not_before = now - Duration::days(1);
            params.not_after = now + Duration::days(CA_DAYS);
            params.serial_number = Some(random_serial());
            let cert = params.self_signed(&key)?;
            write_atomic(&key_path, key.serialize_pem().as_bytes(), true)?;
            write_atomic(&cert_path, cert.pem().as_bytes(), false)?;
            Ok((key, true))
        }
        _ => Err(TlsError::Config(format!(
            "{} holds only one of {CA_CERT} and {CA_KEY}; restore the other or remove both to \
             create a new CA",
            dir.display()
        ))),
    }
}

/// The CA's name and constraints, rebuilt from its key so a reloaded CA issues under the same
/// subject. The name carries a fingerprint of the key: two CretoAI CAs trusted on one machine
/// do not collide.
fn ca_params(key: &KeyPair) -> Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let id = params.key_identifier(key);
    let fingerprint: String = id.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "CretoAI");
    dn.push(
        DnType::CommonName,
        format!("CretoAI local CA {fingerprint}"),
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

fn issue_server(dir: &Path, ca_key: &KeyPair, names: &[String], now: OffsetDateTime) -> Result<()> {
    let ca = ca_params(ca_key)?;
    let issuer = Issuer::from_params(&ca, ca_key);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(names.to_vec())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "CretoAI");
    dn.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(random_serial());
    params.not_before = now - Duration::days(1);
    let not_after = now + Duration::days(SERVER_DAYS);
    params.not_after = not_after;
    let cert = params.signed_by(&key, &issuer)?;
    let ca_pem = read(&dir.join(CA_CERT))?;
    write_atomic(&dir.join(SERVER_KEY), key.serialize_pem().as_bytes(), true)?;
    write_atomic(
        &dir.join(SERVER_CERT),
        format!("{}{}", cert.pem(), ca_pem).as_bytes(),
        false,
    )?;
    write_atomic(
        &dir.join(SERVER_NAMES),
        record(names, not_after.unix_timestamp()).as_bytes(),
        false,
    )
}

fn record(names: &[String], not_after: i64) -> String {
    let mut text = format!("not_after={not_after}\n");
    for name in names {
        text.push_str(name);
        text.push('\n');
    }
    text
}

fn recorded_matches(text: &str, names: &[String], now: OffsetDateTime) -> bool {
    let mut lines = text.lines();
    let not_after = lines
        .next()
        .and_then(|l| l.strip_prefix("not_after="))
        .and_then(|v| v.parse::<i64>().ok());
    let fresh = matches!(not_after, Some(t) if t - now.unix_timestamp() > RENEW_DAYS * 86_400);
    fresh && lines.eq(names.iter().map(String::as_str))
}

fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    // A failing system RNG leaves zeros; the serial then only loses its uniqueness, and the
    // key generation just before would have failed first.
    let _ = rustls::crypto::aws_lc_rs::default_provider()
        .secure_random
        .fill(&mut bytes);
    bytes[0] &= 0x7f; // a positive INTEGER
    SerialNumber::from_slice(&bytes)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a file crash-safely (the old or the new one survives a crash, never half of
/// either); private keys get mode 0600, certificates 0644.
fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let written = if private {
        cretoai_crypto::secret_file::write(path, bytes)
    } else {
        cretoai_crypto::secret_file::write_readable(path, bytes)
    };
    written.map_err(|source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_the_address_localhost_and_extras() {
        let n = names_for("10.0.0.5:8080".parse().unwrap(), &["api.example".into()]);
        assert_eq!(n, vec!["localhost", "10.0.0.5", "api.example"]);
        let any = names_for("0.0.0.0:8080".parse().unwrap(), &["LOCALHOST".into()]);
        assert_eq!(&any[..3], &["localhost", "127.0.0.1", "::1"]);
        assert_eq!(
            any.iter()
                .filter(|n| n.eq_ignore_ascii_case("localhost"))
                .count(),
            1
        );
    }

    #[test]
    fn files_are_reused_and_renewed_only_for_new_names() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let first = ensure(dir.path(), &names).unwrap();
        assert!(first.created_ca && first.issued_server);
        let ca = std::fs::read(&first.ca).unwrap();
        let cert = std::fs::read(&first.cert).unwrap();
        let again = ensure(dir.path(), &names).unwrap();
        assert!(!again.created_ca && !again.issued_server);
        assert_eq!(std::fs::read(&again.cert).unwrap(), cert);
        let more = vec!["localhost".to_string(), "node1".to_string()];
        let renamed = ensure(dir.path(), &more).unwrap();
        assert!(!renamed.created_ca && renamed.issued_server);
        assert_eq!(std::fs::read(&renamed.ca).unwrap(), ca);
        assert_ne!(std::fs::read(&renamed.cert).unwrap(), cert);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SERVER_KEY))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_half_ca_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CA_CERT), "x").unwrap();
        assert!(matches!(
            ensure(dir.path(), &["localhost".into()]),
            Err(TlsError::Config(_))
        ));
    }
}
