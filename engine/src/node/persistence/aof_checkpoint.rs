//! Checksums inside the AOF, so that a damaged file is refused instead of
//! replayed as different, well-formed data.
//!
//! Redis's AOF has no checksum: a bit flip inside a value replays as another
//! value. redsim ends every write to an AOF file with an annotation line
//!
//! ```text
//! #crc64:<16 hex digits>:<length>\r\n
//! ```
//!
//! holding the CRC64 (the RDB's polynomial) of the `length` bytes just before
//! the line. Redis 7.0 and redis-check-aof skip lines starting with `#`
//! (timestamp annotations), so the files stay readable by both.
//!
//! A write and its checkpoint reach the disk together, so the checkpoints of a
//! file form a chain: each covers exactly the bytes since the previous one.
//! Bytes after the last checkpoint are a torn write (power loss keeps a prefix
//! of what was not synced): they were never acknowledged under `always`, and
//! are cut off like a truncated tail. Everything else that does not check out
//! is damage, and the file is refused. A file without checkpoints (written by
//! Redis) is read as Redis reads it.

use redsim_model::rdb::crc64::crc64;

/// The annotation's prefix.
const PREFIX: &[u8] = b"#crc64:";

/// The checkpoint line covering `data`, preceded in the file by `before`
/// (CRC64 and length of bytes already there that no checkpoint covers yet).
pub fn checkpoint_line(before: (u64, u64), data: &[u8]) -> Vec<u8> {
    let (crc, len) = before;
    format!("#crc64:{:016x}:{}\r\n", crc64(crc, data), len + data.len() as u64).into_bytes()
}

/// What the checkpoints of one file say about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Integrity {
    /// No checkpoint at all: a file Redis wrote (or an empty one).
    Unprotected,
    /// Every checkpoint checks out; the bytes up to `verified_end` are as
    /// written. `ends` lists where each checkpoint line ends, in order.
    Verified { verified_end: usize, ends: Vec<usize> },
    /// The file was damaged at or after `offset`.
    Damaged { offset: usize, reason: String },
}

/// Checks the checkpoint chain of `data`. `annotations` are the `#` lines the
/// parser met, as (start, end) offsets in file order; `parsed_end` is where
/// parsing stopped (the end of the file when it read everything).
pub fn verify(data: &[u8], annotations: &[(usize, usize)], parsed_end: usize) -> Integrity {
    let mut covered_to: Option<usize> = None;
    let mut ends = Vec::new();
    let mut unknown: Option<usize> = None;
    for &(start, end) in annotations {
        let line = &data[start..end];
        if !line.starts_with(PREFIX) {
            if !line.starts_with(b"#TS:") {
                unknown.get_or_insert(start);
            }
            continue;
        }
        let Some((crc, len)) = parse_line(line) else {
            return damaged(start, "unreadable checksum line");
        };
        let Some(from) = start.checked_sub(len) else {
            return damaged(start, "checksum covers bytes before the file start");
        };
        // Bytes before the first checkpoint may be Redis's (an AOF it wrote
        // and redsim appended to); after it, the chain has no gaps.
        if covered_to.is_some_and(|prev| prev != from) {
            return damaged(start, "checksum chain broken");
        }
        if crc64(0, &data[from..start]) != crc {
            return damaged(from, "checksum mismatch");
        }
        covered_to = Some(end);
        ends.push(end);
    }
    let from = covered_to.unwrap_or(0);
    // Past the last checkpoint, the commands that parsed may hold checkpoint
    // text as user data, but not a whole line chaining on from the last
    // checkpoint: that is one swallowed by a damaged length.
    let read = &data[from..parsed_end.max(from)];
    for i in candidates(read) {
        let line_end = read[i..].iter().position(|&b| b == b'\n').map_or(read.len(), |n| i + n + 1);
        if parse_line(&read[i..line_end]).is_some_and(|(_, len)| len == i) {
            return damaged(from + i, "checksum line inside a command");
        }
    }
    // What did not parse is a torn write, a prefix of one write: its only
    // checkpoint text can be the start of its own line, cut at the end of the
    // file. Any other was written whole and damaged since.
    let unread_start = parsed_end.max(from);
    let unread = &data[unread_start..];
    if let Some(i) = candidates(unread).find(|&i| !is_cut_line(&unread[i..])) {
        return damaged(unread_start + i, "damaged checksum line after the last valid one");
    }
    let Some(verified_end) = covered_to else {
        return Integrity::Unprotected;
    };
    if let Some(at) = unknown {
        return damaged(at, "unknown annotation in a checksummed file");
    }
    Integrity::Verified { verified_end, ends }
}

