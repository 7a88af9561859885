//! LCS: the longest common subsequence of two strings, by the textbook
//! dynamic-programming table, walked back from the end as Redis walks it so
//! that IDX reports the same ranges in the same order.

use crate::command::LcsOptions;
use crate::errors::{RedisError, RedisResult};
use crate::resp::Frame;

/// LCS's reply for strings `a` and `b`: the subsequence, its length (LEN) or
/// the matching ranges (IDX), refusing inputs whose table would exceed
/// `max_bulk_len` bytes, as Redis does.
pub fn reply(a: &[u8], b: &[u8], opts: &LcsOptions, max_bulk_len: u64) -> RedisResult<Frame> {
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(RedisError::fixed("ERR String too long for LCS"));
    }
    // Redis refuses a table larger than proto-max-bulk-len rather than
    // allocating it.
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells.saturating_mul(4) > max_bulk_len {
        return Err(RedisError::fixed("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
    }
    let width = b.len() + 1;
    let mut table = vec![0u32; cells as usize];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[a.len() * width + b.len()];
    if opts.len {
        return Ok(Frame::Integer(total as i64));
    }

    // Walk back from the end, collecting the subsequence and the ranges of
    // consecutive matches.
    let mut text = vec![0u8; total as usize];
    let mut fill = total as usize;
    let mut matches = Vec::new();
    let (mut i, mut j) = (a.len(), b.len());
    // The range being extended: (a_start, a_end, b_start, b_end).
    let mut range: Option<(usize, usize, usize, usize)> = None;
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            fill -= 1;
            text[fill] = a[i - 1];
            match &mut range {
                None => range = Some((i - 1, i - 1, j - 1, j - 1)),
                Some(r) if r.0 == i && r.2 == j => {
                    r.0 -= 1;
                    r.2 -= 1;
                }
                Some(_) => emit = true,
            }
            if range.is_some_and(|r| r.0 == 0 || r.2 == 0) {
                emit = true;
            }
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if range.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some((a0, a1, b0, b1)) = range.take() {
                let len = (a1 - a0 + 1) as u64;
                if opts.min_match_len == 0 || len >= opts.min_match_len {
                    let mut m = vec![
                        Frame::Array(vec![Frame::Integer(a0 as i64), Frame::Integer(a1 as i64)]),
                        Frame::Array(vec![Frame::Integer(b0 as i64), Frame::Integer(b1 as i64)]),
                    ];
                    if opts.with_match_len {
                        m.push(Frame::Integer(len as i64));
                    }
                    matches.push(Frame::Array(m));
                }
            }
        }
    }
    if opts.idx {
        return Ok(Frame::Map(vec![
            (Frame::bulk("matches"), Frame::Array(matches)),
            (Frame::bulk("len"), Frame::Integer(total as i64)),
        ]));
    }
    Ok(Frame::Bulk(text.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcs_of_redis_docs_example() {
        let opts = LcsOptions::default();
        let r = reply(b"ohmytext", b"mynewtext", &opts, 1 << 29).unwrap();
        assert_eq!(r, Frame::bulk("mytext"));
        let idx = LcsOptions { idx: true, with_match_len: true, ..Default::default() };
        let r = reply(b"ohmytext", b"mynewtext", &idx, 1 << 29).unwrap();
        let range = |a: i64, b: i64| Frame::Array(vec![Frame::Integer(a), Frame::Integer(b)]);
        assert_eq!(
            r,
            Frame::Map(vec![
                (
                    Frame::bulk("matches"),
                    Frame::Array(vec![
                        Frame::Array(vec![range(4, 7), range(5, 8), Frame::Integer(4)]),
                        Frame::Array(vec![range(2, 3), range(0, 1), Frame::Integer(2)]),
                    ])
                ),
                (Frame::bulk("len"), Frame::Integer(6)),
            ])
        );
    }

    #[test]
    fn huge_tables_are_refused_not_allocated() {
        let a = vec![b'x'; 20_000];
        let err = reply(&a, &a, &LcsOptions::default(), 512 << 20).unwrap_err();
        assert!(err.text().contains("transient memory"));
    }
}
