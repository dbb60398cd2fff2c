//! Opaque, versioned, length-prefixed frames.
//!
//! Layout (big-endian): `[u8 version = 1][u8 kind][u32 payload length][payload]`.
//! The transport never interprets `kind` or the payload; they belong to the layer above.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::{NetworkError, Result};

/// Wire-format version written in every frame header.
pub const WIRE_VERSION: u8 = 1;
/// Length of the frame header in bytes.
pub const HEADER_LEN: usize = 6;
/// Initial payload buffer; larger payloads grow as their bytes arrive.
const READ_CHUNK: usize = 64 * 1024;
/// Default maximum payload length: 8 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 8 * 1024 * 1024;

/// What a frame carries; the values are defined by the layer above (consensus, sync, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameKind(pub u8);

/// One message: a kind and opaque payload bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Application-defined kind.
    pub kind: FrameKind,
    /// Opaque payload.
    pub payload: Vec<u8>,
}

/// A validated frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Kind of the frame that follows.
    pub kind: FrameKind,
    /// Payload length in bytes (already checked against the maximum).
    pub len: usize,
}

impl FrameHeader {
    /// Parses and validates a header: known version, length within `max_len`.
    pub fn parse(bytes: &[u8; HEADER_LEN], max_len: usize) -> Result<Self> {
        let [version, kind, l0, l1, l2, l3] = *bytes;
        if version != WIRE_VERSION {
            return Err(NetworkError::UnsupportedFrameVersion(version));
        }
        let len = u32::from_be_bytes([l0, l1, l2, l3]);
        if u64::from(len) > max_len as u64 {
            return Err(NetworkError::FrameTooLarge {
                len: len.into(),
                max: max_len,
            });
        }
        Ok(FrameHeader {
            kind: FrameKind(kind),
            len: len as usize,
        })
    }
}

impl Frame {
    /// A frame of `kind` carrying `payload`.
    pub fn new(kind: FrameKind, payload: impl Into<Vec<u8>>) -> Self {
        Frame {
            kind,
            payload: payload.into(),
        }
    }

    /// The wire bytes of this frame; fails if the payload exceeds `max_len` (or `u32::MAX`).
    pub fn encode(&self, max_len: usize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out, max_len)?;
        Ok(out)
    }

    /// The payload length as the header carries it; fails if it exceeds `max_len` (or
    /// `u32::MAX`).
    pub fn checked_len(&self, max_len: usize) -> Result<u32> {
        u32::try_from(self.payload.len())
            .ok()
            .filter(|&len| u64::from(len) <= max_len as u64)
            .ok_or(NetworkError::FrameTooLarge {
                len: self.payload.len() as u64,
                max: max_len,
            })
    }

    /// Length of the wire bytes: header and payload.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Appends the wire bytes of this frame to `out` (nothing on error), so several frames
    /// can share one buffer sized once.
    pub fn encode_into(&self, out: &mut Vec<u8>, max_len: usize) -> Result<()> {
        let len = self.checked_len(max_len)?;
        out.reserve(self.encoded_len());
        out.push(WIRE_VERSION);
        out.push(self.kind.0);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.payload);
        Ok(())
    }

    /// Decodes one frame from the start of `buf`. `Ok(None)` means more bytes are needed;
    /// otherwise returns the frame and how many bytes it used.
    pub fn decode(buf: &[u8], max_len: usize) -> Result<Option<(Frame, usize)>> {
        let Some(header) = buf.first_chunk::<HEADER_LEN>() else {
            return Ok(None);
        };
        let header = FrameHeader::parse(header, max_len)?;
        let end = HEADER_LEN + header.len;
        Ok(buf.get(HEADER_LEN..end).map(|payload| {
            (
                Frame {
                    kind: header.kind,
                    payload: payload.to_vec(),
                },
                end,
            )
        }))
    }
}

/// Reads the next frame from a stream. `Ok(None)` if the stream ended cleanly before a header;
/// an error if it ended inside a frame or the header is invalid.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    max_len: usize,
) -> Result<Option<Frame>> {
    let mut header = [0u8; HEADER_LEN];
    let mut filled = 0;
    while filled < HEADER_LEN {
        let n = reader
            .read(&mut header[filled..])
            .await
            .map_err(NetworkError::transport)?;
        if n == 0 {
            return if filled == 0 {
                Ok(None)
            } else {
                Err(NetworkError::TruncatedFrame)
            };
        }
        filled += n;
    }
    let header = FrameHeader::parse(&header, max_len)?;
    // Grow with the bytes that actually arrive, so headers that merely claim large payloads
    // on many streams cannot make us allocate; QUIC flow control bounds what can arrive.
    let mut payload = Vec::with_capacity(header.len.min(READ_CHUNK));
    (&mut *reader)
        .take(header.len as u64)
        .read_to_end(&mut payload)
        .await
        .map_err(NetworkError::transport)?;
    if payload.len() < header.len {
        return Err(NetworkError::TruncatedFrame);
    }
    Ok(Some(Frame {
        kind: header.kind,
        payload,
    }))
}

