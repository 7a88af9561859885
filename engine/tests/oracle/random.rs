//! Properties of the random commands' replies (SRANDMEMBER, SPOP,
//! HRANDFIELD, ZRANDMEMBER), each checked against what the same server held
//! just before: which members it draws is each server's own business, how
//! many, whether they are distinct, and that they (and their values or
//! scores) come from the key are not.

use std::collections::BTreeSet;

use super::client::Reply;
use super::generate::{strict_int, RandomKind};
use super::state::Contents;

/// The count argument, if any (Redis reads it strictly).
pub fn count_arg(args: &[Vec<u8>]) -> Option<Option<i64>> {
    args.get(2).map(|c| strict_int(c))
}

/// Elements of an array or RESP3 set reply.
fn elements(r: &Reply) -> Option<&[Reply]> {
    match r {
        Reply::Array(v) | Reply::Set(v) => Some(v),
        _ => None,
    }
}

fn bulk(r: &Reply) -> Option<&[u8]> {
    match r {
        Reply::Bulk(b) => Some(b),
        _ => None,
    }
}

/// A score as a number, whether RESP2 text or a RESP3 double.
fn score(r: &Reply) -> Option<f64> {
    let t = match r {
        Reply::Bulk(b) | Reply::Double(b) => b,
        _ => return None,
    };
    std::str::from_utf8(t).ok()?.parse().ok()
}

/// The drawn (member, value) entries: RESP3 nests pairs, RESP2 flattens.
fn entries(items: &[Reply], with_values: bool) -> Option<Vec<(&[u8], Option<&Reply>)>> {
    if !with_values {
        return items.iter().map(|r| Some((bulk(r)?, None))).collect();
    }
    if items.iter().all(|p| matches!(p, Reply::Array(x) if x.len() == 2)) && !items.is_empty() {
        return items
            .iter()
            .map(|p| match p {
                Reply::Array(x) => Some((bulk(&x[0])?, Some(&x[1]))),
                _ => None,
            })
            .collect();
    }
    if !items.len().is_multiple_of(2) {
        return None;
    }
    items.chunks(2).map(|p| Some((bulk(&p[0])?, Some(&p[1])))).collect()
}

/// Why `reply` cannot be a reply of this random command to a server that
/// held `held` at the key; None if it can.
pub fn violation(kind: RandomKind, args: &[Vec<u8>], reply: &Reply, held: &Contents) -> Option<String> {
    let size = held.items.len();
    let find = |m: &[u8]| held.items.iter().find(|(e, _)| e == m);
    let Some(count) = count_arg(args) else {
        return match reply {
            Reply::NilBulk | Reply::Null if size == 0 => None,
            Reply::Bulk(m) if find(m).is_some() => None,
            _ => Some("expected one member of the key, or null when it is empty".into()),
        };
    };
    let Some(count) = count else {
        return Some("a count Redis refuses was accepted".into());
    };
    let Some(items) = elements(reply) else {
        return Some("expected an array".into());
    };
    let with_values = args.len() >= 4;
    let Some(got) = entries(items, with_values) else {
        return Some("malformed entries".into());
    };
    for (m, v) in &got {
        let Some((_, held_v)) = find(m) else {
            return Some(format!("{} is not in the key", super::compare::show_bytes(m)));
        };
        let ok = match (kind, v, held_v) {
            (_, None, _) => true,
            (RandomKind::ZRandMember, Some(v), Some(s)) => {
                score(v).is_some_and(|x| Some(x) == std::str::from_utf8(s).ok().and_then(|s| s.parse().ok()))
            }
            (_, Some(v), Some(hv)) => bulk(v) == Some(hv.as_slice()),
            _ => false,
        };
        if !ok {
            return Some(format!("the value or score of {} is not the key's", super::compare::show_bytes(m)));
        }
    }
    let distinct = got.iter().map(|(m, _)| *m).collect::<BTreeSet<_>>().len() == got.len();
    let expected = if size == 0 || count == 0 {
        0
    } else if count < 0 {
        count.unsigned_abs() as usize
    } else {
        (count as usize).min(size)
    };
    if got.len() != expected {
        return Some(format!("{} entries, expected {expected}", got.len()));
    }
    if count > 0 && !distinct {
        return Some("a positive count must draw distinct members".into());
    }
    None
}

/// The members an SPOP reply removed, sorted.
pub fn popped(reply: &Reply) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = match reply {
        Reply::Bulk(m) => vec![m.clone()],
        other => elements(other).unwrap_or(&[]).iter().filter_map(|r| bulk(r).map(|b| b.to_vec())).collect(),
    };
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(members: &[&str]) -> Contents {
        Contents {
            kind: b"set".to_vec(),
            encoding: b"hashtable".to_vec(),
            items: members.iter().map(|m| (m.as_bytes().to_vec(), None)).collect(),
        }
    }

    fn args(a: &[&str]) -> Vec<Vec<u8>> {
        a.iter().map(|x| x.as_bytes().to_vec()).collect()
    }

    fn arr(a: &[&str]) -> Reply {
        Reply::Array(a.iter().map(|x| Reply::Bulk(x.as_bytes().to_vec())).collect())
    }

    #[test]
    fn properties_accept_and_reject() {
        let s = held(&["a", "b", "c"]);
        let k = RandomKind::SRandMember;
        assert!(violation(k, &args(&["SRANDMEMBER", "s", "2"]), &arr(&["a", "c"]), &s).is_none());
        assert!(violation(k, &args(&["SRANDMEMBER", "s", "2"]), &arr(&["a", "a"]), &s).is_some());
        assert!(violation(k, &args(&["SRANDMEMBER", "s", "-4"]), &arr(&["a", "a", "b", "a"]), &s).is_none());
        assert!(violation(k, &args(&["SRANDMEMBER", "s", "5"]), &arr(&["a", "b"]), &s).is_some());
        assert!(violation(k, &args(&["SRANDMEMBER", "s", "1"]), &arr(&["z"]), &s).is_some());
        assert!(violation(k, &args(&["SRANDMEMBER", "s"]), &Reply::NilBulk, &s).is_some());
        assert!(violation(k, &args(&["SRANDMEMBER", "s"]), &Reply::NilBulk, &held(&[])).is_none());
        let h = Contents {
            kind: b"hash".to_vec(),
            encoding: b"listpack".to_vec(),
            items: vec![(b"f".to_vec(), Some(b"1".to_vec()))],
        };
        let k = RandomKind::HRandField;
        let nested = Reply::Array(vec![arr(&["f", "1"])]);
        assert!(violation(k, &args(&["HRANDFIELD", "h", "1", "WITHVALUES"]), &nested, &h).is_none());
        assert!(violation(k, &args(&["HRANDFIELD", "h", "1", "WITHVALUES"]), &arr(&["f", "2"]), &h).is_some());
        assert_eq!(popped(&arr(&["b", "a"])), vec![b"a".to_vec(), b"b".to_vec()]);
    }
}
