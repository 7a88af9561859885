//! The dataset as plain data: what persistence (RDB, AOF rewrite), full
//! resynchronisation and DEBUG RELOAD move between an engine and bytes.
//!
//! Both engines convert to and from this form, so the RDB codec is written
//! once, against the reference engine's value types.

use bytes::Bytes;

use crate::reference::Value;

/// One key with its value, expire time and access data.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub key: Bytes,
    pub value: Value,
    /// Unix time in ms; `None` for a persistent key.
    pub expire_at: Option<i64>,
    /// Redis's 24-bit `lru` field (LRU clock or LFU data), as OBJECT reports it.
    pub lru: u32,
}

/// Every database's records, database 0 first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    pub dbs: Vec<Vec<Record>>,
}

impl Dataset {
    /// An empty dataset with `databases` databases.
    pub fn empty(databases: usize) -> Dataset {
        Dataset { dbs: vec![Vec::new(); databases] }
    }

    /// Number of keys in all databases.
    pub fn len(&self) -> usize {
        self.dbs.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
