//! Property tests of the RESP codec: the parsers never panic or over-allocate
//! on arbitrary bytes, and encoding followed by parsing gives back the frame
//! (RESP3) or its Redis downgrade (RESP2).

use bytes::Bytes;
use proptest::prelude::*;
use redsim_model::resp::{encode, encode_request, parse_reply, Frame, Protocol, ReplyReader, RequestParser};

fn arb_bytes() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..24).prop_map(Bytes::from)
}

/// Text for one-line frames, deliberately including CR and LF.
fn arb_line() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 :\\r\\n\u{e9}-]{0,12}"
}

fn arb_double() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |d| d.is_finite()),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        (-1_000_000i64..1_000_000).prop_map(|n| n as f64 / 8.0),
    ]
}

fn arb_leaf() -> impl Strategy<Value = Frame> {
    prop_oneof![
        arb_line().prop_map(Frame::Simple),
        arb_line().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        arb_bytes().prop_map(Frame::Bulk),
        Just(Frame::Null),
        Just(Frame::NullArray),
        arb_double().prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        "-?[1-9][0-9]{0,40}".prop_map(Frame::BigNumber),
        (any::<[u8; 3]>(), arb_bytes()).prop_map(|(format, text)| Frame::Verbatim { format, text }),
    ]
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    arb_leaf().prop_recursive(4, 48, 6, |inner| {
        let list = prop::collection::vec(inner.clone(), 0..6);
        let pairs = prop::collection::vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            list.clone().prop_map(Frame::Array),
            list.clone().prop_map(Frame::Set),
            list.prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (pairs, inner).prop_map(|(a, f)| Frame::Attribute(a, Box::new(f))),
        ]
    })
}

