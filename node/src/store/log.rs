//! Reading the consensus log back: the records `Node::replay` replays after a restart, a few at
//! a time, and (on the replay path) the index of undecided transactions rebuilt on the way.

use super::blob_file::FILE_REF_LEN;
use super::blobs::Blobs;
use super::consensus::{
    corrupt, decode_vertex, id32, LOG, TAG_EQUIVOCATION, TAG_POLL, TAG_STATUS_RUN,
    TAG_SUBMITTED_RUN, TAG_VERTEX, TXS, VERTICES,
};
use super::pending::Rebuild;
use super::tx_row::stored_row;
use super::Store;
use crate::error::Result;
use cretoai_consensus::{tx_frames, Equivocation, Limits, Record, Transaction, TxId, VertexId};
use redb::ReadableDatabase;
use std::collections::VecDeque;
use std::sync::Arc;

/// Log records decoded per read transaction while streaming the log (a vertex record can be
/// over a megabyte, so the replay holds only a few at a time).
pub(super) const LOG_CHUNK: usize = 32;

/// One entry of the log as read back.
enum Logged {
    /// A record to replay, with the time its commit stamped on it (absent in records written
    /// before the log kept times).
    Record(Record, Option<u64>),
    /// A transaction's decision (an output of the core, not replayed).
    Decided(TxId),
}

impl Store {
    /// Every logged record, in order.
    pub fn consensus_log(&self, limits: &Limits) -> Result<Vec<Record>> {
        self.consensus_log_stream(limits).collect()
    }

    /// The log as a stream, read a few records at a time, so that replaying a long history
    /// never holds it all in memory (the core prunes as it replays).
    pub fn consensus_log_stream(&self, limits: &Limits) -> LogStream {
        LogStream {
            store: self.clone(),
            limits: *limits,
            next: 1,
            buffer: VecDeque::new(),
            done: false,
            rebuild: None,
        }
    }

    /// [`Store::consensus_log_stream`] for the start-up replay: read to its end, it also rebuilds
    /// the in-memory index of undecided transactions, which a restart emptied.
    pub fn consensus_replay(&self, limits: &Limits) -> LogStream {
        LogStream {
            rebuild: Some(Rebuild::default()),
            ..self.consensus_log_stream(limits)
        }
    }

    /// Up to [`LOG_CHUNK`] entries from sequence number `from` on, and the next number.
    fn log_chunk(&self, from: u64, limits: &Limits) -> Result<(Vec<Logged>, u64)> {
        let txn = self.db.begin_read()?;
        let log = txn.open_table(LOG)?;
        let vertices = txn.open_table(VERTICES)?;
        let blobs = Blobs::new(&self.blob_file);
        let mut out = Vec::new();
        let mut next = from;
        for entry in log.range(from..)?.take(LOG_CHUNK) {
            let (seq, value) = entry?;
            next = seq.value() + 1;
            let bytes = value.value();
            let (&tag, body) = bytes.split_first().ok_or_else(|| corrupt("log record"))?;
            let record = match tag {
                TAG_SUBMITTED_RUN => {
                    let (run, at) = split_time(body, FILE_REF_LEN);
                    let bytes = blobs.resolve(run)?;
                    for tx in tx_frames::split(&bytes) {
                        let tx = tx.map_err(|_| corrupt("submitted run"))?;
                        out.push(Logged::Record(
                            Record::Submitted(decode_tx(tx, limits)?),
                            at,
                        ));
                    }
                    continue;
                }
                TAG_VERTEX => {
                    let (id, at) = split_time(body, 32);
                    let raw = vertices
                        .get(id)?
                        .ok_or_else(|| corrupt("vertex reference"))?;
                    let bytes = super::consensus::vertex_bytes(&blobs, raw.value())?;
                    let vertex = Arc::new(decode_vertex(&bytes, limits)?);
                    out.push(Logged::Record(Record::Vertex(vertex), at));
                    continue;
                }
                TAG_POLL if body.len() == 36 => Record::PollResult {
                    vertex: VertexId(id32(body)),
                    yes: u32::from_be_bytes(body[32..36].try_into().unwrap_or_default()),
                },
                TAG_STATUS_RUN if body.len() % 32 == 0 => {
                    out.extend(
                        body.chunks_exact(32)
                            .map(|id| Logged::Decided(TxId(id32(id)))),
                    );
                    continue;
                }
                TAG_EQUIVOCATION => {
                    Record::Equivocation(Arc::new(decode_equivocation(body, limits)?))
                }
                _ => return Err(corrupt("log record")),
            };
            out.push(Logged::Record(record, None));
        }
        Ok((out, next))
    }