/// Writes one frame to a stream.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    frame: &Frame,
    max_len: usize,
) -> Result<()> {
    let bytes = frame.encode(max_len)?;
    writer
        .write_all(&bytes)
        .await
        .map_err(NetworkError::transport)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cases() -> u32 {
        std::env::var("CRETOAI_PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256)
    }

    #[test]
    fn layout_is_as_documented() {
        let bytes = Frame::new(FrameKind(7), b"abc".to_vec())
            .encode(16)
            .unwrap();
        assert_eq!(bytes, [1, 7, 0, 0, 0, 3, b'a', b'b', b'c']);
    }

    #[test]
    fn decode_needs_whole_frame() {
        let bytes = Frame::new(FrameKind(1), vec![9; 10]).encode(64).unwrap();
        for cut in 0..bytes.len() {
            assert_eq!(Frame::decode(&bytes[..cut], 64).unwrap(), None);
        }
        let (frame, used) = Frame::decode(&bytes, 64).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(frame.payload, vec![9; 10]);
    }

    #[test]
    fn rejects_unknown_version_and_oversize() {
        assert!(matches!(
            Frame::decode(&[2, 0, 0, 0, 0, 0], 64),
            Err(NetworkError::UnsupportedFrameVersion(2))
        ));
        assert!(matches!(
            Frame::decode(&[1, 0, 0, 0, 0, 65], 64),
            Err(NetworkError::FrameTooLarge { len: 65, max: 64 })
        ));
        assert!(matches!(
            Frame::decode(&[1, 0, 0xff, 0xff, 0xff, 0xff], usize::MAX),
            Ok(None)
        ));
        assert!(matches!(
            Frame::new(FrameKind(0), vec![0; 65]).encode(64),
            Err(NetworkError::FrameTooLarge { len: 65, max: 64 })
        ));
    }

    #[tokio::test]
    async fn stream_reader_handles_boundaries() {
        let mut wire = Vec::new();
        for i in 0..3u8 {
            write_frame(
                &mut wire,
                &Frame::new(FrameKind(i), vec![i; i as usize]),
                64,
            )
            .await
            .unwrap();
        }
        let mut reader = &wire[..];
        for i in 0..3u8 {
            let frame = read_frame(&mut reader, 64).await.unwrap().unwrap();
            assert_eq!(frame, Frame::new(FrameKind(i), vec![i; i as usize]));
        }
        assert_eq!(read_frame(&mut reader, 64).await.unwrap(), None);

        let mut truncated = &wire[..wire.len() - 1];
        let last = loop {
            match read_frame(&mut truncated, 64).await {
                Ok(Some(_)) => continue,
                other => break other,
            }
        };
        assert!(matches!(last, Err(NetworkError::TruncatedFrame)));
        let mut header_only = &[1u8, 0, 0][..];
        assert!(matches!(
            read_frame(&mut header_only, 64).await,
            Err(NetworkError::TruncatedFrame)
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        #[test]
        fn decoder_never_panics_on_arbitrary_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            max in 0usize..200,
        ) {
            match Frame::decode(&bytes, max) {
                Ok(Some((frame, used))) => {
                    prop_assert!(used <= bytes.len());
                    prop_assert!(frame.payload.len() <= max);
                    prop_assert_eq!(frame.encode(max).unwrap(), bytes[..used].to_vec());
                }
                Ok(None) => prop_assert!(bytes.len() < HEADER_LEN + max),
                Err(_) => prop_assert!(bytes.len() >= HEADER_LEN),
            }
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let mut reader = &bytes[..];
            // The stream reader agrees with the buffer decoder on every input.
            let streamed = runtime.block_on(read_frame(&mut reader, max));
            match (Frame::decode(&bytes, max), streamed) {
                (Ok(Some((a, _))), Ok(Some(b))) => prop_assert_eq!(a, b),
                (Ok(None), Ok(None)) => prop_assert!(bytes.is_empty()),
                (Ok(None), Err(NetworkError::TruncatedFrame)) => {}
                (Err(_), Err(_)) => {}
                (a, b) => prop_assert!(false, "decoder {:?} vs reader {:?}", a, b),
            }
        }

        #[test]
        fn frames_round_trip(kind in any::<u8>(), payload in proptest::collection::vec(any::<u8>(), 0..512)) {
            let frame = Frame::new(FrameKind(kind), payload);
            let bytes = frame.encode(512).unwrap();
            let (decoded, used) = Frame::decode(&bytes, 512).unwrap().unwrap();
            prop_assert_eq!(used, bytes.len());
            prop_assert_eq!(decoded, frame);
        }
    }
}
