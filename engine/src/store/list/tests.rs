//! The quicklist against a `VecDeque` of byte strings: random edits at the
//! ends, inside nodes and at node boundaries, under node limits small enough
//! that a handful of elements splits and merges nodes.

use std::collections::VecDeque;

use proptest::prelude::*;
use redsim_model::command::lists::End;

use super::quicklist::QuickList;

/// Elements: small integers, wide integers, non-canonical numbers, short
/// and long strings (a 300-byte one exceeds the smallest byte-limited node).
fn element(pick: u16) -> Vec<u8> {
    match pick % 12 {
        0 => b"0".to_vec(),
        1 => b"7".to_vec(),
        2 => b"-129".to_vec(),
        3 => b"9223372036854775807".to_vec(),
        4 => b"007".to_vec(),
        5 => b"".to_vec(),
        6 => b"a".to_vec(),
        7 => b"bb".to_vec(),
        8 => vec![b'x'; 70],
        9 => vec![b'y'; 300],
        10 => format!("e{}", pick / 12).into_bytes(),
        _ => b"a".to_vec(),
    }
}

#[derive(Clone, Debug)]
enum Edit {
    Push(End, u16),
    Pop(End, u16),
    Insert(u16, u16),
    Set(u16, u16),
    Trim(u16, u16),
    Remove(u16, i8),
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::Head), Just(End::Tail)]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (end(), any::<u16>()).prop_map(|(e, x)| Edit::Push(e, x)),
        2 => (end(), 0u16..6).prop_map(|(e, n)| Edit::Pop(e, n)),
        3 => (any::<u16>(), any::<u16>()).prop_map(|(i, x)| Edit::Insert(i, x)),
        2 => (any::<u16>(), any::<u16>()).prop_map(|(i, x)| Edit::Set(i, x)),
        1 => (0u16..4, 0u16..4).prop_map(|(h, t)| Edit::Trim(h, t)),
        2 => (any::<u16>(), -3i8..4).prop_map(|(x, c)| Edit::Remove(x, c)),
    ]
}

fn apply(l: &mut QuickList, r: &mut VecDeque<Vec<u8>>, edit: &Edit) {
    match *edit {
        Edit::Push(end, x) => {
            let e = element(x);
            l.push(end, &e);
            match end {
                End::Head => r.push_front(e),
                End::Tail => r.push_back(e),
            }
        }
        Edit::Pop(end, n) => {
            let got: Vec<Vec<u8>> = if n == 1 {
                l.pop(end).into_iter().map(|b| b.to_vec()).collect()
            } else {
                l.pop_many(end, n as usize).map(|b| b.to_vec())
            };
            let want: Vec<Vec<u8>> = (0..n)
                .map_while(|_| match end {
                    End::Head => r.pop_front(),
                    End::Tail => r.pop_back(),
                })
                .collect();
            assert_eq!(got, want);
        }
        Edit::Insert(i, x) => {
            let i = i as usize % (r.len() + 1);
            let e = element(x);
            l.insert(i, &e);
            r.insert(i, e);
        }
        Edit::Set(i, x) if !r.is_empty() => {
            let i = i as usize % r.len();
            let e = element(x);
            l.set(i, &e);
            r[i] = e;
        }
        Edit::Set(..) => {}
        Edit::Trim(head, tail) => {
            l.trim(head as usize, tail as usize);
            let head = (head as usize).min(r.len());
            r.drain(..head);
            let keep = r.len().saturating_sub(tail as usize);
            r.truncate(keep);
        }
        Edit::Remove(x, count) => {
            let e = element(x);
            let (from, limit) = match count {
                0 => (End::Head, None),
                c if c < 0 => (End::Tail, Some(c.unsigned_abs() as u64)),
                c => (End::Head, Some(c as u64)),
            };
            let removed = l.remove_matching(&e, from, limit);
            // The reference: mark the matches to remove in scan order.
            let mut idx: Vec<usize> = (0..r.len()).filter(|&i| r[i] == e).collect();
            if from == End::Tail {
                idx.reverse();
            }
            idx.truncate(limit.map_or(usize::MAX, |l| l as usize));
            idx.sort_unstable();
            for &i in idx.iter().rev() {
                r.remove(i);
            }
            assert_eq!(removed as usize, idx.len());
        }
    }
}