fn sanitize(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// What a RESP3 client reads back: the nulls merge and line texts lose CR/LF.
fn resp3_view(f: &Frame) -> Frame {
    match f {
        Frame::Simple(s) => Frame::Simple(sanitize(s)),
        Frame::Error(s) => Frame::Error(sanitize(s)),
        Frame::NullArray => Frame::Null,
        Frame::Array(v) => Frame::Array(v.iter().map(resp3_view).collect()),
        Frame::Set(v) => Frame::Set(v.iter().map(resp3_view).collect()),
        Frame::Push(v) => Frame::Push(v.iter().map(resp3_view).collect()),
        Frame::Map(p) => Frame::Map(p.iter().map(|(k, v)| (resp3_view(k), resp3_view(v))).collect()),
        Frame::Attribute(a, inner) => Frame::Attribute(
            a.iter().map(|(k, v)| (resp3_view(k), resp3_view(v))).collect(),
            Box::new(resp3_view(inner)),
        ),
        other => other.clone(),
    }
}

/// Redis's %.17g for the doubles the generator makes, computed independently of
/// the encoder: the shortest round-trip text is not %.17g, so check the value.
fn resp2_double_ok(text: &[u8], d: f64) -> bool {
    let s = std::str::from_utf8(text).unwrap();
    if d.is_infinite() {
        return s == if d > 0.0 { "inf" } else { "-inf" };
    }
    s.parse::<f64>().map(|back| back == d && back.is_sign_negative() == d.is_sign_negative()).unwrap_or(false)
}

/// Compares what a RESP2 client reads back with the frame Redis would downgrade
/// `f` to.
fn check_resp2(f: &Frame, got: &Frame) -> Result<(), String> {
    let fail = || Err(format!("{f:?} came back as {got:?}"));
    let seq = |items: &[Frame], got: &Frame| match got {
        Frame::Array(g) if g.len() == items.len() => items.iter().zip(g).try_for_each(|(a, b)| check_resp2(a, b)),
        _ => Err(format!("{items:?} came back as {got:?}")),
    };
    match (f, got) {
        (Frame::Simple(s), Frame::Simple(g)) if sanitize(s) == *g => Ok(()),
        (Frame::Error(s), Frame::Error(g)) if sanitize(s) == *g => Ok(()),
        (Frame::Integer(a), Frame::Integer(b)) if a == b => Ok(()),
        (Frame::Bulk(a), Frame::Bulk(b)) if a == b => Ok(()),
        (Frame::Null, Frame::Null) | (Frame::NullArray, Frame::NullArray) => Ok(()),
        (Frame::Array(v) | Frame::Set(v) | Frame::Push(v), _) => seq(v, got),
        (Frame::Map(pairs), _) => {
            let flat: Vec<Frame> = pairs.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect();
            seq(&flat, got)
        }
        (Frame::Double(d), Frame::Bulk(b)) if resp2_double_ok(b, *d) => Ok(()),
        (Frame::Boolean(v), Frame::Integer(n)) if i64::from(*v) == *n => Ok(()),
        (Frame::BigNumber(s), Frame::Bulk(b)) if s.as_bytes() == &b[..] => Ok(()),
        (Frame::Verbatim { text, .. }, Frame::Bulk(b)) if text == b => Ok(()),
        (Frame::Attribute(_, inner), _) => check_resp2(inner, got),
        _ => fail(),
    }
}

/// Feeds `stream` to the request parser in the given pieces, collecting argv
/// lists until the first error.
fn requests_in_pieces(stream: &[u8], cuts: &[usize]) -> (Vec<Vec<Bytes>>, Option<String>) {
    let mut p = RequestParser::new();
    let mut out = Vec::new();
    let mut last = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    points.sort_unstable();
    points.push(stream.len());
    for at in points {
        p.feed(&stream[last..at]);
        last = at;
        loop {
            match p.next_request() {
                Ok(Some(argv)) => out.push(argv),
                Ok(None) => break,
                Err(e) => return (out, Some(e.0)),
            }
        }
    }
    (out, None)
}

/// Bytes that look like RESP often enough to reach the deeper parser states.
fn arb_wire() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"*".to_vec()),
        Just(b"$".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"'".to_vec()),
        Just(b"\\x4".to_vec()),
        Just(b"%".to_vec()),
        Just(b"|".to_vec()),
        Just(b"=".to_vec()),
        Just(b"-1".to_vec()),
        Just(b"2147483647".to_vec()),
        Just(b"536870912".to_vec()),
        Just(b"9223372036854775807".to_vec()),
        (0u32..20).prop_map(|n| n.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..6),
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn resp_request_parser_survives_any_bytes(stream in arb_wire(), cuts in prop::collection::vec(any::<usize>(), 0..4)) {
        let whole = requests_in_pieces(&stream, &[]);
        let pieces = requests_in_pieces(&stream, &cuts);
        // Splitting can change only where a "too big" limit is judged; these
        // streams are far below it, so the outcome must not depend on splits.
        prop_assert_eq!(whole, pieces);
        let mut p = RequestParser::new();
        p.feed(&stream);
        let _ = p.next_request();
        prop_assert!(p.buffered_len() <= stream.len());
    }

    #[test]
    fn resp_reply_parser_survives_any_bytes(stream in arb_wire(), cuts in prop::collection::vec(any::<usize>(), 0..4)) {
        let whole = parse_reply(&stream);
        if let Ok(Some((_, used))) = &whole {
            prop_assert!(*used <= stream.len());
        }
        // The streaming reader agrees with the one-shot parser on the first frame.
        let mut r = ReplyReader::new();
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
        points.sort_unstable();
        points.push(stream.len());
        let mut last = 0;
        let mut first = None;
        for at in points {
            r.feed(&stream[last..at]);
            last = at;
            match r.next_frame() {
                Ok(Some(f)) => { first = Some(Ok(f)); break; }
                Ok(None) => {}
                Err(e) => { first = Some(Err(e)); break; }
            }
        }
        match (whole, first) {
            (Ok(Some((f, _))), Some(Ok(g))) => prop_assert_eq!(format!("{f:?}"), format!("{g:?}")),
            (Ok(None), None) | (Err(_), Some(Err(_))) => {}
            (w, g) => prop_assert!(false, "parse_reply {:?} vs reader {:?}", w, g),
        }
    }

    #[test]
    fn resp3_round_trip(f in arb_frame(), trailing in prop::collection::vec(any::<u8>(), 0..4)) {
        let mut wire = Vec::new();
        encode(&f, Protocol::Resp3, &mut wire);
        let len = wire.len();
        wire.extend_from_slice(&trailing);
        let (got, used) = parse_reply(&wire).unwrap().expect("complete frame");
        prop_assert_eq!(used, len);
        prop_assert_eq!(got, resp3_view(&f));
        // Any strict prefix is incomplete, never an error or a different frame.
        for cut in [0, len / 3, len / 2, len - 1] {
            prop_assert_eq!(parse_reply(&wire[..cut]), Ok(None));
        }
    }

    #[test]
    fn resp2_round_trip_is_the_downgrade(f in arb_frame()) {
        let mut wire = Vec::new();
        encode(&f, Protocol::Resp2, &mut wire);
        let (got, used) = parse_reply(&wire).unwrap().expect("complete frame");
        prop_assert_eq!(used, wire.len());
        // RESP2 output uses only RESP2 type bytes.
        prop_assert!(wire_has_only_resp2_tags(&wire), "{:?}", wire);
        if let Err(e) = check_resp2(&f, &got) {
            prop_assert!(false, "{}", e);
        }
    }

    #[test]
    fn resp_requests_round_trip(batch in prop::collection::vec(prop::collection::vec(arb_bytes(), 1..6), 1..6),
                           cuts in prop::collection::vec(any::<usize>(), 0..6)) {
        let mut wire = Vec::new();
        for argv in &batch {
            encode_request(argv, &mut wire);
        }
        let (got, err) = requests_in_pieces(&wire, &cuts);
        prop_assert_eq!(err, None);
        prop_assert_eq!(got, batch);
    }
}

/// Walks a RESP2 stream and checks that every frame starts with a RESP2 type byte.
fn wire_has_only_resp2_tags(mut wire: &[u8]) -> bool {
    fn walk(wire: &mut &[u8]) -> bool {
        let Some(&tag) = wire.first() else {
            return false;
        };
        let Some(cr) = wire.windows(2).position(|w| w == b"\r\n") else {
            return false;
        };
        let n: i64 = std::str::from_utf8(&wire[1..cr]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
        *wire = &wire[cr + 2..];
        match tag {
            b'+' | b'-' | b':' => true,
            b'$' if n < 0 => true,
            b'$' => {
                *wire = &wire[n as usize + 2..];
                true
            }
            b'*' => (0..n.max(0)).all(|_| walk(wire)),
            _ => false,
        }
    }
    walk(&mut wire) && wire.is_empty()
}

#[test]
fn resp_huge_headers_do_not_allocate() {
    // If the parsers trusted these lengths they would try to reserve gigabytes
    // (and abort); they must simply wait for bytes that never come.
    let mut p = RequestParser::new();
    p.feed(b"*2147483647\r\n$536870912\r\nxyz");
    assert_eq!(p.next_request(), Ok(None));
    assert!(p.buffered_len() < 64);
    for header in
        [&b"*2147483647\r\n"[..], b"$536870912\r\n", b"%9223372036854775807\r\n", b"~4611686018427387904\r\n*1\r\n"]
    {
        assert_eq!(parse_reply(header), Ok(None));
        let mut r = ReplyReader::new();
        r.feed(header);
        assert_eq!(r.next_frame(), Ok(None));
    }
}
