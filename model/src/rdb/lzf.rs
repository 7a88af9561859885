//! LZF, the compression RDB uses for long strings (and compressed quicklist
//! nodes).
//!
//! The format is a sequence of runs. A control byte below 32 starts a run of
//! `ctrl + 1` literal bytes. Otherwise it is a back reference: the top three
//! bits are the length minus 2 (7 means "add the next byte"), the low five bits
//! and the following byte the distance minus 1.
//!
//! The compressor follows liblzf's "very fast" matcher as Redis builds it
//! (16-bit hash table of positions, references at most 8 KiB back, at most
//! 264 bytes long), so its output is normally byte-identical to Redis's. One
//! quirk is kept on purpose: a position stored as 0 means "no entry", so the
//! first byte of the input is never a reference target.

/// Longest literal run.
const MAX_LITERAL: usize = 32;
/// Farthest back a reference may point.
const MAX_DISTANCE: usize = 1 << 13;
/// Longest reference, in bytes beyond the minimum of 2.
const MAX_REF_EXTRA: usize = (1 << 8) + (1 << 3);
const HASH_BITS: u32 = 16;

/// A compressor with a reusable hash table: the table is 512 KiB, too much to
/// clear for every string, so each entry carries the number of the call that
/// wrote it and older entries count as empty. It is allocated on first use,
/// so a writer that never compresses never pays for it.
pub struct Compressor {
    table: Vec<(u32, u32)>,
    generation: u32,
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor::new()
    }
}

impl Compressor {
    pub fn new() -> Compressor {
        Compressor { table: Vec::new(), generation: 0 }
    }

    /// Compresses `input`; `None` unless the result fits in `limit` bytes
    /// (Redis asks for at least 4 bytes saved: `limit = len - 4`).
    pub fn compress(&mut self, input: &[u8], limit: usize) -> Option<Vec<u8>> {
        let n = input.len();
        if n == 0 || limit == 0 || n > u32::MAX as usize {
            return None;
        }
        if self.table.is_empty() {
            self.table = vec![(0, 0); 1 << HASH_BITS];
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.table.iter_mut().for_each(|e| *e = (0, 0));
            self.generation = 1;
        }
        let generation = self.generation;
        let mut out: Vec<u8> = Vec::with_capacity(limit.min(n + n / 32 + 2));
        // `out` always ends with an open literal run: its control byte sits
        // at `out.len() - lit - 1` and is patched when the run closes.
        let mut lit = 0usize;
        out.push(0);
        let mut ip = 0usize;
        let mut hval: u32 = if n >= 2 { ((input[0] as u32) << 8) | input[1] as u32 } else { 0 };
        while n >= 3 && ip < n - 2 {
            hval = (hval << 8) | input[ip + 2] as u32;
            let slot = hash_slot(hval);
            let (gen, stored) = self.table[slot];
            let candidate = if gen == generation { stored as usize } else { 0 };
            self.table[slot] = (generation, ip as u32);
            let is_match = candidate > 0
                && ip - candidate - 1 < MAX_DISTANCE
                && input[candidate + 2] == input[ip + 2]
                && input[candidate..candidate + 2] == input[ip..ip + 2];
            if !is_match {
                if out.len() >= limit {
                    return None;
                }
                lit += 1;
                out.push(input[ip]);
                ip += 1;
                if lit == MAX_LITERAL {
                    close_run(&mut out, lit);
                    lit = 0;
                    out.push(0);
                }
                continue;
            }
            let distance = ip - candidate - 1;
            let max_len = (n - ip - 2).min(MAX_REF_EXTRA);
            if out.len() + 4 >= limit && out.len() - usize::from(lit == 0) + 4 >= limit {
                return None;
            }
            if lit == 0 {
                out.pop();
            } else {
                close_run(&mut out, lit);
            }
            let len = match_length(input, candidate, ip, max_len);
            let extra = len - 2;
            if extra < 7 {
                out.push(((distance >> 8) + (extra << 5)) as u8);
            } else {
                out.push(((distance >> 8) + (7 << 5)) as u8);
                out.push((extra - 7) as u8);
            }
            out.push(distance as u8);
            lit = 0;
            out.push(0);
            ip += extra + 2;
            if ip >= n - 2 {
                break;
            }
            // Hash the last two positions of the match so later data can refer to them.
            ip -= 2;
            hval = ((input[ip] as u32) << 8) | input[ip + 1] as u32;
            for _ in 0..2 {
                hval = (hval << 8) | input[ip + 2] as u32;
                self.table[hash_slot(hval)] = (generation, ip as u32);
                ip += 1;
            }
        }
        if out.len() + 3 > limit {
            return None;
        }
        while ip < n {
            lit += 1;
            out.push(input[ip]);
            ip += 1;
            if lit == MAX_LITERAL {
                close_run(&mut out, lit);
                lit = 0;
                out.push(0);
            }
        }
        if lit == 0 {
            out.pop();
        } else {
            close_run(&mut out, lit);
        }
        Some(out)
    }
}

/// liblzf's hash of the three bytes held in the low 24 bits of `h` (with its
/// unsigned 32-bit wrap-around).
fn hash_slot(h: u32) -> usize {
    ((h >> (24 - HASH_BITS)).wrapping_sub(h.wrapping_mul(5)) & ((1 << HASH_BITS) - 1)) as usize
}

