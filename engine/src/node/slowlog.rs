//! SLOWLOG: the most recent commands that took at least
//! `slowlog-log-slower-than` microseconds, newest first.

use std::collections::VecDeque;

use bytes::Bytes;
use redsim_model::resp::Frame;

/// Redis keeps at most this many arguments of a command...
const MAX_ARGC: usize = 32;
/// ...and at most this many bytes of each.
const MAX_ARG_LEN: usize = 128;

/// One logged command.
#[derive(Clone, Debug, PartialEq)]
pub struct SlowlogEntry {
    pub id: u64,
    /// Unix time in seconds when the command ran.
    pub time: i64,
    pub duration_us: u64,
    /// The arguments, already cut as Redis cuts them.
    pub argv: Vec<Bytes>,
    pub addr: String,
    pub name: Bytes,
}

impl SlowlogEntry {
    pub fn to_frame(&self) -> Frame {
        Frame::Array(vec![
            Frame::Integer(self.id as i64),
            Frame::Integer(self.time),
            Frame::Integer(self.duration_us as i64),
            Frame::Array(self.argv.iter().map(|a| Frame::Bulk(a.clone())).collect()),
            Frame::bulk(&self.addr),
            Frame::Bulk(self.name.clone()),
        ])
    }
}

/// The log. Entry ids keep counting across SLOWLOG RESET, as in Redis.
#[derive(Clone, Debug, Default)]
pub struct Slowlog {
    entries: VecDeque<SlowlogEntry>,
    next_id: u64,
}

impl Slowlog {
    /// Logs a command; `max_len` is `slowlog-max-len`.
    pub fn push(&mut self, argv: &[Bytes], time: i64, duration_us: u64, addr: &str, name: &[u8], max_len: usize) {
        let entry = SlowlogEntry {
            id: self.next_id,
            time,
            duration_us,
            argv: shorten(argv),
            addr: addr.to_string(),
            name: Bytes::copy_from_slice(name),
        };
        self.next_id += 1;
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }

    /// Drops the oldest entries beyond `max_len` (after CONFIG SET slowlog-max-len).
    pub fn trim(&mut self, max_len: usize) {
        self.entries.truncate(max_len);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// SLOWLOG GET count: the newest `count` entries, all for -1.
    pub fn get(&self, count: i64) -> Frame {
        let n = if count < 0 { self.entries.len() } else { (count as usize).min(self.entries.len()) };
        Frame::Array(self.entries.iter().take(n).map(SlowlogEntry::to_frame).collect())
    }
}

/// Redis keeps 31 arguments and says how many more there were, and cuts long
/// arguments to 128 bytes saying how many more bytes there were.
fn shorten(argv: &[Bytes]) -> Vec<Bytes> {
    let keep = if argv.len() > MAX_ARGC { MAX_ARGC - 1 } else { argv.len() };
    let mut out: Vec<Bytes> = argv[..keep]
        .iter()
        .map(|a| {
            if a.len() > MAX_ARG_LEN {
                let mut s = a[..MAX_ARG_LEN].to_vec();
                s.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_ARG_LEN).as_bytes());
                Bytes::from(s)
            } else {
                a.clone()
            }
        })
        .collect();
    if argv.len() > MAX_ARGC {
        out.push(Bytes::from(format!("... ({} more arguments)", argv.len() - keep)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_commands_are_cut_like_redis() {
        let mut argv = vec![Bytes::from("RPUSH"), Bytes::from("l")];
        argv.extend((1..=40).map(|i| Bytes::from(i.to_string())));
        let cut = shorten(&argv);
        assert_eq!(cut.len(), 32);
        assert_eq!(cut[31], Bytes::from("... (11 more arguments)"));
        let big = shorten(&[Bytes::from("SET"), Bytes::from("k"), Bytes::from(vec![b'x'; 200])]);
        assert_eq!(big[2].len(), 128 + "... (72 more bytes)".len());
        assert!(big[2].ends_with(b"xx... (72 more bytes)"));
    }

    #[test]
    fn newest_first_bounded_and_ids_survive_reset() {
        let mut log = Slowlog::default();
        for i in 0..5 {
            log.push(&[Bytes::from(format!("c{i}"))], 100, 1, "a:1", b"", 3);
        }
        assert_eq!(log.len(), 3);
        let Frame::Array(items) = log.get(2) else { panic!() };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0], log.entries[0].to_frame());
        assert_eq!(log.entries[0].id, 4);
        log.reset();
        log.push(&[Bytes::from("x")], 100, 1, "a:1", b"", 3);
        assert_eq!(log.entries[0].id, 5);
        assert_eq!(log.get(-1), Frame::Array(vec![log.entries[0].to_frame()]));
    }
}