    /// Hands the rebuilt index of undecided transactions to the store.
    fn install_rebuilt(&self, rebuild: Rebuild) -> Result<()> {
        let txn = self.db.begin_read()?;
        let txs = txn.open_table(TXS)?;
        let rows = rebuild.finish(crate::consensus::now_ms(), |id| {
            match self.pending.staged_row(id) {
                Some(row) => Ok(Some(row)),
                None => stored_row(&txs, id),
            }
        })?;
        self.pending.replace(rows);
        Ok(())
    }
}

/// A log record's body and the commit time after its first `len` bytes, if it has one.
fn split_time(body: &[u8], len: usize) -> (&[u8], Option<u64>) {
    match body.get(len..).map(<[u8; 8]>::try_from) {
        Some(Ok(at)) => (&body[..len], Some(u64::from_be_bytes(at))),
        _ => (body, None),
    }
}

/// The consensus log read in chunks ([`Store::consensus_log_stream`]). Yields the first read
/// error and then stops.
pub struct LogStream {
    store: Store,
    limits: Limits,
    next: u64,
    buffer: VecDeque<Record>,
    done: bool,
    /// On the start-up replay: the index of undecided transactions being rebuilt.
    rebuild: Option<Rebuild>,
}

impl LogStream {
    fn take(&mut self, entries: Vec<Logged>) {
        for entry in entries {
            match (entry, &mut self.rebuild) {
                (Logged::Record(record, at), Some(rebuild)) => {
                    match &record {
                        Record::Submitted(tx) => rebuild.seen(tx.id(), at, None),
                        Record::Vertex(v) => {
                            for tx in v.txs() {
                                rebuild.seen(tx.id(), at, Some(v.id()));
                            }
                        }
                        _ => {}
                    }
                    self.buffer.push_back(record);
                }
                (Logged::Record(record, _), None) => self.buffer.push_back(record),
                (Logged::Decided(id), Some(rebuild)) => rebuild.decided(&id),
                (Logged::Decided(_), None) => {}
            }
        }
    }
}

impl Iterator for LogStream {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.buffer.is_empty() && !self.done {
            match self.store.log_chunk(self.next, &self.limits) {
                Ok((entries, next)) => {
                    self.done = next == self.next;
                    self.next = next;
                    self.take(entries);
                }
                Err(e) => {
                    self.done = true;
                    self.rebuild = None;
                    return Some(Err(e));
                }
            }
        }
        if self.done {
            if let Some(rebuild) = self.rebuild.take() {
                if let Err(e) = self.store.install_rebuilt(rebuild) {
                    return Some(Err(e));
                }
            }
        }
        self.buffer.pop_front().map(Ok)
    }
}

fn decode_tx(bytes: &[u8], limits: &Limits) -> Result<Transaction> {
    Transaction::decode(bytes, limits).map_err(|_| corrupt("transaction"))
}

fn decode_equivocation(body: &[u8], limits: &Limits) -> Result<Equivocation> {
    let len_bytes = body.get(..4).ok_or_else(|| corrupt("equivocation"))?;
    let len = u32::from_be_bytes(len_bytes.try_into().unwrap_or_default()) as usize;
    let first = body
        .get(4..4 + len)
        .ok_or_else(|| corrupt("equivocation"))?;
    Ok(Equivocation {
        first: Arc::new(decode_vertex(first, limits)?),
        second: Arc::new(decode_vertex(&body[4 + len..], limits)?),
    })
}
