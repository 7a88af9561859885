//! Checking a parameter's new value and putting it in the form CONFIG GET shows.
//!
//! Each kind accepts exactly what Redis 7.0 accepts and fails with Redis's
//! reason text, which CONFIG SET wraps in its "CONFIG SET failed" error and
//! the config file loader prints under the offending line.

use bytes::Bytes;
use redsim_model::num::parse_i64;

use super::params::Kind;

/// The normalized value, or the reason it was refused.
pub type Checked = Result<String, String>;

/// Checks `args` (one argument, or several for list parameters) against `kind`.
pub fn check(kind: Kind, args: &[Bytes]) -> Checked {
    let single = || -> Result<&[u8], String> {
        match args {
            [one] => Ok(one.as_ref()),
            _ => Err("wrong number of arguments".to_string()),
        }
    };
    match kind {
        Kind::Bool => bool_value(single()?),
        Kind::Int(min, max) => int_value(single()?, min, max),
        Kind::Mem(min, max) => mem_value(single()?, min, max),
        Kind::Enum(words) => enum_value(single()?, words),
        Kind::Str => Ok(String::from_utf8_lossy(single()?).into_owned()),
        Kind::Octal => {
            let s = String::from_utf8_lossy(single()?).into_owned();
            match i64::from_str_radix(&s, 8) {
                Ok(v) if (0..=0o777).contains(&v) => Ok(format!("{v:o}")),
                _ => Err("Invalid socket file permissions".to_string()),
            }
        }
        Kind::Save => save_value(args),
        Kind::Bind => bind_value(args),
        Kind::OutputBufferLimit => Err("internal: merged by the registry".to_string()),
        Kind::KeyspaceEvents => keyspace_events(single()?),
        Kind::OomScoreAdjValues => oom_values(args),
        Kind::Percentiles => percentiles(args),
        Kind::MemOrPercent => mem_or_percent(single()?),
        Kind::ReplicaOf => match args {
            [one] if one.is_empty() || one.eq_ignore_ascii_case(b"no one") => Ok(String::new()),
            [host, port] => {
                let port = int_value(port, 0, 65535)?;
                Ok(format!("{} {}", String::from_utf8_lossy(host), port))
            }
            _ => Err("wrong number of arguments".to_string()),
        },
    }
}

fn bool_value(v: &[u8]) -> Checked {
    if v.eq_ignore_ascii_case(b"yes") {
        Ok("yes".into())
    } else if v.eq_ignore_ascii_case(b"no") {
        Ok("no".into())
    } else {
        Err("argument must be 'yes' or 'no'".into())
    }
}

fn int_value(v: &[u8], min: i64, max: i64) -> Checked {
    let n = parse_i64(v).ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
    if n < min || n > max {
        return Err(format!("argument must be between {min} and {max} inclusive"));
    }
    Ok(n.to_string())
}

/// Redis's `memtoull`: digits then an optional unit. Like strtoull the digits
/// saturate and, like Redis, the unit multiplication wraps.
pub fn parse_memory(v: &[u8]) -> Option<u64> {
    let digits = v.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = String::from_utf8_lossy(&v[digits..]).to_ascii_lowercase();
    let mul: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let n = v[..digits].iter().fold(0u64, |acc, d| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')));
    Some(n.wrapping_mul(mul))
}

fn mem_value(v: &[u8], min: u64, max: u64) -> Checked {
    let n = parse_memory(v).ok_or_else(|| "argument must be a memory value".to_string())?;
    if n < min || n > max {
        return Err(format!("argument must be between {min} and {max} inclusive"));
    }
    Ok(n.to_string())
}

fn enum_value(v: &[u8], words: &[&str]) -> Checked {
    words
        .iter()
        .find(|w| v.eq_ignore_ascii_case(w.as_bytes()))
        .map(|w| w.to_string())
        .ok_or_else(|| format!("argument(s) must be one of the following: {}", words.join(", ")))
}

/// C's `strtoll` with the "nothing may follow" check Redis adds: leading
/// blanks and a sign are allowed, trailing characters are not.
fn strtoll_whole(a: &[u8]) -> Option<i64> {
    let s = String::from_utf8_lossy(a);
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() {
        return None;
    }
    t.parse::<i64>().ok()
}

fn save_value(args: &[Bytes]) -> Checked {
    let bad = || "Invalid save parameters".to_string();
    if let [one] = args {
        if one.is_empty() {
            return Ok(String::new());
        }
    }
    if !args.len().is_multiple_of(2) {
        return Err(bad());
    }
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let v = strtoll_whole(a).ok_or_else(bad)?;
        let min = if i % 2 == 0 { 1 } else { 0 };
        if v < min {
            return Err(bad());
        }
        out.push(v.to_string());
    }
    Ok(out.join(" "))
}