/// Whether `rest` (running to the end of the file) is a checkpoint line cut
/// short: a proper prefix of `#crc64:<16 lowercase hex>:<digits>\r\n`.
fn is_cut_line(rest: &[u8]) -> bool {
    let Some(body) = rest.strip_prefix(PREFIX) else { return false };
    let hex = body.iter().take(16).take_while(|b| is_hex(**b)).count();
    if hex < 16 {
        return hex == body.len();
    }
    let Some(after) = body[16..].strip_prefix(b":") else { return body.len() == 16 };
    let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
    matches!(&after[digits..], b"" | b"\r")
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn damaged(offset: usize, reason: &str) -> Integrity {
    Integrity::Damaged { offset, reason: reason.into() }
}

/// `#crc64:<hex>:<len>\r\n` → (crc, len).
fn parse_line(line: &[u8]) -> Option<(u64, usize)> {
    let body = line.strip_prefix(PREFIX)?.strip_suffix(b"\r\n")?;
    let body = std::str::from_utf8(body).ok()?;
    let (hex, len) = body.split_once(':')?;
    if hex.len() != 16 || !hex.bytes().all(is_hex) {
        return None;
    }
    if !len.bytes().all(|b| b.is_ascii_digit()) || len.is_empty() || len.len() > 19 {
        return None;
    }
    Some((u64::from_str_radix(hex, 16).ok()?, len.parse().ok()?))
}

/// Offsets in `bytes` where a line could start with the checkpoint prefix.
fn candidates(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let at_start = bytes.starts_with(PREFIX).then_some(0);
    let after_newline = bytes
        .windows(PREFIX.len() + 1)
        .enumerate()
        .filter_map(|(i, w)| (w[0] == b'\n' && &w[1..] == PREFIX).then_some(i + 1));
    at_start.into_iter().chain(after_newline)
}

#[cfg(test)]
mod tests {
    use super::super::aof_format::{parse_commands, ParseEnd};
    use super::*;

    fn check(data: &[u8]) -> Integrity {
        let p = parse_commands(data);
        match verify(data, &p.annotations, p.stopped_at(data.len())) {
            // The tests look at the end of the chain only.
            Integrity::Verified { verified_end, .. } => Integrity::Verified { verified_end, ends: Vec::new() },
            other => other,
        }
    }

    fn file(writes: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for w in writes {
            out.extend_from_slice(w);
            out.extend(checkpoint_line((0, 0), w));
        }
        out
    }

    const A: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
    const B: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$3\r\n222\r\n*1\r\n$4\r\nPING\r\n";

    #[test]
    fn intact_files_verify() {
        let data = file(&[A, B]);
        assert_eq!(check(&data), Integrity::Verified { verified_end: data.len(), ends: Vec::new() });
        assert_eq!(check(A), Integrity::Unprotected);
        assert_eq!(check(b""), Integrity::Unprotected);
        // Redis's bytes first, then redsim's appends.
        let mut mixed = A.to_vec();
        mixed.extend(file(&[B]));
        assert_eq!(check(&mixed), Integrity::Verified { verified_end: mixed.len(), ends: Vec::new() });
    }

    #[test]
    fn a_torn_last_write_is_an_unverified_tail() {
        let good = file(&[A]);
        let whole = file(&[A, B]);
        for cut in good.len()..whole.len() {
            assert_eq!(
                check(&whole[..cut]),
                Integrity::Verified { verified_end: good.len(), ends: Vec::new() },
                "cut at {cut}"
            );
        }
    }

    /// Whatever single bit flips, the file is refused: either its framing
    /// breaks or a checkpoint catches it. Never does it load with other
    /// data, nor lose a complete write as if it were a torn tail.
    #[test]
    fn every_single_bit_flip_is_refused() {
        let whole = file(&[A, B, A]);
        for i in 0..whole.len() {
            for bit in 0..8 {
                let mut data = whole.clone();
                data[i] ^= 1 << bit;
                let corrupt = matches!(parse_commands(&data).end, ParseEnd::Corrupt { .. });
                let verdict = check(&data);
                assert!(
                    corrupt || matches!(verdict, Integrity::Damaged { .. }),
                    "flip of bit {bit} at {i} ({:?}) passed: {verdict:?}",
                    whole[i] as char
                );
            }
        }
    }

    #[test]
    fn checkpoint_text_in_user_data_is_not_damage() {
        let value = b"x\r\n#crc64:0000000000000000:0\r\ny";
        let mut cmd = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n", value.len()).into_bytes();
        cmd.extend_from_slice(value);
        cmd.extend_from_slice(b"\r\n");
        assert_eq!(check(&cmd), Integrity::Unprotected);
        let data = file(&[A, &cmd, B]);
        assert_eq!(check(&data), Integrity::Verified { verified_end: data.len(), ends: Vec::new() });
    }

    #[test]
    fn a_checkpoint_swallowed_by_a_damaged_length_is_damage() {
        // `$10` damaged into `$NN` so that the value runs over the checkpoint
        // line, whose own CRLF then ends the value: the framing still parses.
        let cmd: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n";
        let line = checkpoint_line((0, 0), cmd);
        let grown = 10 + line.len();
        assert_eq!(grown.to_string().len(), 2, "same number of digits: nothing moves");
        let mut data = String::from_utf8(cmd.to_vec()).unwrap().replace("$10\r\n", &format!("${grown}\r\n"));
        data.push_str(std::str::from_utf8(&line).unwrap());
        let data = data.into_bytes();
        assert_eq!(parse_commands(&data).end, ParseEnd::Complete);
        assert!(matches!(check(&data), Integrity::Damaged { .. }), "{:?}", check(&data));
    }

    #[test]
    fn a_broken_chain_is_damage() {
        let mut data = file(&[A]);
        data.extend_from_slice(B);
        data.extend_from_slice(B);
        data.extend(checkpoint_line((0, 0), B));
        assert!(matches!(check(&data), Integrity::Damaged { .. }));
    }

    #[test]
    fn unknown_annotations_are_damage_only_in_checksummed_files() {
        let mut data = b"#TS:1700000000\r\n#what\r\n".to_vec();
        data.extend_from_slice(A);
        assert_eq!(check(&data), Integrity::Unprotected);
        data.extend(file(&[B]));
        assert!(matches!(check(&data), Integrity::Damaged { .. }));
    }
}
