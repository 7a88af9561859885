//! The CRC64 that guards RDB files and DUMP payloads: the "Jones" polynomial
//! 0xad93d23594c935a9, bit-reflected, initial value 0, no final xor.
//!
//! Redis checksums the whole file up to and including the EOF opcode and
//! stores the result little endian; DUMP payloads carry the CRC of the body
//! and version bytes. The table is built at compile time, so the code is a
//! plain byte-at-a-time loop.

/// The polynomial in reflected (LSB-first) form.
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

const fn build_table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY_REFLECTED } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

static TABLE: [u64; 256] = build_table();

/// Continues a CRC over `data` (start with 0); `crc64(crc64(0, a), b)` equals
/// the CRC of `a` followed by `b`, which the chunked writer relies on.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    for &b in data {
        crc = TABLE[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(crc64(0, b""), 0);
        // A DUMP payload Redis 7.0.15 produced (a listpack sorted set), whose
        // last eight bytes are the CRC of the rest, little endian.
        let payload: &[u8] = b"\x11!!\x00\x00\x00\x08\x00\x81m\x02\x00\x01\x81a\x02\x01\x01\x81n\x02\x831.5\x04\x81o\x02\x83inf\x04\xff\x0a\x00\xc7\x93\xcd\x20\xec\xa0\xf5\x89";
        let (body, sum) = payload.split_at(payload.len() - 8);
        assert_eq!(crc64(0, body).to_le_bytes(), sum);
    }

    #[test]
    fn chunked_equals_whole() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let whole = crc64(0, &data);
        for split in [0, 1, 17, 999, 1000] {
            assert_eq!(crc64(crc64(0, &data[..split]), &data[split..]), whole);
        }
    }
}
