//! A one-request health probe for container health checks (the images carry no curl): connect,
//! `GET` one path, report the status code. HTTPS verifies the server against a pinned
//! certificate or a CA.

use crate::error::{Result, TlsError};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// The address to probe a listener on: an unspecified listen address (0.0.0.0, ::) is reached
/// through the loopback address of its family.
pub fn local_target(listen: SocketAddr) -> SocketAddr {
    let mut target = listen;
    if listen.ip().is_unspecified() {
        target.set_ip(match listen {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    target
}

/// Sends `GET path` to `addr` (over TLS with `tls`) and returns the response's status code.
pub fn probe(
    addr: SocketAddr,
    tls: Option<Arc<ClientConfig>>,
    path: &str,
    timeout: Duration,
) -> Result<u16> {
    let failed = |what: &str, e: &dyn std::fmt::Display| TlsError::Probe(format!("{what}: {e}"));
    let tcp = TcpStream::connect_timeout(&addr, timeout).map_err(|e| failed("connect", &e))?;
    tcp.set_read_timeout(Some(timeout))
        .and_then(|_| tcp.set_write_timeout(Some(timeout)))
        .map_err(|e| failed("socket", &e))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let mut head = Vec::new();
    let exchanged = match tls {
        Some(config) => {
            let name = ServerName::try_from("localhost").map_err(|e| failed("name", &e))?;
            let conn = ClientConnection::new(config, name).map_err(|e| failed("tls", &e))?;
            let mut stream = StreamOwned::new(conn, tcp);
            exchange(&mut stream, request.as_bytes(), &mut head)
        }
        None => {
            let mut stream = tcp;
            exchange(&mut stream, request.as_bytes(), &mut head)
        }
    };
    exchanged.map_err(|e| failed("exchange", &e))?;
    parse_status(&head).ok_or_else(|| TlsError::Probe("no HTTP status line".into()))
}

fn exchange(
    stream: &mut (impl Read + Write),
    request: &[u8],
    head: &mut Vec<u8>,
) -> std::io::Result<()> {
    stream.write_all(request)?;
    stream.flush()?;
    let mut buf = [0u8; 512];
    // The status line is all a probe needs.
    while !head.contains(&b'\n') && head.len() < 4096 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(())
}

fn parse_status(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_parse() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(
            parse_status(b"HTTP/1.0 503 Service Unavailable\r\n"),
            Some(503)
        );
        assert_eq!(parse_status(b"\x15\x03\x03"), None);
        assert_eq!(
            local_target("0.0.0.0:8080".parse().unwrap()).to_string(),
            "127.0.0.1:8080"
        );
    }
}
