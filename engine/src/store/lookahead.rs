//! A pipeline's next commands, announced before they run
//! ([`redsim_model::Engine::prefetch`]): the loads each will make are started
//! for all of them together, so that their cache misses overlap instead of
//! coming one after another, command after command.
//!
//! Each command's loads form a chain, every address read from the previous
//! load: the key's bucket, its entry, the value's header behind its box,
//! then what the header points to (a list's end nodes, a small hash's
//! bytes, a member's slot in a table), and so on. Chains cannot be
//! shortened, but they can be walked side by side: a step starts one load
//! of every chain, and by the time the last chain's load is started the
//! first one's has had time to arrive. Each step reads what the one
//! before it loaded, so a hint costs about one wait per step, not one per
//! command and step.

use redsim_model::reference::scan_map::scan_hash;
use redsim_model::Upcoming;

use super::db::{Db, PREFETCH_KEYS};
use super::hasher::hash_key;
use super::object::{Obj, VALUE_STEPS};

/// The member or field an upcoming command names, hashed when a step first
/// needs it (only tables do).
pub struct MemberHint<'a> {
    bytes: Option<&'a [u8]>,
    hash: Option<u64>,
}

impl MemberHint<'_> {
    /// The hash the member tables probe with.
    pub fn hash(&mut self) -> Option<u64> {
        if self.hash.is_none() {
            self.hash = self.bytes.map(scan_hash);
        }
        self.hash
    }
}

/// The argument of `u` that names a member or field: the one after the key
/// for nearly every command on a collection (SADD, HSET, ZSCORE...); ZADD
/// and ZINCRBY put a number first. A wrong guess (ZADD with flags, a
/// command with no member at all) only loads a line for nothing.
fn member_of<'a>(u: &Upcoming<'a>) -> Option<&'a [u8]> {
    let score_first = u.name.eq_ignore_ascii_case(b"zadd") || u.name.eq_ignore_ascii_case(b"zincrby");
    u.after[usize::from(score_first)]
}

impl Db {
    /// Starts the loads of the commands `upcoming` (at most
    /// [`PREFETCH_KEYS`] of them): the keys' entries ([`Db::prefetch`]),
    /// then their values step by step ([`Obj::prefetch_step`]).
    ///
    /// A pipeline on one key (LPUSH mylist ..., SADD myset ...) names it
    /// over and over: its entry and value are followed once per run of
    /// repeats, except into the member tables, where each member has a
    /// chain of its own. Returns whether the hint could help: more than one
    /// key, or members of a table to look up; for one key and no table the
    /// first command brings everything in.
    pub fn prefetch_upcoming(&self, upcoming: &[Upcoming<'_>]) -> bool {
        let upcoming = &upcoming[..upcoming.len().min(PREFETCH_KEYS)];
        // Each key once per run of repeats, hashed once.
        let mut hashes = [0u64; PREFETCH_KEYS];
        let mut n = 0;
        for (i, u) in upcoming.iter().enumerate() {
            if i == 0 || upcoming[i - 1].key != u.key {
                hashes[n] = hash_key(u.key);
                n += 1;
            }
        }
        self.prefetch_hashed(&hashes[..n]);
        // The entries are on their way (or here): find the values.
        let mut chains: [Option<(&Obj, MemberHint<'_>)>; PREFETCH_KEYS] = Default::default();
        let mut run_hashes = hashes[..n].iter();
        let mut last: Option<(&[u8], Option<&Obj>)> = None;
        for (chain, u) in chains.iter_mut().zip(upcoming) {
            let obj = match last {
                Some((key, obj)) if key == u.key => match obj {
                    Some(obj) if obj.has_member_table() => obj,
                    _ => continue,
                },
                _ => {
                    // A new run of `u.key`: the next of the hashes.
                    let hash = run_hashes.next().copied().unwrap_or_else(|| hash_key(u.key));
                    let obj = self.peek_hashed(hash, u.key).map(|link| &self.node(link).obj);
                    last = Some((u.key, obj));
                    let Some(obj) = obj else { continue };
                    obj
                }
            };
            *chain = Some((obj, MemberHint { bytes: member_of(u), hash: None }));
        }
        for step in 0..VALUE_STEPS {
            for (obj, member) in chains.iter_mut().flatten() {
                obj.prefetch_step(step, member);
            }
        }
        n > 1 || chains.iter().flatten().any(|(obj, member)| member.bytes.is_some() && obj.has_member_table())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upcoming<'a>(words: &[&'a str]) -> Upcoming<'a> {
        let arg = |i: usize| words.get(i).map(|w| w.as_bytes());
        Upcoming { name: words[0].as_bytes(), key: words[1].as_bytes(), after: [arg(2), arg(3)] }
    }

    #[test]
    fn the_member_is_the_argument_after_the_key_or_after_the_score() {
        let member = |words: &[&'static str]| member_of(&upcoming(words)).map(|m| std::str::from_utf8(m).unwrap());
        assert_eq!(member(&["SADD", "s", "m"]), Some("m"));
        assert_eq!(member(&["HSET", "h", "f", "v"]), Some("f"));
        assert_eq!(member(&["ZSCORE", "z", "m"]), Some("m"));
        assert_eq!(member(&["ZADD", "z", "1", "m"]), Some("m"));
        assert_eq!(member(&["zincrby", "z", "1", "m"]), Some("m"));
        assert_eq!(member(&["ZAdd", "z", "1"]), None);
        assert_eq!(member(&["GET", "k"]), None);
    }

    /// Hints help when they name more than one key, or members to look up
    /// in a table; one key and nothing else is in the cache after the first
    /// command.
    #[test]
    fn a_hint_says_whether_hints_like_it_can_help() {
        use crate::store::set::{Member, SetObj};
        let mut db = Db::default();
        let list = crate::store::list::QuickList::from_elements(-2, [&b"x"[..]]);
        db.insert_quietly(b"list", Obj::List(Box::new(list)), None, 0);
        let table = SetObj::from_members((0..1000).map(Member::Int), 0);
        db.insert_quietly(b"bigset", Obj::Set(Box::new(table)), None, 0);
        let small = SetObj::from_members((0..3).map(Member::Int), 512);
        db.insert_quietly(b"intset", Obj::Set(Box::new(small)), None, 0);
        let helps = |pipeline: &[&[&'static str]]| {
            let upcoming: Vec<Upcoming<'_>> = pipeline.iter().map(|w| upcoming(w)).collect();
            db.prefetch_upcoming(&upcoming)
        };
        assert!(!helps(&[&["LPUSH", "list", "a"], &["LPUSH", "list", "b"]]));
        assert!(helps(&[&["LPUSH", "list", "a"], &["LPUSH", "other", "b"]]));
        assert!(helps(&[&["SADD", "bigset", "1"], &["SADD", "bigset", "2"]]));
        assert!(!helps(&[&["SCARD", "bigset"], &["SCARD", "bigset"]]));
        assert!(!helps(&[&["SADD", "intset", "1"], &["SADD", "intset", "2"]]));
        assert!(!helps(&[&["SADD", "missing", "1"], &["SADD", "missing", "2"]]));
    }

    #[test]
    fn a_member_is_hashed_as_the_tables_hash_it_and_once() {
        let mut m = MemberHint { bytes: Some(b"m1"), hash: None };
        assert_eq!(m.hash(), Some(scan_hash(b"m1")));
        assert_eq!(m.hash, Some(scan_hash(b"m1")));
        assert_eq!(MemberHint { bytes: None, hash: None }.hash(), None);
    }
}
