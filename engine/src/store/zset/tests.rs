//! The native structure against a BTreeMap-based reference, and the
//! encodings against the model's `ZSetValue`.

use std::collections::BTreeMap;

use bytes::Bytes;
use proptest::prelude::*;

use super::range::{span, walk, Bounds};
use super::tree::Tree;
use super::value::{Limits, ZSetObj};

/// One step on both the structure and the reference.
#[derive(Clone, Debug)]
enum Step {
    Put(u8, i8),
    Remove(u8),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        3 => (0u8..120, -4i8..4).prop_map(|(m, s)| Step::Put(m, s)),
        2 => (0u8..120).prop_map(Step::Remove),
    ];
    prop::collection::vec(step, 0..600)
}

/// Members short enough to be stored inline and, for every third one,
/// too long to be.
fn name(m: u8) -> Bytes {
    if m.is_multiple_of(3) {
        Bytes::from(format!("m{m}-a-member-too-long-to-be-inline"))
    } else {
        Bytes::from(format!("m{m}"))
    }
}

/// The reference order: (score, member) pairs in a sorted Vec.
fn reference_order(scores: &BTreeMap<Bytes, f64>) -> Vec<(Bytes, f64)> {
    let mut v: Vec<(Bytes, f64)> = scores.iter().map(|(m, s)| (m.clone(), *s)).collect();
    v.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
    v
}

proptest! {
    #[test]
    fn tree_ranks_and_order_match_a_reference(steps in steps()) {
        let mut tree = Tree::default();
        let mut scores: BTreeMap<Bytes, f64> = BTreeMap::new();
        for step in steps {
            match step {
                Step::Put(m, s) => {
                    let (m, s) = (name(m), s as f64 / 2.0);
                    if let Some(old) = scores.insert(m.clone(), s) {
                        prop_assert!(tree.remove(old, &m));
                    }
                    tree.insert(&m, s);
                    tree.check();
                }
                Step::Remove(m) => {
                    let m = name(m);
                    let present = scores.remove(&m);
                    prop_assert_eq!(tree.remove(present.unwrap_or(0.0), &m), present.is_some());
                    tree.check();
                }
            }
        }
        let order = reference_order(&scores);
        prop_assert_eq!(tree.len(), order.len());
        let walked: Vec<(Bytes, f64)> = tree.iter().map(|(m, s)| (Bytes::copy_from_slice(m), s)).collect();
        prop_assert_eq!(&walked, &order);
        for (i, (m, s)) in order.iter().enumerate() {
            prop_assert_eq!(tree.rank(*s, m), i);
            prop_assert_eq!(tree.at(i).map(|(m, s)| (Bytes::copy_from_slice(m), s)), Some((m.clone(), *s)));
        }
        prop_assert!(tree.at(order.len()).is_none());
        // Walks from every rank, both ways, see the same order.
        let own = |it: &mut dyn Iterator<Item = (&[u8], f64)>| -> Vec<(Bytes, f64)> {
            it.map(|(m, s)| (Bytes::copy_from_slice(m), s)).collect()
        };
        for i in 0..order.len() {
            prop_assert_eq!(own(&mut tree.walk_from(i, false)), order[i..].to_vec());
            let down: Vec<(Bytes, f64)> = order[..=i].iter().rev().cloned().collect();
            prop_assert_eq!(own(&mut tree.walk_from(i, true)), down);
        }
    }

    #[test]
    fn encodings_follow_the_model_rules(steps in steps(), entries in 0u64..40, value in 0u64..4) {
        let limits = Limits { max_entries: entries, max_value: value };
        let mut ours = ZSetObj::default();
        let mut scores: BTreeMap<Bytes, f64> = BTreeMap::new();
        let mut listpack = true;
        for step in steps {
            match step {
                Step::Put(m, s) => {
                    let (m, s) = (name(m), if s == 0 && m % 2 == 0 { -0.0 } else { s as f64 });
                    // The model's rule: a new member that would not fit converts, one way.
                    if !scores.contains_key(&m) && (scores.len() as u64 + 1 > entries || m.len() as u64 > value) {
                        listpack = false;
                    }
                    // A listpack writes a zero score as 0.
                    scores.insert(m.clone(), if listpack && s == 0.0 { 0.0 } else { s });
                    ours.insert(&m, s, limits);
                }
                Step::Remove(m) => {
                    let m = name(m);
                    prop_assert_eq!(ours.remove(&m).map(f64::to_bits), scores.remove(&m).map(f64::to_bits));
                }
            }
            prop_assert_eq!(ours.is_listpack(), listpack);
        }
        let order = reference_order(&scores);
        let walked: Vec<(Bytes, f64)> = ours.iter().map(|(m, s)| (Bytes::copy_from_slice(m), s)).collect();
        prop_assert_eq!(walked.len(), order.len());
        for ((m1, s1), (m2, s2)) in walked.iter().zip(&order) {
            prop_assert_eq!((m1, s1.to_bits()), (m2, s2.to_bits()));
        }
        for (i, (m, _)) in order.iter().enumerate() {
            prop_assert_eq!(ours.rank(m), Some(i));
        }
        let model = ours.to_value();
        prop_assert_eq!(model.encoding_name(), ours.encoding_name());
        prop_assert_eq!(ours.scan(0, 1000), model.scan(0, 1000));
        prop_assert_eq!(ours.scan(0, 3), model.scan(0, 3));
        prop_assert_eq!(ZSetObj::from_value(&model).to_value(), model);
    }
}

