//! Redis's glob-style pattern matching (`stringmatchlen`), used by KEYS, SCAN
//! MATCH, PSUBSCRIBE, CONFIG GET and others.
//!
//! The rules, as Redis 7.0.15 applies them:
//! - `*` matches any run of bytes, except that a non-empty pattern never
//!   matches the empty string: `*` and `**` do not match "" (while `a*`
//!   matches "a"). KEYS and SCAN skip matching altogether for the one-byte
//!   pattern `*`, so they do list an empty key: callers must special-case it.
//! - `?` matches one byte; `\x` matches `x` literally (a lone trailing `\` is
//!   itself).
//! - `[...]` matches one byte from a class: `^` first negates; `\x` inside is
//!   `x` compared case-sensitively even in nocase mode; `a-z` is a range
//!   (reversed bounds are swapped; bounds compare as C's signed `char`, so a
//!   byte >= 0x80 sorts below 0; nocase lowers the bounds, so `[A-z]` then
//!   misses the punctuation between `Z` and `a`); `]` right after `[` closes
//!   an empty class; an unclosed class ends with the pattern (`[` alone
//!   matches nothing, `[^` any byte).
//! - nocase folds ASCII letters only.
//! - Redis recurses once per star and gives up (no match) when a match
//!   attempt reaches the 1001st group of stars, unless that group ends the
//!   pattern. This is reproduced, but without recursion.
//!
//! Redis's recursion with its "skip longer matches" cut-off only ever resumes
//! the most recent star, so the matcher below is the classic loop that
//! remembers the last star and where it was tried: constant memory, O(n * m)
//! time at worst.

/// Depth at which Redis's matcher stops recursing (CVE-2022-36021 fix).
const MAX_STAR_NESTING: usize = 1000;

/// Whether `s` matches `pattern` with Redis 7.0.15's `stringmatchlen` rules.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let mut p = 0;
    let mut i = 0;
    // The last star: the pattern index after it and the string index at which
    // the rest of the pattern is being tried.
    let mut resume: Option<(usize, usize)> = None;
    let mut stars = 0;
    loop {
        if matches!(run(pattern, s, &mut p, &mut i, nocase, &mut stars, &mut resume), Step::Match) {
            return true;
        }
        if stars > MAX_STAR_NESTING {
            return false;
        }
        // The attempt failed without reaching a further star: let the last
        // star swallow one more byte. Its rest is only tried while at least one
        // byte is left for it.
        match resume {
            Some((rest, at)) if at + 1 < s.len() => {
                resume = Some((rest, at + 1));
                p = rest;
                i = at + 1;
            }
            _ => return false,
        }
    }
}

