//! Whether a recorded reply matches the model's, as a function of the command.
//!
//! Two things make plain `Frame` equality too strict:
//! - The model builds RESP3-rich frames (a set reply is `Frame::Set`) while a
//!   RESP2 client records what came over the wire (an array). Both sides are
//!   therefore compared as the history's protocol carries them: encoded, then
//!   parsed back.
//! - Some commands leave their output order unspecified (SMEMBERS, HGETALL,
//!   KEYS, SUNION ...: the command table marks them with the
//!   `nondeterministic_output_order` tip). Their replies are compared as
//!   multisets of elements, or of field/value pairs for maps.
//!
//! Commands whose output itself is random (SPOP, SRANDMEMBER, RANDOMKEY) cannot
//! be checked against one model run and are compared exactly; workloads should
//! not use them.

use std::borrow::Cow;

use bytes::Bytes;
use redsim_model::resp::{encode_to_vec, parse_reply, Protocol};
use redsim_model::table;
use redsim_model::Frame;

const ORDER_FREE_TIP: &str = "nondeterministic_output_order";

/// True when `recorded` is a reply the server could give for `argv` given that
/// the model replied `expected`.
pub fn replies_match(argv: &[Bytes], expected: &Frame, recorded: &Frame, protocol: Protocol) -> bool {
    if expected == recorded {
        return true;
    }
    // Most frames are already what the client receives; re-encoding them
    // (a large LRANGE reply at every rejected search step) is skipped.
    let (e, r) = (wire_form_cow(expected, protocol), wire_form_cow(recorded, protocol));
    if e == r {
        return true;
    }
    if !order_free(argv) {
        return false;
    }
    // A RESP2 map arrives flattened: keep each field with its value.
    let unit = if protocol == Protocol::Resp2 && matches!(expected, Frame::Map(_) | Frame::Pairs(_)) { 2 } else { 1 };
    if let Some(same) = same_bulks(&e, &r, unit) {
        return same;
    }
    match (elements(&e, unit, protocol), elements(&r, unit, protocol)) {
        (Some(mut a), Some(mut b)) => {
            a.sort_unstable();
            b.sort_unstable();
            a == b
        }
        _ => false,
    }
}

/// Whether the command's output order is unspecified by Redis.
pub fn order_free(argv: &[Bytes]) -> bool {
    table::lookup_argv(argv).is_some_and(|spec| spec.tips.contains(&ORDER_FREE_TIP))
}

/// The frame as a client speaking `protocol` receives it, borrowed when the
/// frame already is in that form. Encoding and parsing back is the
/// definition; the common cases skip it (a large reply is compared at every
/// rejected search step).
fn wire_form_cow(frame: &Frame, protocol: Protocol) -> Cow<'_, Frame> {
    match frame {
        _ if is_wire_form(frame, protocol) => Cow::Borrowed(frame),
        // RESP2 sends a set as an array of the same elements.
        Frame::Set(items) if protocol == Protocol::Resp2 && items.iter().all(|f| is_wire_form(f, protocol)) => {
            Cow::Owned(Frame::Array(items.clone()))
        }
        _ => Cow::Owned(encode_and_parse(frame, protocol)),
    }
}

/// Whether encoding `frame` for `protocol` and parsing it back gives `frame`
/// itself. Conservative: only the kinds RESP2 has, which cover nearly every
/// reply a workload records.
fn is_wire_form(frame: &Frame, protocol: Protocol) -> bool {
    match frame {
        // The encoder turns CR and LF into spaces.
        Frame::Simple(s) | Frame::Error(s) => !s.contains(['\r', '\n']),
        Frame::Integer(_) | Frame::Bulk(_) | Frame::Null => true,
        // RESP3 has one null: `*-1` comes back as `Null`.
        Frame::NullArray => protocol == Protocol::Resp2,
        Frame::Array(items) => items.iter().all(|f| is_wire_form(f, protocol)),
        _ => false,
    }
}

/// The frame as a client speaking `protocol` receives it.
pub(crate) fn wire_form(frame: &Frame, protocol: Protocol) -> Frame {
    wire_form_cow(frame, protocol).into_owned()
}

fn encode_and_parse(frame: &Frame, protocol: Protocol) -> Frame {
    let bytes = encode_to_vec(frame, protocol);
    match parse_reply(&bytes) {
        Ok(Some((parsed, _))) => parsed,
        // The encoder's output always parses; keep the frame if it somehow does not.
        _ => frame.clone(),
    }
}

/// Order-free comparison when both frames are aggregates of one kind holding
/// only bulk strings (SMEMBERS, HGETALL in RESP2): the sorted groups of
/// payloads, without encoding anything. `None` when that does not apply.
fn same_bulks(e: &Frame, r: &Frame, unit: usize) -> Option<bool> {
    let (a, b) = (bulk_items(e)?, bulk_items(r)?);
    if std::mem::discriminant(e) != std::mem::discriminant(r) || a.len() % unit != 0 {
        return None;
    }
    Some(a.len() == b.len() && sorted_groups(a, unit) == sorted_groups(b, unit))
}

fn bulk_items(frame: &Frame) -> Option<&[Frame]> {
    match frame {
        Frame::Array(items) | Frame::Set(items) if items.iter().all(|i| matches!(i, Frame::Bulk(_))) => Some(items),
        _ => None,
    }
}

/// Bulk strings grouped `unit` at a time, sorted by their payloads.
fn sorted_groups(items: &[Frame], unit: usize) -> Vec<&[Frame]> {
    fn payload(f: &Frame) -> &[u8] {
        match f {
            Frame::Bulk(b) => b,
            _ => &[],
        }
    }
    let mut groups: Vec<&[Frame]> = items.chunks(unit).collect();
    if unit == 1 {
        groups.sort_unstable_by(|x, y| payload(&x[0]).cmp(payload(&y[0])));
    } else {
        groups.sort_unstable_by(|x, y| x.iter().map(payload).cmp(y.iter().map(payload)));
    }
    groups
}

