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
    let (e, r) = (wire_form(expected, protocol), wire_form(recorded, protocol));
    if e == r {
        return true;
    }
    if !order_free(argv) {
        return false;
    }
    // A RESP2 map arrives flattened: keep each field with its value.
    let unit = if protocol == Protocol::Resp2 && matches!(expected, Frame::Map(_) | Frame::Pairs(_)) { 2 } else { 1 };
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

/// The frame as a client speaking `protocol` receives it.
pub(crate) fn wire_form(frame: &Frame, protocol: Protocol) -> Frame {
    let bytes = encode_to_vec(frame, protocol);
    match parse_reply(&bytes) {
        Ok(Some((parsed, _))) => parsed,
        // The encoder's output always parses; keep the frame if it somehow does not.
        _ => frame.clone(),
    }
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
