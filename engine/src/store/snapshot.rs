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
//! started, and read out in that order. When FLUSHDB, FLUSHALL or loading a
//! new dataset empties a database the walk has not finished, the old
//! contents are not freed but retired into the cut, which walks them to the
//! end and then hands them over for freeing.

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
    /// The contents the database had before it was emptied, when that
    /// happened before the walk was done: the walk goes on over them.
    retired: Option<Box<Db>>,
}

impl Db {
    /// Starts this database's share of a snapshot, labelled `label`.
    pub fn start_cut(&mut self, label: usize) {
        debug_assert!(self.cut.is_none(), "a snapshot is already under way");
        self.mark = !self.mark;
        self.cut =
            Some(Box::new(Cut { label, copied: Vec::new(), pos: WalkPos::default(), walked: false, retired: None }));
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
    /// is all out (the cut is gone then); retired contents the walk is done
    /// with go to `spent`, for the caller to free.
    pub fn read_cut(&mut self, max: usize, out: &mut Vec<Record>, spent: &mut Vec<Db>) -> bool {
        let Some(mut cut) = self.cut.take() else { return true };
        let take = cut.copied.len().min(max);
        out.extend(cut.copied.drain(..take));
        let mut room = max - take;
        let mut cells = room * CELLS_PER_RECORD;
        let mut links = Vec::new();
        while room > 0 && cells > 0 && !cut.walked {
            // The walk is over the retired contents if there are some.
            let Cut { pos, walked, retired, .. } = &mut *cut;
            let db: &mut Db = match retired {
                Some(old) => old,
                None => self,
            };
            // No more cells than records of room: each may hold one.
            let batch = room.min(cells);
            links.clear();
            *walked = !db.dict.walk(pos, batch, &mut links);
            cells -= batch;
            for &link in &links {
                if db.dict.node(link).mark() != db.mark {
                    out.push(db.record(link));
                    db.dict.node_mut(link).set_mark(db.mark);
                    room -= 1;
                }
            }
        }
        if cut.walked {
            if let Some(old) = cut.retired.take() {
                spent.push(*old);
            }
        }
        if cut.walked && cut.copied.is_empty() {
            return true;
        }
        self.cut = Some(cut);
        false
    }

    /// Empties the database for FLUSHDB/FLUSHALL or a load and returns the
    /// old contents for the caller to free, unless the snapshot under way
    /// has not walked them yet: then they are retired into it and an empty
    /// database comes back. Contents added since the snapshot started
    /// (after an earlier retirement, or behind a finished walk) are not in
    /// it and go back to the caller.
    pub(super) fn empty_out(&mut self, fresh: Db) -> Db {
        let cut = self.cut.take();
        let mut old = std::mem::replace(self, fresh);
        let Some(mut cut) = cut else { return old };
        if !cut.walked && cut.retired.is_none() {
            cut.retired = Some(Box::new(std::mem::take(&mut old)));
        }
        self.cut = Some(cut);
        old
    }

    /// Drops this database's share, giving every entry not copied the
    /// database's mark (the resting state); retired contents go to `spent`.
    pub fn cancel_cut(&mut self, spent: &mut Vec<Db>) {
        let Some(mut cut) = self.cut.take() else { return };
        if let Some(old) = cut.retired.take() {
            // The live entries were all added after the snapshot started.
            spent.push(*old);
            return;
        }
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
