//! The options of SCAN, HSCAN, SSCAN and ZSCAN (Redis's `scanGenericCommand`).

use bytes::Bytes;

use super::{parse_i64, syntax, Args};
use crate::errors::RedisResult;

/// MATCH, COUNT and (keyspace SCAN only) TYPE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanOptions {
    /// `None` also for the pattern `*`, which Redis does not even try to match
    /// (so `*` lists an empty member that no other pattern could).
    pub pattern: Option<Bytes>,
    pub count: u64,
    /// TYPE filter, compared case-insensitively with TYPE's answer.
    pub type_name: Option<Bytes>,
}

impl ScanOptions {
    /// Every option needs its value, COUNT must be an integer >= 1, and TYPE
    /// is only accepted for the keyspace (`keyspace`); anything else is a
    /// syntax error. The key scans read these after checking the key's type,
    /// as Redis does, so a missing key scans empty whatever the options.
    pub fn parse(options: &[Bytes], keyspace: bool) -> RedisResult<ScanOptions> {
        let mut o = ScanOptions { pattern: None, count: 10, type_name: None };
        let mut a = Args::new(options);
        while let Some(opt) = a.next_opt() {
            let has_value = !a.is_empty();
            if opt.eq_ignore_ascii_case(b"COUNT") && has_value {
                let count = parse_i64(&a.next()?)?;
                if count < 1 {
                    return syntax();
                }
                o.count = count as u64;
            } else if opt.eq_ignore_ascii_case(b"MATCH") && has_value {
                let p = a.next()?;
                o.pattern = if &p[..] == b"*" { None } else { Some(p) };
            } else if keyspace && opt.eq_ignore_ascii_case(b"TYPE") && has_value {
                o.type_name = Some(a.next()?);
            } else {
                return syntax();
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors;

    fn opts(o: &[&str], keyspace: bool) -> RedisResult<ScanOptions> {
        ScanOptions::parse(&o.iter().map(|s| Bytes::from(s.to_string())).collect::<Vec<_>>(), keyspace)
    }

    #[test]
    fn options_as_redis_reads_them() {
        assert_eq!(opts(&["COUNT", "0"], false), Err(errors::SYNTAX));
        assert_eq!(opts(&["COUNT"], false), Err(errors::SYNTAX));
        assert_eq!(opts(&["MATCH"], false), Err(errors::SYNTAX));
        assert_eq!(opts(&["COUNT", "x"], false), Err(errors::NOT_INTEGER));
        assert_eq!(opts(&["TYPE", "string"], false), Err(errors::SYNTAX));
        assert_eq!(
            opts(&["TYPE", "string"], true),
            Ok(ScanOptions { pattern: None, count: 10, type_name: Some(Bytes::from("string")) })
        );
        assert_eq!(opts(&["match", "*"], false), Ok(ScanOptions { pattern: None, count: 10, type_name: None }));
        assert_eq!(
            opts(&["match", "a*", "count", "3", "match", "b"], false),
            Ok(ScanOptions { pattern: Some(Bytes::from("b")), count: 3, type_name: None })
        );
    }
}
