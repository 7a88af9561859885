//! DUMP and RESTORE payloads: one value in RDB form (type byte and body),
//! then the RDB version as two little-endian bytes, then the CRC64 of
//! everything before it, little endian.

use super::crc64::crc64;
use super::decode_value::read_value;
use super::encode_value::ValueEncoder;
use super::format::{Cursor, RDB_VERSION};
use super::{LoadOptions, RdbError, PAYLOAD_VERSION_OR_CHECKSUM};
use crate::reference::Value;

/// Version and checksum.
const FOOTER: usize = 10;

pub fn dump_payload_with(value: &Value, compression: bool) -> Vec<u8> {
    let mut enc = ValueEncoder::new(compression, -2);
    let mut out = vec![ValueEncoder::type_byte(value)];
    enc.value(&mut out, value);
    out.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

pub fn restore_payload_with(payload: &[u8], opts: &LoadOptions) -> Result<Value, RdbError> {
    let wrong = |offset: usize| RdbError { offset, message: PAYLOAD_VERSION_OR_CHECKSUM.to_string() };
    if payload.len() < FOOTER {
        return Err(wrong(0));
    }
    let footer_at = payload.len() - FOOTER;
    let version = u16::from_le_bytes([payload[footer_at], payload[footer_at + 1]]);
    if version as u32 > RDB_VERSION {
        return Err(wrong(footer_at));
    }
    if opts.verify_checksum {
        let stored = u64::from_le_bytes(payload[footer_at + 2..].try_into().expect("8 bytes"));
        if crc64(0, &payload[..footer_at + 2]) != stored {
            return Err(wrong(footer_at + 2));
        }
    }
    let mut cur = Cursor::new(&payload[..footer_at]);
    let type_byte = cur.u8("value type").map_err(bad_format)?;
    // Like Redis, bytes left between the value and the footer are ignored.
    match read_value(&mut cur, type_byte, 0, opts).map_err(bad_format)? {
        Some(v) => Ok(v),
        None => Err(bad_format(cur.error_at(1, "empty collection"))),
    }
}

/// Everything wrong with the body is "Bad data format" to a client.
fn bad_format(e: RdbError) -> RdbError {
    RdbError { offset: e.offset, message: format!("{}: {}", super::PAYLOAD_BAD_FORMAT, e.message) }
}
