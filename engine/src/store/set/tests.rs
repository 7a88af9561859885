//! The set encodings against plain collections: the intset against a
//! `BTreeSet<i64>`, and the whole set against the model's own `SetValue`
//! (encodings, conversions, order, SSCAN steps, random draws).

use std::collections::BTreeSet;

use bytes::Bytes;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use redsim_model::reference::SetValue;

use super::intset::IntSet;
use super::value::{Member, SetObj};

/// Integers of every width, near the width boundaries.
fn int() -> impl Strategy<Value = i64> {
    prop_oneof![
        -20i64..20,
        Just(i16::MAX as i64),
        Just(i16::MIN as i64),
        Just(i16::MAX as i64 + 1),
        Just(i32::MAX as i64),
        Just(i32::MIN as i64 - 1),
        Just(i64::MAX),
        Just(i64::MIN),
        any::<i64>(),
    ]
}

/// Members: mostly canonical integers, sometimes words or integers in a
/// form that `string2ll` refuses.
fn member() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => int().prop_map(|v| v.to_string().into_bytes()),
        1 => (0u32..40).prop_map(|i| format!("m{i}").into_bytes()),
        1 => prop_oneof![Just(b"007".to_vec()), Just(b"+1".to_vec()), Just(b"".to_vec()), Just(b"-0".to_vec())],
        1 => (0u32..2000).prop_map(|i| i.to_string().into_bytes()),
    ]
}

#[derive(Clone, Debug)]
enum Op {
    Add(Vec<u8>),
    Remove(Vec<u8>),
}

fn ops(max: usize) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![3 => member().prop_map(Op::Add), 1 => member().prop_map(Op::Remove)];
    prop::collection::vec(op, 0..max)
}

fn texts(s: &SetObj) -> Vec<Bytes> {
    s.iter().map(Member::to_bytes).collect()
}

proptest! {
    #[test]
    fn intset_is_a_sorted_set(ops in prop::collection::vec((any::<bool>(), int()), 0..200)) {
        let mut s = IntSet::default();
        let mut want = BTreeSet::new();
        for (add, v) in ops {
            if add {
                prop_assert_eq!(s.insert(v), want.insert(v));
            } else {
                prop_assert_eq!(s.remove(v), want.remove(&v));
            }
            prop_assert_eq!(s.contains(v), want.contains(&v));
            prop_assert_eq!(s.len(), want.len());
        }
        prop_assert_eq!(s.iter().collect::<Vec<_>>(), want.iter().copied().collect::<Vec<_>>());
        for (i, v) in want.iter().enumerate() {
            prop_assert_eq!(s.get(i), *v);
        }
    }

    #[test]
    fn set_matches_the_models(
        ops in ops(300),
        max in prop_oneof![Just(0u64), Just(1), Just(3), Just(16), Just(512)],
        cursors in prop::collection::vec(any::<u64>(), 1..5),
        count in 1usize..12,
        seed in any::<u64>(),
    ) {
        let mut s = SetObj::default();
        let mut want = SetValue::new();
        for op in ops {
            match op {
                Op::Add(m) => prop_assert_eq!(s.add(&m, max), want.add(&m, max)),
                Op::Remove(m) => prop_assert_eq!(s.remove(&m), want.remove(&m)),
            }
            prop_assert_eq!(s.encoding_name(), want.encoding_name());
            prop_assert_eq!(s.len(), want.len());
        }
        let members = want.members();
        prop_assert_eq!(texts(&s), members.clone());
        for (i, m) in members.iter().enumerate() {
            prop_assert!(s.contains(m));
            prop_assert_eq!(s.nth(i).map(Member::to_bytes), Some(m.clone()));
        }
        for cursor in cursors.into_iter().chain([0]) {
            let (next, got) = s.scan(cursor, count);
            let got: Vec<Bytes> = got.into_iter().map(Member::to_bytes).collect();
            prop_assert_eq!((next, got), want.scan(cursor, count));
        }
        let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(seed), ChaCha8Rng::seed_from_u64(seed));
        for _ in 0..5 {
            prop_assert_eq!(s.random_member(&mut a).map(Member::to_bytes), want.random_member(&mut b));
        }
        prop_assert_eq!(s.to_value(), want.clone());
        prop_assert_eq!(SetObj::from_value(&want).to_value(), want);
    }
}

#[test]
fn intset_widens_and_never_narrows() {
    let mut s = IntSet::default();
    s.insert(1);
    assert!(s.heap_bytes() >= 2);
    s.insert(-5_000_000_000);
    s.insert(70_000);
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![-5_000_000_000, 1, 70_000]);
    s.remove(-5_000_000_000);
    s.remove(70_000);
    // Still 64-bit: a 64-bit value is found, a removed one is not.
    assert!(!s.contains(70_000));
    assert!(s.insert(i64::MAX));
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, i64::MAX]);
}
