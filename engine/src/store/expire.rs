//! Active expiry: the bounded cycle the node runs `hz` times a second.

use redsim_model::reference::shared::MAX_KEYS_PER_CYCLE;
use redsim_model::Context;

use super::Engine;

impl Engine {
    /// Deletes up to [`MAX_KEYS_PER_CYCLE`] due keys per database, earliest
    /// first, propagating a DEL for each, as the model does. The expire
    /// index is ordered by deadline, so the work is proportional to the keys
    /// deleted, never to the keys with a TTL.
    pub(super) fn expire_due_keys(&mut self, cx: &mut Context<'_>) {
        if !cx.config.is_master || cx.config.replaying {
            return;
        }
        for db in 0..self.dbs.len() {
            for key in self.dbs[db].due_keys(cx.now_ms, MAX_KEYS_PER_CYCLE) {
                self.delete_expired(cx, db, &key);
            }
        }
    }
}