fn bind_value(args: &[Bytes]) -> Checked {
    if args.len() > 16 {
        return Err("Too many bind addresses specified.".into());
    }
    if args.iter().any(|a| a.is_empty()) && args.len() > 1 {
        return Err("Failed to bind to specified addresses.".into());
    }
    Ok(args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
}

/// The event classes of `notify-keyspace-events`, in the order Redis prints them.
const EVENT_CLASSES: &[(char, u32)] = &[
    ('g', 1 << 2),
    ('$', 1 << 3),
    ('l', 1 << 4),
    ('s', 1 << 5),
    ('h', 1 << 6),
    ('z', 1 << 7),
    ('x', 1 << 8),
    ('e', 1 << 9),
    ('t', 1 << 10),
    ('d', 1 << 12),
    ('n', 1 << 13),
];
const KEYSPACE: u32 = 1 << 0;
const KEYEVENT: u32 = 1 << 1;
const KEY_MISS: u32 = 1 << 11;
/// `A`: every class but key-miss and new-key events.
const ALL: u32 =
    (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 12);

fn keyspace_events(v: &[u8]) -> Checked {
    let mut flags = 0u32;
    for &c in v {
        flags |= match c {
            b'A' => ALL,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b'm' => KEY_MISS,
            _ => match EVENT_CLASSES.iter().find(|(ch, _)| *ch as u8 == c) {
                Some((_, bit)) => *bit,
                None => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
            },
        };
    }
    let mut out = String::new();
    if flags & ALL == ALL {
        out.push('A');
    } else {
        out.extend(EVENT_CLASSES.iter().filter(|(_, bit)| flags & bit != 0).map(|(c, _)| *c));
    }
    for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & bit != 0 {
            out.push(c);
        }
    }
    Ok(out)
}

fn oom_values(args: &[Bytes]) -> Checked {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let bad = || "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".to_string();
    let mut out = Vec::new();
    for a in args {
        let v = strtoll_whole(a).ok_or_else(bad)?;
        if !(-2000..=2000).contains(&v) {
            return Err(bad());
        }
        out.push(v.to_string());
    }
    Ok(out.join(" "))
}

fn percentiles(args: &[Bytes]) -> Checked {
    if let [one] = args {
        if one.is_empty() {
            return Ok(String::new());
        }
    }
    let mut out = Vec::new();
    for a in args {
        let v: f64 = std::str::from_utf8(a)
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| "Invalid latency-tracking-info-percentiles parameters".to_string())?;
        if !(0.0..=100.0).contains(&v) {
            return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
        }
        out.push(format!("{v}"));
    }
    Ok(out.join(" "))
}

fn mem_or_percent(v: &[u8]) -> Checked {
    if let Some(num) = v.strip_suffix(b"%") {
        let n = parse_i64(num)
            .filter(|n| *n >= 0)
            .ok_or_else(|| "argument must be a memory or percent value".to_string())?;
        if n > 100 {
            return Err("percentage argument must be less or equal to 100".into());
        }
        return Ok(format!("{n}%"));
    }
    parse_memory(v).map(|n| n.to_string()).ok_or_else(|| "argument must be a memory or percent value".into())
}