fn same(l: &QuickList, r: &VecDeque<Vec<u8>>) {
    l.check();
    assert_eq!(l.len(), r.len());
    let mut text = [0u8; 20];
    let forward: Vec<Vec<u8>> = l.iter().map(|e| e.text(&mut text).to_vec()).collect();
    assert_eq!(forward, r.iter().cloned().collect::<Vec<_>>());
    let backward: Vec<Vec<u8>> = l.iter().rev().map(|e| e.text(&mut text).to_vec()).collect();
    assert_eq!(backward, r.iter().rev().cloned().collect::<Vec<_>>());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn matches_a_deque(
        fill in prop_oneof![Just(1i64), Just(2), Just(3), Just(5), Just(-1), Just(-2), Just(0), Just(-9)],
        edits in prop::collection::vec(edit(), 1..200),
    ) {
        let mut l = QuickList::new(fill);
        let mut r = VecDeque::new();
        for e in &edits {
            apply(&mut l, &mut r, e);
            same(&l, &r);
        }
        // Reads by position, from anywhere.
        for i in 0..r.len() {
            prop_assert_eq!(l.get(i).map(|b| b.to_vec()), Some(r[i].clone()));
            let rest: Vec<Vec<u8>> = l.range(i, r.len() - 1).map(|b| b.to_vec());
            prop_assert_eq!(rest, r.range(i..).cloned().collect::<Vec<_>>());
        }
        prop_assert_eq!(l.get(r.len()), None);
        for x in 0..12u16 {
            let e = element(x);
            prop_assert_eq!(l.position(&e), r.iter().position(|y| *y == e));
        }
    }
}

/// Count-limited nodes of three: every edit at a node boundary.
#[test]
fn splits_and_merges_at_node_boundaries() {
    let mut l = QuickList::new(3);
    let mut r = VecDeque::new();
    for i in 0..9u16 {
        apply(&mut l, &mut r, &Edit::Push(End::Tail, 10 + 12 * i));
    }
    assert_eq!(l.node_counts(), [3, 3, 3]);
    // Before the first entry of the second node: the first node is full, so
    // the second takes it and splits.
    apply(&mut l, &mut r, &Edit::Insert(3, 10 + 12 * 100));
    same(&l, &r);
    assert_eq!(l.node_counts(), [3, 2, 2, 3]);
    // Before the first entry of a node whose predecessor has room.
    apply(&mut l, &mut r, &Edit::Insert(5, 10 + 12 * 101));
    same(&l, &r);
    assert_eq!(l.node_counts(), [3, 3, 2, 3]);
    // Removing elements empties and merges nodes.
    for i in [0u16, 1, 2, 100, 101] {
        apply(&mut l, &mut r, &Edit::Remove(10 + 12 * i, 0));
        same(&l, &r);
    }
    assert_eq!(l.len(), 6);
    apply(&mut l, &mut r, &Edit::Trim(1, 1));
    same(&l, &r);
}

/// A long list with the default limit: pushes at both ends, seeks anywhere.
#[test]
fn long_lists_seek_by_node_counts() {
    let mut l = QuickList::new(-2);
    let mut r = VecDeque::new();
    for i in 0..50_000u32 {
        let e = format!("element:{i}").into_bytes();
        if i % 3 == 0 {
            l.push(End::Head, &e);
            r.push_front(e);
        } else {
            l.push(End::Tail, &e);
            r.push_back(e);
        }
    }
    l.check();
    assert!(l.node_counts().len() > 50);
    for i in (0..r.len()).step_by(997) {
        assert_eq!(l.get(i).unwrap(), r[i]);
    }
    l.insert(25_000, b"middle");
    r.insert(25_000, b"middle".to_vec());
    l.set(30_000, &[b'z'; 5000]);
    r[30_000] = vec![b'z'; 5000];
    same(&l, &r);
    // Memory: a few bytes over the element itself.
    let per_element = l.heap_bytes() as f64 / l.len() as f64;
    assert!(per_element < 20.0, "{per_element} bytes per element");
}

/// An element bigger than any node sits in a node of its own.
#[test]
fn huge_elements_get_their_own_node() {
    let mut l = QuickList::new(-1);
    for _ in 0..3 {
        l.push(End::Tail, b"a");
    }
    l.insert(1, &vec![b'h'; 10_000]);
    l.check();
    assert_eq!(l.node_counts(), [1, 1, 2]);
    assert_eq!(l.get(1).unwrap().len(), 10_000);
}
