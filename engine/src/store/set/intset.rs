//! The "intset" encoding of small integer sets: sorted integers packed at
//! the narrowest width that holds them all.
//!
//! As Redis's intset.c: values are 16, 32 or 64 bits wide, all the same
//! width; adding a value that does not fit widens every value (it then goes
//! first or last, being beyond the old range), and removals never narrow
//! back. Lookups are binary searches; SMEMBERS and SSCAN see ascending
//! order, as the model's `BTreeMap`.

use crate::store::prefetch::prefetch_lines;

#[derive(Clone, Debug)]
pub struct IntSet {
    /// Bytes per value: 2, 4 or 8.
    width: u8,
    /// The values, ascending, little-endian.
    bytes: Vec<u8>,
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet { width: 2, bytes: Vec::new() }
    }
}

/// Redis's `_intsetValueEncoding`: the width `v` needs.
fn width_for(v: i64) -> u8 {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

impl IntSet {
    /// Starts loading the first lines of the values, which lookups search.
    pub fn prefetch(&self) {
        prefetch_lines(&self.bytes, 2);
    }

    pub fn len(&self) -> usize {
        self.bytes.len() / self.width as usize
    }

    /// The value at position `i` (ascending order); `i` < `len()`.
    pub fn get(&self, i: usize) -> i64 {
        let w = self.width as usize;
        let b = &self.bytes[i * w..i * w + w];
        match self.width {
            2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    pub fn contains(&self, v: i64) -> bool {
        width_for(v) <= self.width && self.search(v).is_ok()
    }

    /// Adds `v`; false if it was there.
    pub fn insert(&mut self, v: i64) -> bool {
        if width_for(v) > self.width {
            self.widen(width_for(v));
        }
        match self.search(v) {
            Ok(_) => false,
            Err(i) => {
                let w = self.width as usize;
                let at = i * w;
                self.bytes.splice(at..at, self.encode(v)[..w].iter().copied());
                true
            }
        }
    }

    /// Removes `v`; false if it was not there. The width stays.
    pub fn remove(&mut self, v: i64) -> bool {
        if width_for(v) > self.width {
            return false;
        }
        match self.search(v) {
            Ok(i) => {
                let w = self.width as usize;
                self.bytes.drain(i * w..i * w + w);
                true
            }
            Err(_) => false,
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
    }

    /// Binary search for `v`: its position, or where it would go.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// `v` in the current width's little-endian bytes (first `width` bytes).
    fn encode(&self, v: i64) -> [u8; 8] {
        let mut out = [0u8; 8];
        match self.width {
            2 => out[..2].copy_from_slice(&(v as i16).to_le_bytes()),
            4 => out[..4].copy_from_slice(&(v as i32).to_le_bytes()),
            _ => out.copy_from_slice(&v.to_le_bytes()),
        }
        out
    }

    /// Redis's `intsetUpgradeAndAdd` first half: every value re-encoded wider.
    fn widen(&mut self, width: u8) {
        let values: Vec<i64> = self.iter().collect();
        self.width = width;
        let mut bytes = Vec::with_capacity((values.len() + 1) * width as usize);
        for v in values {
            bytes.extend_from_slice(&self.encode(v)[..width as usize]);
        }
        self.bytes = bytes;
    }
}