/// The client classes of `client-output-buffer-limit`, as CONFIG GET names them.
pub const BUFFER_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Applies `args` (class hard soft seconds, repeated) to the current limits
/// `current` ("normal 0 0 0 slave ... pubsub ..."); classes not named keep
/// their values.
pub fn output_buffer_limit(current: &str, args: &[Bytes]) -> Checked {
    if args.is_empty() || !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits: Vec<[String; 3]> = BUFFER_CLASSES
        .iter()
        .map(|class| {
            let words: Vec<&str> = current.split(' ').collect();
            let at = words.iter().position(|w| w == class).unwrap_or(0);
            let get = |i: usize| words.get(at + i).map(|s| s.to_string()).unwrap_or_else(|| "0".into());
            [get(1), get(2), get(3)]
        })
        .collect();
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_slice() {
            b"normal" => 0,
            b"slave" | b"replica" => 1,
            b"pubsub" => 2,
            _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
        };
        let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_string();
        let hard = parse_memory(&group[1]).ok_or_else(bad)?;
        let soft = parse_memory(&group[2]).ok_or_else(bad)?;
        let secs = strtoll_whole(&group[3]).filter(|s| *s >= 0).ok_or_else(bad)?;
        limits[class] = [hard.to_string(), soft.to_string(), secs.to_string()];
    }
    Ok(BUFFER_CLASSES.iter().zip(limits).map(|(c, [h, s, t])| format!("{c} {h} {s} {t}")).collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(kind: Kind, v: &str) -> Checked {
        check(kind, &[Bytes::copy_from_slice(v.as_bytes())])
    }

    #[test]
    fn memory_units_follow_redis() {
        assert_eq!(parse_memory(b"1K"), Some(1000));
        assert_eq!(parse_memory(b"1kb"), Some(1024));
        assert_eq!(parse_memory(b"1GB"), Some(1 << 30));
        assert_eq!(parse_memory(b"100B"), Some(100));
        assert_eq!(parse_memory(b""), Some(0));
        assert_eq!(parse_memory(b" 100"), None);
        assert_eq!(parse_memory(b"+5"), None);
        assert_eq!(parse_memory(b"1.5gb"), None);
        assert_eq!(parse_memory(b"99999999999999999999"), Some(u64::MAX));
    }

    #[test]
    fn scalar_kinds() {
        assert_eq!(one(Kind::Bool, "YES"), Ok("yes".into()));
        assert_eq!(one(Kind::Bool, ""), Err("argument must be 'yes' or 'no'".into()));
        assert_eq!(one(Kind::Int(0, 10), "00010"), Err("argument couldn't be parsed into an integer".into()));
        assert_eq!(one(Kind::Int(0, 10), "11"), Err("argument must be between 0 and 10 inclusive".into()));
        assert_eq!(one(Kind::Enum(&["a", "b"]), "B"), Ok("b".into()));
        assert_eq!(one(Kind::Enum(&["a", "b"]), "c"), Err("argument(s) must be one of the following: a, b".into()));
        assert_eq!(one(Kind::MemOrPercent, "10%"), Ok("10%".into()));
        assert_eq!(one(Kind::MemOrPercent, "200%"), Err("percentage argument must be less or equal to 100".into()));
    }

    #[test]
    fn list_kinds() {
        let split = |s: &str| s.split(' ').map(|w| Bytes::copy_from_slice(w.as_bytes())).collect::<Vec<_>>();
        assert_eq!(check(Kind::Save, &split("900 1 300 10")), Ok("900 1 300 10".into()));
        assert_eq!(check(Kind::Save, &split("")), Ok("".into()));
        assert_eq!(check(Kind::Save, &split(" 100  1 ")), Err("Invalid save parameters".into()));
        assert_eq!(check(Kind::Save, &split("0 1")), Err("Invalid save parameters".into()));
        assert_eq!(one(Kind::KeyspaceEvents, "KEA"), Ok("AKE".into()));
        assert_eq!(one(Kind::KeyspaceEvents, "Kxgmn$"), Ok("g$xnKm".into()));
        assert!(one(Kind::KeyspaceEvents, "q").is_err());
        assert_eq!(
            check(Kind::OomScoreAdjValues, &split("1 2 3000")).unwrap_err(),
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
        );
        assert_eq!(check(Kind::Percentiles, &split("50 99.5")), Ok("50 99.5".into()));
        let cur = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
        assert_eq!(
            output_buffer_limit(cur, &split("replica 1mb 2mb 3")),
            Ok("normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60".into())
        );
        assert!(output_buffer_limit(cur, &split("foo 1 2 3")).unwrap_err().contains("Invalid client class"));
        assert!(output_buffer_limit(cur, &split("normal a 2 3")).unwrap_err().contains("soft_seconds"));
    }
}
