//! The hash encodings against plain collections: the listpack against a
//! `Vec` of pairs in insertion order, the scan-ordered table against a
//! `BTreeMap` keyed by `(scan_hash, key)` (the model's order) and against
//! the model's own `ScanMap` for SCAN steps, and the whole hash against the
//! model's `HashValue` (encodings, conversions, order).

use std::collections::BTreeMap;

use bytes::Bytes;
use proptest::prelude::*;
use redsim_model::reference::scan_map::{scan_hash, ScanMap};
use redsim_model::reference::HashValue;

use super::listpack::Listpack;
use super::table::ScanTable;
use super::value::{HashObj, Limits};

#[derive(Clone, Debug)]
enum Op {
    Set(Vec<u8>, Vec<u8>),
    Remove(Vec<u8>),
}

/// Keys from a small space (so writes collide) or a large one (so tables
/// grow and shrink); values sometimes past 127 bytes (two-byte lengths).
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0u32..8).prop_map(|i| format!("k{i}").into_bytes()),
        (0u32..3000).prop_map(|i| format!("key:{i}").into_bytes()),
        prop::collection::vec(any::<u8>(), 0..4),
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..6),
        1 => (100usize..300).prop_map(|n| vec![b'v'; n]),
    ]
}

fn ops(max: usize) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => (key(), value()).prop_map(|(k, v)| Op::Set(k, v)),
        1 => key().prop_map(Op::Remove),
    ];
    prop::collection::vec(op, 0..max)
}

/// The model's order: by scan hash, then by key.
type Ordered = BTreeMap<(u64, Vec<u8>), Vec<u8>>;

fn table_matches(t: &ScanTable, want: &Ordered) -> Result<(), TestCaseError> {
    prop_assert_eq!(t.len(), want.len());
    let got: Vec<(Vec<u8>, Vec<u8>)> = t.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
    let expected: Vec<(Vec<u8>, Vec<u8>)> = want.iter().map(|((_, k), v)| (k.clone(), v.clone())).collect();
    prop_assert_eq!(&got, &expected);
    for (i, (k, v)) in expected.iter().enumerate() {
        prop_assert_eq!(t.nth(i), Some((&k[..], &v[..])));
        prop_assert_eq!(t.get(k), Some(&v[..]));
    }
    prop_assert_eq!(t.nth(expected.len()), None);
    Ok(())
}

