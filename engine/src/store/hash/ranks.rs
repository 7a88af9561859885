//! How many entries each block of table slots holds, summed in a Fenwick
//! tree, so that the table finds its i-th entry in O(log n).
//!
//! The model draws a random element as "the i-th in iteration order"
//! (HRANDFIELD, SRANDMEMBER, SPOP). Walking the table to position i would
//! make every draw O(n); with these counts a draw costs a descent of the
//! tree plus a walk inside one block of [`BLOCK`] slots.

/// Slots per counted block.
pub const BLOCK: usize = 64;

/// Occupied slots per block, as a Fenwick (binary indexed) tree.
#[derive(Clone, Debug, Default)]
pub struct Ranks {
    /// 1-based: `tree[i]` sums the blocks `i - lowbit(i) .. i` (0-based `..i`).
    tree: Vec<u32>,
}

impl Ranks {
    /// Counts for `blocks` blocks whose occupancies are `counts`.
    pub fn build(counts: impl ExactSizeIterator<Item = u32>) -> Ranks {
        let mut tree = Vec::with_capacity(counts.len() + 1);
        tree.push(0);
        tree.extend(counts);
        // Each node passes its sum up to its parent: O(n) construction.
        let n = tree.len() - 1;
        for i in 1..=n {
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                tree[parent] += tree[i];
            }
        }
        Ranks { tree }
    }

    /// Number of blocks covered.
    pub fn blocks(&self) -> usize {
        self.tree.len().saturating_sub(1)
    }

    /// Adds one entry to `block` (`up`) or takes one away.
    pub fn change(&mut self, block: usize, up: bool) {
        let mut i = block + 1;
        while i < self.tree.len() {
            if up {
                self.tree[i] += 1;
            } else {
                self.tree[i] -= 1;
            }
            i += i & i.wrapping_neg();
        }
    }

    /// The block holding the entry of rank `rank` (0-based, in slot order),
    /// and that entry's rank inside the block. The caller guarantees
    /// `rank` < the number of entries.
    pub fn find(&self, mut rank: usize) -> (usize, usize) {
        let n = self.blocks();
        let mut pos = 0;
        let mut step = if n == 0 { 0 } else { 1 << (usize::BITS - 1 - n.leading_zeros()) };
        while step > 0 {
            let next = pos + step;
            if next <= n && (self.tree[next] as usize) <= rank {
                pos = next;
                rank -= self.tree[next] as usize;
            }
            step >>= 1;
        }
        (pos, rank)
    }

    pub fn heap_bytes(&self) -> usize {
        self.tree.capacity() * std::mem::size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_walks_prefix_sums() {
        let counts = [3u32, 0, 5, 1, 0, 0, 2];
        let mut r = Ranks::build(counts.iter().copied());
        let mut expected = Vec::new();
        for (b, &c) in counts.iter().enumerate() {
            for i in 0..c as usize {
                expected.push((b, i));
            }
        }
        for (rank, want) in expected.iter().enumerate() {
            assert_eq!(r.find(rank), *want, "rank {rank}");
        }
        r.change(1, true);
        assert_eq!(r.find(3), (1, 0));
        r.change(0, false);
        assert_eq!(r.find(2), (1, 0));
    }
}
