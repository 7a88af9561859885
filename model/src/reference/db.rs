//! One database: keys, their values, and their expire times.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::scan_map::ScanMap;
use super::value::Value;

/// A key's value with the metadata Redis keeps next to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub value: Value,
    /// Unix time in ms after which the key is gone; `None` for persistent keys.
    pub expire_at: Option<i64>,
    /// Redis's 24-bit `lru` field: the LRU clock of the last access, or, under
    /// an LFU policy, the minutes of the last decrement and an access counter.
    pub lru: u32,
}

/// The keys of one database. Expire times live in the entries; `deadlines`
/// indexes them by time so the active expire cycle finds due keys directly.
/// Every change is logged in `touched` until the engine hands it to the node
/// (for WATCH and blocked clients).
#[derive(Clone, Debug, Default)]
pub struct Db {
    entries: ScanMap<Entry>,
    deadlines: BTreeSet<(i64, Bytes)>,
    touched: Vec<Bytes>,
}

impl Db {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of keys with an expire time.
    pub fn expires_len(&self) -> usize {
        self.deadlines.len()
    }

    /// The entry, whether or not its time has passed.
    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// The value to change in place; the key counts as touched.
    pub fn get_mut_value(&mut self, key: &[u8]) -> Option<&mut Value> {
        let e = self.entries.get_mut(key)?;
        self.touched.push(Bytes::copy_from_slice(key));
        Some(&mut e.value)
    }

    /// The value to re-encode in place (a conversion clients cannot see as a
    /// write): the key is not marked touched.
    pub fn get_mut_value_quietly(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.entries.get_mut(key).map(|e| &mut e.value)
    }

    /// Keys changed since the last call, in order.
    pub fn take_touched(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.touched)
    }

    /// Marks as touched the keys of `interest` this database holds, or every
    /// key without one (FLUSHDB replaces the whole database; see
    /// `Context::interest`).
    fn touch_all(&mut self, interest: Option<Vec<Bytes>>) {
        let keys: Vec<Bytes> = match interest {
            Some(keys) => keys.into_iter().filter(|k| self.entries.contains_key(k)).collect(),
            None => self.entries.keys().cloned().collect(),
        };
        self.touched.extend(keys);
    }

    pub fn set_lru(&mut self, key: &[u8], lru: u32) {
        if let Some(e) = self.entries.get_mut(key) {
            e.lru = lru;
        }
    }

    /// Stores an entry, replacing any previous one (and its expire time).
    pub fn insert(&mut self, key: Bytes, entry: Entry) {
        self.remove(&key);
        self.touched.push(key.clone());
        if let Some(t) = entry.expire_at {
            self.deadlines.insert((t, key.clone()));
        }
        self.entries.insert(key, entry);
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let e = self.entries.remove(key)?;
        self.touched.push(Bytes::copy_from_slice(key));
        if let Some(t) = e.expire_at {
            self.deadlines.remove(&(t, Bytes::copy_from_slice(key)));
        }
        Some(e)
    }

    /// Sets or clears a key's expire time; false if the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at: Option<i64>) -> bool {
        let Some(e) = self.entries.get_mut(key) else { return false };
        let k = Bytes::copy_from_slice(key);
        self.touched.push(k.clone());
        if let Some(old) = e.expire_at {
            self.deadlines.remove(&(old, k.clone()));
        }
        e.expire_at = at;
        if let Some(t) = at {
            self.deadlines.insert((t, k));
        }
        true
    }

    pub fn clear(&mut self, interest: Option<Vec<Bytes>>) {
        self.touch_all(interest);
        self.entries.clear();
        self.deadlines.clear();
    }

    /// Keys in scan order.
    pub fn keys(&self) -> impl Iterator<Item = &Bytes> {
        self.entries.keys()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Entry)> {
        self.entries.iter()
    }

    pub fn entries(&self) -> &ScanMap<Entry> {
        &self.entries
    }

    /// Keys whose expire time is before `now_ms` (strictly: a key expiring at
    /// `now_ms` is still alive, as in Redis), earliest first.
    pub fn due_keys(&self, now_ms: i64, max: usize) -> Vec<Bytes> {
        self.deadlines.iter().take_while(|(t, _)| *t < now_ms).take(max).map(|(_, k)| k.clone()).collect()
    }

    /// Expire times of all volatile keys, for INFO's avg_ttl.
    pub fn deadlines(&self) -> impl Iterator<Item = i64> + '_ {
        self.deadlines.iter().map(|(t, _)| *t)
    }
}
