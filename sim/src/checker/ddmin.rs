//! Delta debugging: the smallest list of things that still shows a problem.
//!
//! Used twice: shrinking a violated partition to the operations that matter
//! (`shrink`), and shrinking a failing run's fault plan (`crate::minimize`).
//! Zeller's ddmin, complement side only: take out halves, then quarters, ...
//! then single items, keeping every removal after which the problem remains,
//! until no single item can go.

/// Removes items from `items` while `still_fails` holds for what is left,
/// and returns what is left: 1-minimal when `still_fails` is exact (no single
/// remaining item can go). `still_fails` is never asked about the list as
/// given; it may be asked about an empty one.
pub fn ddmin<T: Clone>(mut items: Vec<T>, mut still_fails: impl FnMut(&[T]) -> bool) -> Vec<T> {
    let mut chunk = items.len().div_ceil(2).max(1);
    while !items.is_empty() {
        let mut removed_any = false;
        let mut start = 0;
        while start < items.len() {
            let end = (start + chunk).min(items.len());
            let mut candidate = items.clone();
            candidate.drain(start..end);
            if still_fails(&candidate) {
                items = candidate;
                removed_any = true;
            } else {
                start = end;
            }
        }
        if chunk == 1 && !removed_any {
            break;
        }
        if !removed_any {
            chunk = chunk.div_ceil(2);
        }
        chunk = chunk.min(items.len().div_ceil(2)).max(1);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_items_that_matter() {
        let mut asked = 0;
        let kept = ddmin((0..40).collect(), |left: &[u32]| {
            asked += 1;
            left.contains(&3) && left.contains(&31)
        });
        assert_eq!(kept, vec![3, 31]);
        assert!(asked < 40, "chunks first, not one item at a time: {asked} questions");
    }

    #[test]
    fn result_is_one_minimal() {
        // Fails while at least three even numbers are left.
        let fails = |left: &[u32]| left.iter().filter(|&&x| x % 2 == 0).count() >= 3;
        let kept = ddmin((0..25).collect(), fails);
        assert_eq!(kept.len(), 3);
        for i in 0..kept.len() {
            let mut less = kept.clone();
            less.remove(i);
            assert!(!fails(&less));
        }
    }

    #[test]
    fn everything_may_go_or_nothing() {
        assert_eq!(ddmin(vec![1, 2, 3], |_: &[i32]| true), Vec::<i32>::new());
        assert_eq!(ddmin(vec![1, 2, 3], |_: &[i32]| false), vec![1, 2, 3]);
        assert_eq!(ddmin(Vec::<i32>::new(), |_: &[i32]| unreachable!()), Vec::<i32>::new());
    }
}
