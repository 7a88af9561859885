//! Numbers as Redis reads and writes them.
//!
//! Redis parses integers with its own strict `string2ll`, floats with libc's
//! `strtod`/`strtold`, and prints doubles with `%.17g` and `INCRBYFLOAT` results
//! with 80-bit `long double` arithmetic. Replies must match byte for byte, so the
//! rules live here rather than in Rust's `str::parse` and `Display`.

mod bigint;
mod double;
mod fp;
mod int;
mod long_double;

pub use double::{fmt_g, fmt_g17, parse_f64};
pub use int::{fmt_i64, parse_i64, parse_scan_cursor};
pub use long_double::{LongDouble, MAX_LONG_DOUBLE_CHARS};
