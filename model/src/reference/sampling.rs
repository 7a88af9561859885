//! Random picks with a count, shared by HRANDFIELD, SRANDMEMBER and ZRANDMEMBER.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Positions of `count` elements drawn from `size`, Redis's count rules: a
/// negative count asks for exactly |count| independent draws (repeats
/// allowed); a positive one for distinct elements, all of them (in order) when
/// it is at least `size`, else a random subset in position order (the order a
/// small listpack/intset encoding gives). The result grows as it is drawn;
/// nothing is reserved from the client's number.
pub fn random_indexes(rng: &mut ChaCha8Rng, size: usize, count: i64) -> Vec<usize> {
    if count == 0 || size == 0 {
        return Vec::new();
    }
    if count < 0 || count == 1 {
        let mut picks = Vec::new();
        for _ in 0..count.unsigned_abs() {
            picks.push(rng.gen_range(0..size));
        }
        return picks;
    }
    if count as u64 >= size as u64 {
        return (0..size).collect();
    }
    let mut picks = rand::seq::index::sample(rng, size, count as usize).into_vec();
    picks.sort_unstable();
    picks
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn count_rules() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!(random_indexes(&mut rng, 5, 0).is_empty());
        assert!(random_indexes(&mut rng, 0, -3).is_empty());
        assert_eq!(random_indexes(&mut rng, 3, 10), vec![0, 1, 2]);
        let repeats = random_indexes(&mut rng, 2, -50);
        assert_eq!(repeats.len(), 50);
        assert!(repeats.iter().all(|&i| i < 2));
        let distinct = random_indexes(&mut rng, 100, 10);
        assert_eq!(distinct.len(), 10);
        assert!(distinct.windows(2).all(|w| w[0] < w[1]), "distinct and in order: {distinct:?}");
    }
}