enum Step {
    Match,
    Fail,
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// Matches from `(p, i)` until the pattern or the string is used up, or a
/// mismatch. A star records itself in `resume` and carries on with the rest.
fn run(
    pat: &[u8],
    s: &[u8],
    p: &mut usize,
    i: &mut usize,
    nocase: bool,
    stars: &mut usize,
    resume: &mut Option<(usize, usize)>,
) -> Step {
    while *p < pat.len() && *i < s.len() {
        match pat[*p] {
            b'*' => {
                while pat.get(*p + 1) == Some(&b'*') {
                    *p += 1;
                }
                if *p + 1 == pat.len() {
                    return Step::Match;
                }
                *stars += 1;
                if *stars > MAX_STAR_NESTING {
                    return Step::Fail;
                }
                *p += 1;
                *resume = Some((*p, *i));
                continue;
            }
            b'?' => *i += 1,
            b'[' => {
                let (matched, end) = class(pat, *p + 1, s[*i], nocase);
                if !matched {
                    return Step::Fail;
                }
                *i += 1;
                *p = end;
            }
            c => {
                let lit = if c == b'\\' && *p + 1 < pat.len() {
                    *p += 1;
                    pat[*p]
                } else {
                    c
                };
                if fold(lit, nocase) != fold(s[*i], nocase) {
                    return Step::Fail;
                }
                *i += 1;
            }
        }
        *p += 1;
        if *i == s.len() {
            while pat.get(*p) == Some(&b'*') {
                *p += 1;
            }
            break;
        }
    }
    if *p == pat.len() && *i == s.len() {
        Step::Match
    } else {
        Step::Fail
    }
}

/// Matches byte `c` against the class starting at `q` (just after '['). Returns
/// whether it matched and the index of the class's last byte (its ']', or the
/// pattern's last byte when unclosed).
fn class(pat: &[u8], mut q: usize, c: u8, nocase: bool) -> (bool, usize) {
    let negate = pat.get(q) == Some(&b'^');
    if negate {
        q += 1;
    }
    let mut matched = false;
    loop {
        if q >= pat.len() {
            q = pat.len() - 1;
            break;
        }
        let b = pat[q];
        if b == b'\\' && q + 1 < pat.len() {
            q += 1;
            matched |= pat[q] == c;
        } else if b == b']' {
            break;
        } else if q + 2 < pat.len() && pat[q + 1] == b'-' {
            // C compares `char`s, signed on x86: 0x80..=0xff are negative.
            let (mut lo, mut hi) = (pat[q] as i8 as i32, pat[q + 2] as i8 as i32);
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            let mut x = c as i8 as i32;
            if nocase {
                let lower = |v: i32| {
                    if (b'A' as i32..=b'Z' as i32).contains(&v) {
                        v + 32
                    } else {
                        v
                    }
                };
                lo = lower(lo);
                hi = lower(hi);
                x = lower(x);
            }
            matched |= lo <= x && x <= hi;
            q += 2;
        } else {
            matched |= fold(b, nocase) == fold(c, nocase);
        }
        q += 1;
    }
    (matched != negate, q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A direct transcription of the recursive semantics (one call per star
    /// position, depth limit, no shortcuts except the depth limit's effect on
    /// the whole match), to check the loop above against.
    fn reference(pat: &[u8], s: &[u8], nocase: bool) -> bool {
        let mut gave_up = false;
        let r = rec(pat, s, nocase, 0, &mut gave_up);
        r && !gave_up
    }

    fn rec(mut pat: &[u8], mut s: &[u8], nocase: bool, depth: usize, gave_up: &mut bool) -> bool {
        if depth > MAX_STAR_NESTING {
            *gave_up = true;
            return false;
        }
        while !pat.is_empty() && !s.is_empty() {
            match pat[0] {
                b'*' => {
                    while pat.len() > 1 && pat[1] == b'*' {
                        pat = &pat[1..];
                    }
                    if pat.len() == 1 {
                        return true;
                    }
                    for start in 0..s.len() {
                        if rec(&pat[1..], &s[start..], nocase, depth + 1, gave_up) {
                            return true;
                        }
                        if *gave_up {
                            return false;
                        }
                    }
                    return false;
                }
                b'?' => s = &s[1..],
                b'[' => {
                    let mut k = 1;
                    let neg = pat.get(1) == Some(&b'^');
                    if neg {
                        k += 1;
                    }
                    let mut hit = false;
                    loop {
                        if k >= pat.len() {
                            k = pat.len() - 1;
                            break;
                        }
                        if pat[k] == b'\\' && k + 1 < pat.len() {
                            k += 1;
                            hit |= pat[k] == s[0];
                        } else if pat[k] == b']' {
                            break;
                        } else if k + 2 < pat.len() && pat[k + 1] == b'-' {
                            let a = pat[k] as i8 as i32;
                            let b = pat[k + 2] as i8 as i32;
                            let (lo, hi) = (a.min(b), a.max(b));
                            let low = |v: i32| {
                                if nocase && (65..=90).contains(&v) {
                                    v + 32
                                } else {
                                    v
                                }
                            };
                            let x = low(s[0] as i8 as i32);
                            hit |= low(lo) <= x && x <= low(hi);
                            k += 2;
                        } else {
                            hit |= fold(pat[k], nocase) == fold(s[0], nocase);
                        }
                        k += 1;
                    }
                    if hit == neg {
                        return false;
                    }
                    s = &s[1..];
                    pat = &pat[k..];
                }
                c => {
                    let mut lit = c;
                    if c == b'\\' && pat.len() >= 2 {
                        pat = &pat[1..];
                        lit = pat[0];
                    }
                    if fold(lit, nocase) != fold(s[0], nocase) {
                        return false;
                    }
                    s = &s[1..];
                }
            }
            pat = &pat[1..];
            if s.is_empty() {
                while pat.first() == Some(&b'*') {
                    pat = &pat[1..];
                }
                break;
            }
        }
        pat.is_empty() && s.is_empty()
    }

    #[test]
    fn basics() {
        let yes = |p: &str, s: &str| assert!(glob_match(p.as_bytes(), s.as_bytes(), false), "{p} ~ {s}");
        let no = |p: &str, s: &str| assert!(!glob_match(p.as_bytes(), s.as_bytes(), false), "{p} !~ {s}");
        yes("", "");
        no("*", "");
        no("**", "");
        yes("a*", "a");
        yes("*", "abc");
        yes("h?llo", "hello");
        yes("h[ae]llo", "hallo");
        no("h[^e]llo", "hello");
        yes("h[a-b]llo", "hbllo");
        yes("h[z-a]llo", "hqllo");
        yes("\\*", "*");
        no("\\*", "a");
        yes("a\\", "a\\");
        no("[", "");
        no("[", "a");
        yes("[^", "x");
        yes("[a", "a");
        yes("[a-", "-");
        yes("[a-]", "]");
        no("[]", "]");
        no("[]]", "]");
        yes("[\\]]", "]");
        yes("*a*b", "xxaxxb");
        no("*a*b", "xxaxxa");
        assert!(glob_match(b"HeLLo", b"hello", true));
        assert!(glob_match(b"[A-Z]", b"q", true));
        assert!(!glob_match(b"[\\A]", b"a", true));
        assert!(glob_match(b"\\A", b"a", true));
    }

    #[test]
    fn quirks_seen_in_redis_7_0_15() {
        // KEYS "[a-\xe9]": bounds are signed chars, so the range is -23..=97.
        let range = b"[a-\xe9]";
        for k in [&b"_"[..], b"\xe9", b"\xff", b"0", b"a"] {
            assert!(glob_match(range, k, false), "{k:?}");
        }
        assert!(!glob_match(range, b"b", false));
        assert!(!glob_match(range, b"", false));
        // CONFIG GET "bio[A-z]*" finds nothing: nocase lowers the bounds to
        // a..z, which leaves out '_' (between 'Z' and 'a').
        assert!(!glob_match(b"bio[A-z]*", b"bio_cpulist", true));
        assert!(glob_match(b"bio[A-z]*", b"bio_cpulist", false));
        assert!(glob_match(b"BIO[_]*", b"bio_cpulist", true));
        // KEYS "[^" matches any one-byte key; "[" matches none.
        assert!(glob_match(b"[^", b"\xff", false));
        assert!(!glob_match(b"[", b"[", false));
    }

    #[test]
    fn star_nesting_limit() {
        // 1000 star groups plus a final one that ends the pattern: matches.
        let ok = format!("{}*", "a*".repeat(1000));
        let s = "a".repeat(1001);
        assert!(glob_match(ok.as_bytes(), s.as_bytes(), false));
        // A 1001st group followed by more pattern: Redis gives up.
        let too_deep = format!("{}a", "*a".repeat(1001));
        assert!(!glob_match(too_deep.as_bytes(), "a".repeat(2000).as_bytes(), false));
        let just_fits = format!("{}a", "*a".repeat(1000));
        assert!(glob_match(just_fits.as_bytes(), "a".repeat(2000).as_bytes(), false));
        assert!(!reference(too_deep.as_bytes(), "a".repeat(2000).as_bytes(), false));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let pat = format!("{}b", "*a".repeat(30));
        let s = "a".repeat(5000);
        assert!(!glob_match(pat.as_bytes(), s.as_bytes(), false));
    }

    fn pattern_strategy() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b'a'),
                Just(b'b'),
                Just(b'A'),
                Just(b'*'),
                Just(b'?'),
                Just(b'['),
                Just(b']'),
                Just(b'^'),
                Just(b'-'),
                Just(b'\\'),
                Just(0xe9u8),
                Just(b'z'),
            ],
            0..10,
        )
    }

    fn string_strategy() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b'a'),
                Just(b'b'),
                Just(b'A'),
                Just(b'-'),
                Just(b']'),
                Just(b'\\'),
                Just(0xe9u8),
                Just(b'*')
            ],
            0..8,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20000))]
        #[test]
        fn loop_equals_recursion(pat in pattern_strategy(), s in string_strategy(), nocase in any::<bool>()) {
            prop_assert_eq!(glob_match(&pat, &s, nocase), reference(&pat, &s, nocase));
        }

        #[test]
        fn any_bytes_agree_too(
            pat in proptest::collection::vec(any::<u8>(), 0..12),
            s in proptest::collection::vec(any::<u8>(), 0..12),
            nocase in any::<bool>(),
        ) {
            prop_assert_eq!(glob_match(&pat, &s, nocase), reference(&pat, &s, nocase));
        }
    }
}
