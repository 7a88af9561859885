//! Redis's one child process. Redis forks for a background save, an AOF
//! rewrite and a full sync's snapshot, and never has two children at once:
//! a BGSAVE while a snapshot goes to replicas is refused, a rewrite asked
//! meanwhile is scheduled, save points and replicas' syncs wait for the
//! child to end. redsim forks nothing, but its jobs follow the same rule,
//! which is also what keeps them cheap: the engine has one copy-on-write
//! snapshot, and a second job reading the dataset at the same time would
//! have to copy all of it at once (a stall as long as the copy).

use super::Node;

/// What a running child is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::node) enum Child {
    /// BGSAVE, a save point or a scheduled BGSAVE (Redis's RDB child, disk target).
    Save,
    /// A full sync's snapshot being made for replicas' sockets (also an RDB
    /// child in Redis: INFO shows it as `rdb_bgsave_in_progress`). A sync
    /// to disk is a [`Child::Save`] (a BGSAVE whose file is then sent), and
    /// sending a file already made is no child, as Redis's parent sends it.
    Transfer,
    /// BGREWRITEAOF or an automatic rewrite (Redis's AOF child).
    Rewrite,
}

impl Child {
    /// Redis's `CHILD_TYPE_RDB`: BGSAVE and SAVE are refused while one runs.
    pub(in crate::node) fn is_rdb(self) -> bool {
        matches!(self, Child::Save | Child::Transfer)
    }
}

impl Node {
    /// The background job Redis would have a child for, if one runs.
    /// SAVE, the saves of FLUSHALL, SHUTDOWN and DEBUG RELOAD are no
    /// children: Redis makes them in the foreground.
    pub(in crate::node) fn child(&self) -> Option<Child> {
        if self.persist.background_save_running() {
            Some(Child::Save)
        } else if self.transfer_making_snapshot() {
            Some(Child::Transfer)
        } else if self.persist.rewrite_running() {
            Some(Child::Rewrite)
        } else {
            None
        }
    }
}