#[test]
fn pops_from_both_ends() {
    let limits = Limits { max_entries: 2, max_value: 64 };
    let mut z = ZSetObj::default();
    for (m, s) in [("b", 2.0), ("a", 2.0), ("c", -1.0)] {
        z.insert(m.as_bytes(), s, limits);
    }
    assert_eq!(z.encoding_name(), "skiplist");
    assert_eq!(z.pop(false), Some((Bytes::from_static(b"c"), -1.0)));
    assert_eq!(z.pop(true), Some((Bytes::from_static(b"b"), 2.0)));
    assert_eq!(z.pop(true), Some((Bytes::from_static(b"a"), 2.0)));
    assert_eq!(z.pop(true), None);
}

/// The model's walk, linear (`reference/sorted_sets/ranges.rs`).
fn linear_walk(all: &[(&[u8], f64)], r: &impl Bounds, rev: bool, offset: i64, count: i64) -> Vec<(Vec<u8>, f64)> {
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(count).unwrap_or(usize::MAX);
    let (Some(&(fm, fs)), Some(&(lm, ls))) = (all.first(), all.last()) else { return Vec::new() };
    if r.is_empty() || !r.above_min(lm, ls) || !r.below_max(fm, fs) {
        return Vec::new();
    }
    let own = |v: Vec<(&[u8], f64)>| v.into_iter().map(|(m, s)| (m.to_vec(), s)).collect();
    if rev {
        let Some(i) = all.iter().rposition(|&(m, s)| r.below_max(m, s)) else { return Vec::new() };
        if !r.above_min(all[i].0, all[i].1) {
            return Vec::new();
        }
        own(all[..=i].iter().rev().skip(skip).take(take).take_while(|&&(m, s)| r.above_min(m, s)).copied().collect())
    } else {
        let Some(i) = all.iter().position(|&(m, s)| r.above_min(m, s)) else { return Vec::new() };
        if !r.below_max(all[i].0, all[i].1) {
            return Vec::new();
        }
        own(all[i..].iter().skip(skip).take(take).take_while(|&&(m, s)| r.below_max(m, s)).copied().collect())
    }
}

const SCORE_BOUNDS: &[&str] = &["-inf", "+inf", "0", "(0", "1", "(1", "2", "(-1", "3"];
const LEX_BOUNDS: &[&str] = &["-", "+", "[m1", "(m1", "[m3", "(m3", "[m", "[m9"];

