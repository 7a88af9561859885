//! The "hashtable" encoding of sets: the hashes' [`ScanTable`] with empty
//! values, so that members come out in the model's scan order (SMEMBERS,
//! SSCAN cursors, random draws by position).

use super::super::hash::table::{self, ScanTable};

#[derive(Clone, Debug, Default)]
pub struct SetTable {
    table: ScanTable,
}

impl SetTable {
    pub fn with_capacity(n: usize) -> SetTable {
        SetTable { table: ScanTable::with_capacity(n) }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// The underlying table (prefetching reads it).
    pub fn table(&self) -> &ScanTable {
        &self.table
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.table.contains(member)
    }

    /// Adds `member`; false if it was there.
    pub fn insert(&mut self, member: &[u8]) -> bool {
        self.table.insert(member, b"")
    }

    /// Removes `member`; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        self.table.remove(member)
    }

    /// Members in the model's order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.table.iter())
    }

    /// The member at position `i` of [`SetTable::iter`]'s order.
    pub fn nth(&self, i: usize) -> Option<&[u8]> {
        self.table.nth(i).map(|(m, _)| m)
    }

    /// One SSCAN step, as the model's `ScanMap::scan`.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<&[u8]>) {
        let (next, entries) = self.table.scan(cursor, count);
        (next, entries.into_iter().map(|(m, _)| m).collect())
    }

    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes()
    }
}

/// A set table's members in order.
pub struct Iter<'a>(table::Iter<'a>);

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.0.next().map(|(m, _)| m)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
