//! A point-in-time copy of the dataset, read out a piece at a time while
//! commands keep changing it: what BGSAVE and a full resynchronisation
//! serialize. Redis forks and lets the kernel copy pages on write; here the
//! copy is made on write per key.
//!
//! Starting a snapshot costs nothing per key: each database flips its
//! [`Db::mark`], so that every entry's own mark now differs from it. Reading
//! walks the entries in storage order and copies each one whose mark
//! differs, giving it the database's mark. A command about to change or
//! remove an entry that still differs copies it first ([`Db::preserve`]),
//! and entries added meanwhile are born with the database's mark, so the
//! walk passes over both. When a database has been read out every entry
//! carries its mark again, which is the resting state the next snapshot
//! flips.
//!
//! A database's cut travels with it when SWAPDB exchanges two databases:
//! it is labelled with the index the database had when the snapshot
//! started, and read out in that order. FLUSHDB and loading a new dataset
//! copy what is left of the database first (a stall, as long as the copy;
//! only when they meet a snapshot under way).

use redsim_model::dataset::Record;

use super::db::Db;
use super::dict::WalkPos;

/// Slab cells a read visits per record it may return: passing over
/// entries already copied is cheap, but not free.
const CELLS_PER_RECORD: usize = 8;

/// One database's share of a snapshot under way.
pub struct Cut {
    /// The database's index when the snapshot started.
    pub label: usize,
    /// Entries copied before a change, waiting to be read out.
    copied: Vec<Record>,
    /// Where the walk over the entries is.
    pos: WalkPos,
    /// Whether the walk has passed every entry.
    walked: bool,
}

impl Db {
    /// Starts this database's share of a snapshot, labelled `label`.
    pub fn start_cut(&mut self, label: usize) {
        debug_assert!(self.cut.is_none(), "a snapshot is already under way");
        self.mark = !self.mark;
        self.cut = Some(Box::new(Cut { label, copied: Vec::new(), pos: WalkPos::default(), walked: false }));
    }

    /// Copies the entry at `link` into the snapshot under way, if it has
    /// one and the entry is not copied yet: called before every change to
    /// an entry.
    #[inline]
    pub(super) fn preserve(&mut self, link: u32) {
        if self.cut.is_none() || self.dict.node(link).mark() == self.mark {
            return;
        }
        let record = self.record(link);
        self.dict.node_mut(link).set_mark(self.mark);
        if let Some(cut) = self.cut.as_mut() {
            cut.copied.push(record);
        }
    }

    /// The entry at `link` as plain data.
    fn record(&self, link: u32) -> Record {
        let node = self.dict.node(link);
        Record {
            key: node.key.to_bytes(),
            value: node.obj.to_value(),
            expire_at: self.dict.deadline(link),
            lru: node.lru(),
        }
    }

    /// Moves up to `max` records of this database's share to `out`: first
    /// those copied before a change, then the walk's, which visits
    /// [`CELLS_PER_RECORD`] cells per record of room. True once the share
    /// is all out (the cut is gone then).
    pub fn read_cut(&mut self, max: usize, out: &mut Vec<Record>) -> bool {
        let Some(mut cut) = self.cut.take() else { return true };
        let take = cut.copied.len().min(max);
        out.extend(cut.copied.drain(..take));
        let mut room = max - take;
        let mut cells = room * CELLS_PER_RECORD;
        let mut links = Vec::new();
        while room > 0 && cells > 0 && !cut.walked {
            // No more cells than records of room: each may hold one.
            let batch = room.min(cells);
            links.clear();
            cut.walked = !self.dict.walk(&mut cut.pos, batch, &mut links);
            cells -= batch;
            for &link in &links {
                if self.dict.node(link).mark() != self.mark {
                    out.push(self.record(link));
                    self.dict.node_mut(link).set_mark(self.mark);
                    room -= 1;
                }
            }
        }
        if cut.walked && cut.copied.is_empty() {
            return true;
        }
        self.cut = Some(cut);
        false
    }

    /// Copies everything this database's share has not copied yet and
    /// hands the share over (the database's contents are about to go).
    pub fn settle_cut(&mut self) -> Option<Box<Cut>> {
        let mut cut = self.cut.take()?;
        if !cut.walked {
            let mut links = Vec::new();
            self.dict.walk(&mut cut.pos, usize::MAX, &mut links);
            for link in links {
                if self.dict.node(link).mark() != self.mark {
                    cut.copied.push(self.record(link));
                    self.dict.node_mut(link).set_mark(self.mark);
                }
            }
            cut.walked = true;
        }
        Some(cut)
    }

    /// Drops this database's share, giving every entry not copied the
    /// database's mark (the resting state).
    pub fn cancel_cut(&mut self) {
        let Some(mut cut) = self.cut.take() else { return };
        if !cut.walked {
            let mut links = Vec::new();
            self.dict.walk(&mut cut.pos, usize::MAX, &mut links);
            let mark = self.mark;
            for link in links {
                self.dict.node_mut(link).set_mark(mark);
            }
        }
    }
}