proptest! {
    #[test]
    fn range_walks_match_the_linear_walk(
        members in prop::collection::btree_map(0u8..48, -2i8..3, 0..48),
        removed in prop::collection::vec(0u8..48, 0..24),
        same_score in any::<bool>(),
        bounds in (0usize..9, 0usize..9, 0usize..8, 0usize..8),
        rev in any::<bool>(),
        offset in -1i64..4,
        count in -1i64..4,
    ) {
        use redsim_model::command::sorted_sets::{parse_lex_range, parse_score_range};
        let mut tree_form = ZSetObj::Skiplist(Default::default());
        let limits = Limits { max_entries: 128, max_value: 64 };
        let mut small_form = ZSetObj::default();
        for (m, s) in &members {
            let s = if same_score { 0.0 } else { *s as f64 };
            tree_form.insert(&name(*m), s, limits);
            small_form.insert(&name(*m), s, limits);
        }
        // Removals leave separators naming members that are gone.
        for m in removed {
            prop_assert_eq!(tree_form.remove(&name(m)), small_form.remove(&name(m)));
        }
        let score = parse_score_range(SCORE_BOUNDS[bounds.0].as_bytes(), SCORE_BOUNDS[bounds.1].as_bytes()).unwrap();
        let lex = parse_lex_range(LEX_BOUNDS[bounds.2].as_bytes(), LEX_BOUNDS[bounds.3].as_bytes()).unwrap();
        for z in [&tree_form, &small_form] {
            let all: Vec<(&[u8], f64)> = z.iter().collect();
            let v = z.view();
            let own = |w: Vec<(&[u8], f64)>| w.into_iter().map(|(m, s)| (m.to_vec(), s)).collect::<Vec<_>>();
            prop_assert_eq!(own(walk(&v, &score, rev, offset, count)), linear_walk(&all, &score, rev, offset, count));
            prop_assert_eq!(own(walk(&v, &lex, rev, offset, count)), linear_walk(&all, &lex, rev, offset, count));
            let (a, b) = span(&v, &score);
            prop_assert_eq!(b - a, linear_walk(&all, &score, false, 0, -1).len());
            let (a, b) = span(&v, &lex);
            prop_assert_eq!(b - a, linear_walk(&all, &lex, false, 0, -1).len());
        }
    }
}

/// Rising and falling runs (the right-edge split), then removals of every
/// other entry and of the rest in order, with the invariants checked.
#[test]
fn tree_survives_runs_and_mass_removals() {
    let mut tree = Tree::default();
    let key = |i: u32| Bytes::from(format!("m{i:05}"));
    for i in 0..1500 {
        tree.insert(&key(i), f64::from(i));
    }
    for i in (1500..3000).rev() {
        tree.insert(&key(i), f64::from(i));
    }
    tree.check();
    assert_eq!(tree.len(), 3000);
    for i in (0..3000).step_by(2) {
        assert!(tree.remove(f64::from(i), &key(i)));
    }
    tree.check();
    assert_eq!(tree.rank(1001.0, &key(1001)), 500);
    assert_eq!(tree.at(500).map(|(m, s)| (m.to_vec(), s)), Some((key(1001).to_vec(), 1001.0)));
    for i in (1..3000).step_by(2) {
        assert!(tree.remove(f64::from(i), &key(i)));
        if i % 97 == 0 {
            tree.check();
        }
    }
    tree.check();
    assert_eq!((tree.len(), tree.iter().count()), (0, 0));
    assert!(!tree.remove(1.0, &key(1)));
}

/// Members too long to be stored inline count in the memory estimate by
/// their length: two trees of the same shape differ by exactly that.
#[test]
fn long_members_count_their_bytes_and_give_them_back() {
    let short = |i: u32| format!("m{i:05}").into_bytes();
    let long = |i: u32| format!("m{i:05}-a-member-too-long-to-be-inline").into_bytes();
    let (mut a, mut b) = (Tree::default(), Tree::default());
    for i in 0..1000 {
        a.insert(&short(i), f64::from(i));
        b.insert(&long(i), f64::from(i));
    }
    let per_long = long(0).len();
    assert_eq!(b.heap_bytes() - a.heap_bytes(), 1000 * per_long);
    for i in (0..1000).step_by(2) {
        assert!(a.remove(f64::from(i), &short(i)));
        assert!(b.remove(f64::from(i), &long(i)));
    }
    a.check();
    b.check();
    assert_eq!(b.heap_bytes() - a.heap_bytes(), 500 * per_long);
    assert_eq!(b.at(0).map(|(m, s)| (m.to_vec(), s)), Some((long(1), 1.0)));
}
