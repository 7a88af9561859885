//! What a key holds, with the metadata Redis keeps on every object.

use super::{HashValue, ListValue, SetValue, ZSetValue};
use crate::num;

/// Objects of the integers 0..9999 are shared in Redis (OBJ_SHARED_INTEGERS).
pub const SHARED_INTEGERS: i64 = 10000;
/// Strings up to this length are stored "embstr" (object and bytes in one allocation).
pub const EMBSTR_SIZE_LIMIT: usize = 44;
/// OBJECT REFCOUNT of a shared object (INT_MAX in Redis).
pub const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// A value of one of Redis's types.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(StrValue),
    List(ListValue),
    Hash(HashValue),
    Set(SetValue),
    ZSet(ZSetValue),
}

impl Value {
    /// TYPE's answer.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => match s.encoding {
                StrEncoding::Int { .. } => "int",
                StrEncoding::Embstr => "embstr",
                StrEncoding::Raw => "raw",
            },
            Value::List(v) => v.encoding_name(),
            Value::Hash(v) => v.encoding_name(),
            Value::Set(v) => v.encoding_name(),
            Value::ZSet(v) => v.encoding_name(),
        }
    }

    /// Rough memory use of the value in bytes, for INFO memory.
    pub fn approx_bytes(&self) -> usize {
        match self {
            Value::Str(s) => s.bytes.len(),
            Value::List(v) => v.approx_bytes(),
            Value::Hash(v) => v.approx_bytes(),
            Value::Set(v) => v.approx_bytes(),
            Value::ZSet(v) => v.approx_bytes(),
        }
    }

    /// OBJECT REFCOUNT's answer.
    pub fn refcount(&self) -> i64 {
        match self {
            Value::Str(StrValue { encoding: StrEncoding::Int { shared: true }, .. }) => SHARED_REFCOUNT,
            _ => 1,
        }
    }
}

/// How Redis would store a string; only OBJECT ENCODING and REFCOUNT can see it,
/// but they are part of the interface, so the model tracks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrEncoding {
    /// A 64-bit integer; `shared` when it is one of Redis's shared integer objects.
    Int {
        shared: bool,
    },
    Embstr,
    Raw,
}

/// A string value.
#[derive(Clone, Debug, PartialEq)]
pub struct StrValue {
    pub bytes: Vec<u8>,
    pub encoding: StrEncoding,
}

impl StrValue {
    /// A string as SET stores its argument (Redis's `tryObjectEncoding`):
    /// integers of up to 20 bytes become "int", short strings "embstr".
    pub fn encoded(bytes: Vec<u8>, share_integers: bool) -> StrValue {
        if bytes.len() <= 20 {
            if let Some(v) = num::parse_i64(&bytes) {
                return StrValue::from_integer(v, share_integers);
            }
        }
        StrValue::plain(bytes)
    }

    /// A string created from bytes without trying the integer encoding
    /// (Redis's `createStringObject`).
    pub fn plain(bytes: Vec<u8>) -> StrValue {
        let encoding = if bytes.len() <= EMBSTR_SIZE_LIMIT { StrEncoding::Embstr } else { StrEncoding::Raw };
        StrValue { bytes, encoding }
    }

    /// A string that was modified in place (APPEND, SETRANGE): always "raw".
    pub fn raw(bytes: Vec<u8>) -> StrValue {
        StrValue { bytes, encoding: StrEncoding::Raw }
    }

    /// An integer result (INCR and friends).
    pub fn from_integer(v: i64, share_integers: bool) -> StrValue {
        let shared = share_integers && (0..SHARED_INTEGERS).contains(&v);
        StrValue { bytes: v.to_string().into_bytes(), encoding: StrEncoding::Int { shared } }
    }
}
