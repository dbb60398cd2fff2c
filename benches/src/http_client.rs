//! A minimal HTTP/1.1 keep-alive client for load generation, over TCP or TLS.
//!
//! Hand-rolled on purpose: on a 2-core machine the load generator shares the CPU with the server,
//! so it must spend as little as possible per request (no pooling layers, no redirects). Tests
//! and one-off calls use the shared client instead (`cretoai_tls::agent`).

use rustls::pki_types::ServerName;
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// A byte stream to the server: plain TCP or TLS over it.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How to reach a server: its `host:port` and, for HTTPS, the client TLS configuration.
#[derive(Clone)]
pub struct Endpoint {
    /// `host:port`.
    pub addr: String,
    /// TLS configuration; `None` is plain HTTP.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Endpoint {
    /// Plain HTTP to `addr`.
    pub fn plain(addr: &str) -> Self {
        Endpoint {
            addr: addr.to_string(),
            tls: None,
        }
    }

    /// Opens a new connection (and, for HTTPS, completes the handshake).
    pub async fn connect(&self) -> io::Result<Connection> {
        match &self.tls {
            None => Connection::connect(&self.addr).await,
            Some(config) => Connection::connect_tls(&self.addr, config.clone()).await,
        }
    }
}

/// One keep-alive connection to a server.
pub struct Connection {
    stream: Box<dyn Io>,
    host: String,
    /// Bytes read and not yet handed out; the first `consumed` belong to the last response.
    buf: Vec<u8>,
    consumed: usize,
}

/// A parsed response: status code and body.
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response body bytes.
    pub body: Vec<u8>,
}

impl Connection {
    /// Connects to `addr` (`host:port`).
    pub async fn connect(addr: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self::over(Box::new(stream), addr))
    }

    /// Connects to `addr` over TLS with `config`; the server must present a certificate for
    /// `localhost` (the generated one does).
    pub async fn connect_tls(addr: &str, config: Arc<rustls::ClientConfig>) -> io::Result<Self> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await?;
        Ok(Self::over(Box::new(tls), addr))
    }

    fn over(stream: Box<dyn Io>, addr: &str) -> Self {
        Self {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(READ_CHUNK),
            consumed: 0,
        }
    }

    /// The bytes of one request to this connection's host, ready for [`Connection::exchange`];
    /// a load loop builds them once and sends them many times.
    pub fn encode(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> Vec<u8> {
        self.encode_as(method, path, token, JSON, body)
    }

    /// [`Connection::encode`] with a body of another media type.
    pub fn encode_as(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if let Some(t) = token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        let body = body.unwrap_or_default();
        if !body.is_empty() || method == "POST" || method == "PUT" {
            head.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let mut out = Vec::with_capacity(head.len() + body.len());
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(body);
        out
    }

    /// Sends one request and reads the whole response.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> io::Result<Response> {
        self.request_as(method, path, token, JSON, body).await
    }

    /// [`Connection::request`] with a body of another media type.
    pub async fn request_as(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Option<&[u8]>,
    ) -> io::Result<Response> {
        let raw = self.encode_as(method, path, token, content_type, body);
        let (status, body) = self.exchange(&raw).await?;
        Ok(Response {
            status,
            body: body.to_vec(),
        })
    }

    /// Sends request bytes from [`Connection::encode`] and returns the status and a view of the
    /// body, valid until the next call (no copy of the body).
    pub async fn exchange(&mut self, raw: &[u8]) -> io::Result<(u16, &[u8])> {
        self.stream.write_all(raw).await?;
        self.stream.flush().await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> io::Result<(u16, &[u8])> {
        // Forget the previous response; a pipelined server's next bytes move to the front.
        self.buf.drain(..self.consumed);
        self.consumed = 0;
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head =
                    std::str::from_utf8(&self.buf[..end]).map_err(|_| bad("non-UTF-8 header"))?;
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("no status"))?;
                let len =
                    content_length(head).ok_or_else(|| bad("response without Content-Length"))?;
                let total = end + 4 + len;
                while self.buf.len() < total {
                    self.fill().await?;
                }
                self.consumed = total;
                return Ok((status, &self.buf[end + 4..total]));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> io::Result<()> {
        // Read straight into the buffer's spare room: no zeroed scratch array, no extra copy.
        self.buf.reserve(READ_CHUNK);
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        Ok(())
    }
}

/// Spare room kept for each read; holds a whole signature response (about 4.5 KB).
const READ_CHUNK: usize = 16 * 1024;
/// Media type of JSON bodies.
pub const JSON: &str = "application/json";
/// Media type of binary bodies (the node's binary batch of transactions).
pub const BINARY: &str = "application/octet-stream";

fn content_length(head: &str) -> Option<usize> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn bad(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}
