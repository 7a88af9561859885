//! Storage for table entries with stable `u32` indexes.
//!
//! Entries never move: the hash table's chains link them by index, so
//! rehashing relinks indexes and never copies an entry. The slab grows by
//! fixed-size chunks instead of reallocating one big array, so growth costs
//! one chunk allocation, never a copy of everything stored (which would be
//! the very stall incremental rehashing exists to avoid).

/// Entries per chunk (a power of two).
const CHUNK_SHIFT: u32 = 10;
const CHUNK: usize = 1 << CHUNK_SHIFT;

pub struct Slab<T> {
    chunks: Vec<Box<[Option<T>]>>,
    /// Vacant indexes below `fresh`, reused last-freed first.
    free: Vec<u32>,
    /// Indexes from here on were never used.
    fresh: u32,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab { chunks: Vec::new(), free: Vec::new(), fresh: 0, len: 0 }
    }
}

impl<T> Slab<T> {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Indexes from here on were never used.
    pub fn fresh(&self) -> u32 {
        self.fresh
    }

    /// Stores `value` and returns its index.
    pub fn insert(&mut self, value: T) -> u32 {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = self.fresh;
                if i as usize == self.chunks.len() * CHUNK {
                    self.chunks.push((0..CHUNK).map(|_| None).collect());
                }
                self.fresh += 1;
                i
            }
        };
        let cell = self.cell_mut(index);
        debug_assert!(cell.is_none());
        *cell = Some(value);
        self.len += 1;
        index
    }

    /// Takes the value out; the index becomes free.
    pub fn remove(&mut self, index: u32) -> T {
        let value = self.cell_mut(index).take().expect("slab index in use");
        self.free.push(index);
        self.len -= 1;
        value
    }

    #[inline]
    pub fn get(&self, index: u32) -> &T {
        self.cell(index).as_ref().expect("slab index in use")
    }

    /// The cell of `index`, not read: for a prefetch, which must not wait
    /// on the very load it is meant to start.
    #[inline]
    pub fn cell(&self, index: u32) -> &Option<T> {
        &self.chunks[(index >> CHUNK_SHIFT) as usize][index as usize & (CHUNK - 1)]
    }

    #[inline]
    pub fn get_mut(&mut self, index: u32) -> &mut T {
        self.cell_mut(index).as_mut().expect("slab index in use")
    }

    #[inline]
    fn cell_mut(&mut self, index: u32) -> &mut Option<T> {
        &mut self.chunks[(index >> CHUNK_SHIFT) as usize][index as usize & (CHUNK - 1)]
    }

    /// Indexes in use, in index order.
    pub fn indexes(&self) -> impl Iterator<Item = u32> + '_ {
        self.chunks.iter().enumerate().flat_map(|(c, chunk)| {
            chunk.iter().enumerate().filter(|(_, v)| v.is_some()).map(move |(i, _)| (c * CHUNK + i) as u32)
        })
    }

    /// The storage chunks, for a slab being thrown away: the caller drops
    /// them one at a time, so that freeing a large slab never happens in one
    /// step (see `lazyfree.rs`).
    pub fn into_chunks(self) -> Vec<Box<[Option<T>]>> {
        self.chunks
    }

    /// Bytes reserved, for INFO memory.
    pub fn reserved_bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<Option<T>>() + self.free.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_are_stable_and_reused() {
        let mut s = Slab::default();
        let a = s.insert("a");
        let b = s.insert("b");
        assert_eq!(s.remove(a), "a");
        let c = s.insert("c");
        assert_eq!(c, a, "the freed index is reused");
        assert_eq!(*s.get(b), "b");
        for i in 0..3000 {
            s.insert(if i % 2 == 0 { "x" } else { "y" });
        }
        assert_eq!(s.len(), 3002);
        assert_eq!(s.indexes().count(), 3002);
    }
}