fn close_run(out: &mut [u8], lit: usize) {
    let at = out.len() - lit - 1;
    out[at] = (lit - 1) as u8;
}

/// Length of the match at `ip` against `candidate`: the first three bytes are
/// known to match; the count stops at the first difference or past `max_len`,
/// the way liblzf's unrolled loop does (it checks up to 16 bytes before looking at
/// the limit, so a match may end one byte past `max_len`).
fn match_length(input: &[u8], candidate: usize, ip: usize, max_len: usize) -> usize {
    let mut len = 2;
    if max_len > 16 {
        for _ in 0..16 {
            len += 1;
            if input[candidate + len] != input[ip + len] {
                return len;
            }
        }
    }
    loop {
        len += 1;
        if !(len < max_len && input[candidate + len] == input[ip + len]) {
            return len;
        }
    }
}

/// Compresses with a fresh table (tests and one-off callers).
pub fn compress(input: &[u8], limit: usize) -> Option<Vec<u8>> {
    Compressor::new().compress(input, limit)
}

/// Decompresses `input`, which must expand to exactly `expected_len` bytes.
/// The output never grows past `expected_len`, so a lying length cannot make
/// it allocate more than the data can produce.
pub fn decompress(input: &[u8], expected_len: usize) -> Result<Vec<u8>, String> {
    // A control byte plus one byte yields at most 264 + 2 bytes; anything
    // claiming more than that ratio is corrupt, and we refuse to reserve it.
    if expected_len > input.len().saturating_mul(MAX_REF_EXTRA + 2) {
        return Err(format!("LZF length {expected_len} impossible for {} compressed bytes", input.len()));
    }
    let mut out: Vec<u8> = Vec::with_capacity(expected_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < MAX_LITERAL {
            let run = ctrl + 1;
            if i + run > input.len() {
                return Err("LZF literal run past the end of the input".into());
            }
            if out.len() + run > expected_len {
                return Err("LZF output longer than announced".into());
            }
            out.extend_from_slice(&input[i..i + run]);
            i += run;
            continue;
        }
        let mut len = ctrl >> 5;
        if len == 7 {
            len += *input.get(i).ok_or("LZF reference length past the end of the input")? as usize;
            i += 1;
        }
        let low = *input.get(i).ok_or("LZF reference distance past the end of the input")? as usize;
        i += 1;
        let distance = ((ctrl & 0x1f) << 8) + low + 1;
        let len = len + 2;
        if distance > out.len() {
            return Err("LZF reference before the start of the output".into());
        }
        if out.len() + len > expected_len {
            return Err("LZF output longer than announced".into());
        }
        let start = out.len() - distance;
        for k in 0..len {
            let b = out[start + k];
            out.push(b);
        }
    }
    if out.len() != expected_len {
        return Err(format!("LZF output is {} bytes, {} announced", out.len(), expected_len));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_output_for_a_run() {
        // What Redis 7.0 writes for SET big <64 x 'a'> (read from its dump).
        let input = vec![b'a'; 64];
        let got = compress(&input, 60).unwrap();
        assert_eq!(got, [0x01, 0x61, 0x61, 0xe0, 0x33, 0x00, 0x01, 0x61, 0x61]);
        assert_eq!(decompress(&got, 64).unwrap(), input);
    }

    #[test]
    fn round_trips_varied_inputs() {
        let mut c = Compressor::new();
        let mut seed = 12345u64;
        for len in [1usize, 2, 3, 4, 21, 100, 1000, 9000, 70000] {
            for kind in 0..4 {
                let data: Vec<u8> = (0..len)
                    .map(|i| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        match kind {
                            0 => (seed >> 60) as u8,
                            1 => (i % 7) as u8,
                            2 => b"hello world "[i % 12],
                            _ => (seed >> 33) as u8,
                        }
                    })
                    .collect();
                if let Some(z) = c.compress(&data, len + 64) {
                    assert_eq!(decompress(&z, len).unwrap(), data, "len {len} kind {kind}");
                    // A fresh table gives the same bytes as a reused one.
                    assert_eq!(compress(&data, len + 64).unwrap(), z);
                }
            }
        }
    }

    #[test]
    fn incompressible_data_does_not_fit_the_limit() {
        let data: Vec<u8> = (0..=255u8).collect();
        assert_eq!(compress(&data, data.len() - 4), None);
        assert_eq!(compress(b"", 10), None);
    }

    #[test]
    fn corrupt_input_is_an_error() {
        assert!(decompress(&[0x05, b'a'], 6).is_err()); // literal run too short
        assert!(decompress(&[0x20, 0x00], 3).is_err()); // reference before start
        assert!(decompress(&[0x00, b'a'], 2).is_err()); // shorter than announced
        assert!(decompress(&[0x00, b'a', 0x20, 0x00], 2).is_err()); // longer
        assert!(decompress(&[0xe0], 10).is_err()); // truncated reference
        assert!(decompress(&[0x00, b'a'], usize::MAX).is_err()); // absurd length
        assert_eq!(decompress(&[0x00, b'a', 0x20, 0x00], 4).unwrap(), b"aaaa");
    }
}