/// The elements of an aggregate, each encoded (so they can be sorted), grouped
/// `unit` at a time; `None` for non-aggregates. The aggregate's kind is part
/// of the first element so that an array never equals a set.
fn elements(frame: &Frame, unit: usize, protocol: Protocol) -> Option<Vec<Vec<u8>>> {
    let (kind, items): (u8, Vec<Vec<u8>>) = match frame {
        Frame::Array(items) => (b'*', items.iter().map(|f| encode_to_vec(f, protocol)).collect()),
        Frame::Set(items) => (b'~', items.iter().map(|f| encode_to_vec(f, protocol)).collect()),
        Frame::Map(pairs) => {
            let enc = |(k, v): &(Frame, Frame)| [encode_to_vec(k, protocol), encode_to_vec(v, protocol)].concat();
            (b'%', pairs.iter().map(enc).collect())
        }
        _ => return None,
    };
    if items.len() % unit != 0 {
        return None;
    }
    let mut grouped: Vec<Vec<u8>> = items.chunks(unit).map(|c| c.concat()).collect();
    grouped.push(vec![kind]);
    Some(grouped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Frame {
        Frame::bulk(s)
    }

    /// Frames of every kind, nested a little.
    fn corpus() -> Vec<Frame> {
        let pairs = vec![(b("f"), b("v")), (b("g"), Frame::Integer(2))];
        vec![
            Frame::ok(),
            Frame::Simple("line\nbreak".into()),
            Frame::Error("ERR wrong".into()),
            Frame::Error("ERR two\r\nlines".into()),
            Frame::Integer(-3),
            b("v1"),
            b(""),
            Frame::Null,
            Frame::NullArray,
            Frame::Array(vec![b("a"), Frame::Integer(1), Frame::Null, Frame::Array(vec![Frame::NullArray])]),
            Frame::Array(vec![]),
            Frame::Set(vec![b("a"), b("b")]),
            Frame::Set(vec![b("a"), Frame::Double(1.5)]),
            Frame::Array(vec![Frame::Set(vec![b("a")]), Frame::Boolean(true)]),
            Frame::Map(pairs.clone()),
            Frame::Pairs(pairs),
            Frame::Double(2.5),
            Frame::Boolean(false),
            Frame::BigNumber("12345678901234567890".into()),
            Frame::Verbatim { format: *b"txt", text: "hello".into() },
            Frame::Push(vec![b("message")]),
        ]
    }

    #[test]
    fn shortcuts_give_what_encoding_and_parsing_give() {
        for protocol in [Protocol::Resp2, Protocol::Resp3] {
            for frame in corpus() {
                let expected = encode_and_parse(&frame, protocol);
                assert_eq!(wire_form(&frame, protocol), expected, "{frame:?} in {protocol:?}");
                if is_wire_form(&frame, protocol) {
                    assert_eq!(frame, expected, "{frame:?} in {protocol:?} is not its own wire form");
                }
            }
        }
    }

    fn argv(args: &[&str]) -> Vec<Bytes> {
        args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
    }

    #[test]
    fn order_free_replies_compare_as_multisets() {
        let smembers = argv(&["SMEMBERS", "s"]);
        let model = Frame::Set(vec![b("a"), b("b"), b("c")]);
        let arr = |items: &[&str]| Frame::Array(items.iter().map(|s| b(s)).collect());
        for protocol in [Protocol::Resp2, Protocol::Resp3] {
            let recorded = if protocol == Protocol::Resp2 {
                arr(&["c", "a", "b"])
            } else {
                Frame::Set(vec![b("c"), b("a"), b("b")])
            };
            assert!(replies_match(&smembers, &model, &recorded, protocol));
        }
        for wrong in [&["a", "b", "b"][..], &["a", "b"], &["a", "b", "c", "d"], &["a", "b", "C"]] {
            assert!(!replies_match(&smembers, &model, &arr(wrong), Protocol::Resp2), "{wrong:?}");
        }
        // In RESP3 a set is not an array.
        assert!(!replies_match(&smembers, &model, &arr(&["a", "b", "c"]), Protocol::Resp3));
        // Order matters where Redis promises one.
        let lrange = argv(&["LRANGE", "l", "0", "-1"]);
        assert!(replies_match(&lrange, &arr(&["a", "b"]), &arr(&["a", "b"]), Protocol::Resp2));
        assert!(!replies_match(&lrange, &arr(&["a", "b"]), &arr(&["b", "a"]), Protocol::Resp2));
        // A RESP2 map keeps each field with its value.
        let hgetall = argv(&["HGETALL", "h"]);
        let map = Frame::Map(vec![(b("f"), b("1")), (b("g"), b("2"))]);
        assert!(replies_match(&hgetall, &map, &arr(&["g", "2", "f", "1"]), Protocol::Resp2));
        assert!(!replies_match(&hgetall, &map, &arr(&["g", "1", "f", "2"]), Protocol::Resp2));
        // Elements other than bulk strings take the general path.
        let mixed = Frame::Set(vec![Frame::Integer(1), b("x")]);
        let recorded = Frame::Array(vec![b("x"), Frame::Integer(1)]);
        assert!(replies_match(&smembers, &mixed, &recorded, Protocol::Resp2));
        assert!(!replies_match(&smembers, &mixed, &Frame::Array(vec![b("x"), Frame::Integer(2)]), Protocol::Resp2));
    }
}