proptest! {
    #[test]
    fn listpack_is_an_insertion_ordered_map(ops in ops(60)) {
        let mut l = Listpack::default();
        let mut want: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for op in ops {
            match op {
                Op::Set(k, v) => {
                    let new = match want.iter_mut().find(|(f, _)| *f == k) {
                        Some(slot) => {
                            slot.1 = v.clone();
                            false
                        }
                        None => {
                            want.push((k.clone(), v.clone()));
                            true
                        }
                    };
                    prop_assert_eq!(l.set(&k, &v), new);
                }
                Op::Remove(k) => {
                    let at = want.iter().position(|(f, _)| *f == k);
                    if let Some(i) = at {
                        want.remove(i);
                    }
                    prop_assert_eq!(l.remove(&k), at.is_some());
                    prop_assert_eq!(l.get(&k), None);
                }
            }
            prop_assert_eq!(l.len(), want.len());
        }
        let got: Vec<(Vec<u8>, Vec<u8>)> = l.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        prop_assert_eq!(got, want.clone());
        for (k, v) in &want {
            prop_assert_eq!(l.get(k), Some(&v[..]));
        }
    }

    #[test]
    fn table_keeps_the_models_order(ops in ops(400)) {
        let mut t = ScanTable::default();
        let mut want = Ordered::new();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                Op::Set(k, v) => {
                    let new = want.insert((scan_hash(&k), k.clone()), v.clone()).is_none();
                    prop_assert_eq!(t.insert(&k, &v), new);
                }
                Op::Remove(k) => {
                    let was = want.remove(&(scan_hash(&k), k.clone())).is_some();
                    prop_assert_eq!(t.remove(&k), was);
                    prop_assert!(!t.contains(&k));
                }
            }
            if i % 50 == 0 {
                table_matches(&t, &want)?;
            }
        }
        table_matches(&t, &want)?;
    }

    #[test]
    fn table_scan_steps_are_the_models(
        keys in prop::collection::vec(key(), 0..300),
        cursors in prop::collection::vec(any::<u64>(), 1..20),
        count in 1usize..20,
    ) {
        let mut t = ScanTable::default();
        let mut m = ScanMap::new();
        for k in &keys {
            t.insert(k, b"v");
            m.insert(Bytes::copy_from_slice(k), ());
        }
        for cursor in cursors.into_iter().chain([0]) {
            let (next, got) = t.scan(cursor, count);
            let (want_next, want) = m.scan(cursor, count);
            prop_assert_eq!(next, want_next);
            let got: Vec<&[u8]> = got.into_iter().map(|(k, _)| k).collect();
            let want: Vec<&[u8]> = want.iter().map(|k| &k[..]).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn hash_converts_as_the_models(
        ops in ops(200),
        max_entries in prop_oneof![Just(0u64), Just(1), Just(3), Just(128)],
        max_value in prop_oneof![Just(0u64), Just(3), Just(64)],
    ) {
        let limits = Limits { max_entries, max_value };
        let mut h = HashObj::default();
        // The rules of the model's `HashValue`: pairs in insertion order,
        // a listpack until a too-long string or too many pairs, never back.
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut listpack = true;
        for op in ops {
            match op {
                Op::Set(k, v) => {
                    h.convert_for_args([&k[..], &v[..]], limits);
                    let new = match pairs.iter_mut().find(|(f, _)| *f == k) {
                        Some(p) => {
                            p.1 = v.clone();
                            false
                        }
                        None => {
                            pairs.push((k.clone(), v.clone()));
                            true
                        }
                    };
                    let too_long = k.len() as u64 > max_value || v.len() as u64 > max_value;
                    listpack = listpack && !too_long && pairs.len() as u64 <= max_entries;
                    prop_assert_eq!(h.set(&k, &v, limits), new);
                }
                Op::Remove(k) => {
                    let at = pairs.iter().position(|(f, _)| *f == k);
                    if let Some(i) = at {
                        pairs.remove(i);
                    }
                    prop_assert_eq!(h.remove(&k), at.is_some());
                }
            }
            prop_assert_eq!(h.encoding_name(), if listpack { "listpack" } else { "hashtable" });
            prop_assert_eq!(h.len(), pairs.len());
        }
        let mut ordered = pairs.clone();
        if !listpack {
            ordered.sort_by_key(|(k, _)| (scan_hash(k), k.clone()));
        }
        let got: Vec<(Vec<u8>, Vec<u8>)> = h.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        prop_assert_eq!(&got, &ordered);
        let want = HashValue::from_distinct_pairs(
            pairs.into_iter().map(|(k, v)| (Bytes::from(k), Bytes::from(v))).collect(),
            listpack,
        );
        prop_assert_eq!(h.to_value(), want.clone());
        prop_assert_eq!(HashObj::from_value(&want).to_value(), want);
    }
}

#[test]
fn replaced_values_are_compacted_away() {
    let mut t = ScanTable::default();
    for i in 0..100u32 {
        t.insert(format!("f{i}").as_bytes(), b"1");
    }
    // Values of changing lengths leave dead records behind, which a
    // compaction drops: memory stays bounded by the live data.
    for round in 0..200usize {
        for i in 0..100u32 {
            t.insert(format!("f{i}").as_bytes(), &vec![b'x'; 1 + round % 50]);
        }
    }
    assert!(t.heap_bytes() < 64 * 1024, "{} bytes", t.heap_bytes());
    assert_eq!(t.get(b"f7"), Some(&vec![b'x'; 1 + 199 % 50][..]));
}
