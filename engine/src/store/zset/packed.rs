//! The small form ("listpack"): every (member, score) in one buffer, sorted
//! by (score, member). Each entry is `[member length: u32 LE][member][score
//! bits: u64 LE]`. Sets in this form are small (`zset-max-listpack-entries`),
//! so linear walks are what Redis does too and cost less than pointers.

use std::cmp::Ordering;

use super::tree::cmp_entry;
use crate::store::prefetch::prefetch_lines;

#[derive(Clone, Debug, Default)]
pub struct Packed {
    buf: Vec<u8>,
    len: usize,
}

/// Reads the entry at `at`: (member, score, offset of the next entry).
fn read(buf: &[u8], at: usize) -> (&[u8], f64, usize) {
    let n = u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes")) as usize;
    let m = &buf[at + 4..at + 4 + n];
    let s = f64::from_bits(u64::from_le_bytes(buf[at + 4 + n..at + 12 + n].try_into().expect("8 bytes")));
    (m, s, at + 12 + n)
}

impl Packed {
    /// Starts loading the first lines of the bytes, which lookups scan.
    pub fn prefetch(&self) {
        prefetch_lines(&self.buf, 4);
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Entries in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= self.buf.len() {
                return None;
            }
            let (m, s, next) = read(&self.buf, at);
            at = next;
            Some((m, s))
        })
    }

    /// (offset, score) of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, f64)> {
        let mut at = 0;
        while at < self.buf.len() {
            let (m, s, next) = read(&self.buf, at);
            if m == member {
                return Some((at, s));
            }
            at = next;
        }
        None
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|(_, s)| s)
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (at, s) = self.find(member)?;
        self.buf.drain(at..at + 12 + member.len());
        self.len -= 1;
        Some(s)
    }

    /// Adds `member` or moves it to its new score.
    pub fn put(&mut self, member: &[u8], score: f64) {
        self.remove(member);
        let mut at = 0;
        while at < self.buf.len() {
            let (m, s, next) = read(&self.buf, at);
            if cmp_entry(s, m, score, member) == Ordering::Greater {
                break;
            }
            at = next;
        }
        let mut entry = Vec::with_capacity(12 + member.len());
        entry.extend_from_slice(&(member.len() as u32).to_le_bytes());
        entry.extend_from_slice(member);
        entry.extend_from_slice(&score.to_bits().to_le_bytes());
        self.buf.splice(at..at, entry);
        self.len += 1;
    }

    /// Bytes allocated for the buffer.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }
}
