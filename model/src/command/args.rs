//! A cursor over a command's arguments with Redis's typed readers.
//!
//! Every parser walks argv through this type, so that "not an integer",
//! "not a float" and "syntax error" come out with the same words everywhere.

use bytes::Bytes;

use crate::errors::{self, RedisResult};
use crate::num;

/// The arguments after the command name (and subcommand name, if any).
pub struct Args<'a> {
    argv: &'a [Bytes],
    pos: usize,
}

impl<'a> Args<'a> {
    /// A cursor over `argv`, which must not include the command name.
    pub fn new(argv: &'a [Bytes]) -> Self {
        Args { argv, pos: 0 }
    }

    /// Arguments not consumed yet.
    pub fn remaining(&self) -> usize {
        self.argv.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The rest of the arguments, consuming them.
    pub fn rest(&mut self) -> &'a [Bytes] {
        let r = &self.argv[self.pos..];
        self.pos = self.argv.len();
        r
    }

    /// The next argument without consuming it.
    pub fn peek(&self) -> Option<&'a Bytes> {
        self.argv.get(self.pos)
    }

    /// The next argument; a missing one is a syntax error (arity checks happen
    /// before parsing, so this only fires for options missing their value).
    #[allow(clippy::should_implement_trait)] // not an iterator: a missing argument is an error
    pub fn next(&mut self) -> RedisResult<Bytes> {
        let a = self.argv.get(self.pos).ok_or(errors::SYNTAX)?;
        self.pos += 1;
        Ok(a.clone())
    }

    /// The next argument if there is one.
    pub fn next_opt(&mut self) -> Option<Bytes> {
        let a = self.argv.get(self.pos)?.clone();
        self.pos += 1;
        Some(a)
    }

    /// The next argument as an i64 (`string2ll` rules).
    pub fn next_i64(&mut self) -> RedisResult<i64> {
        let a = self.next()?;
        parse_i64(&a)
    }

    /// The next argument upper-cased as a token, for option matching.
    pub fn next_token(&mut self) -> RedisResult<String> {
        let a = self.next()?;
        Ok(token(&a))
    }

    /// Consumes the next argument if it equals `tok` case-insensitively.
    pub fn eat(&mut self, tok: &str) -> bool {
        match self.peek() {
            Some(a) if a.eq_ignore_ascii_case(tok.as_bytes()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }
}

/// An argument upper-cased, for comparing with option names.
pub fn token(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_uppercase()
}

/// An integer argument, or `ERR value is not an integer or out of range`.
pub fn parse_i64(a: &[u8]) -> RedisResult<i64> {
    num::parse_i64(a).ok_or(errors::NOT_INTEGER)
}

/// An int argument (Redis's `getIntFromObjectOrReply`): an i64 that must also
/// fit in 32 bits, with Redis's separate error for an integer out of that range.
pub fn parse_i32(a: &[u8]) -> RedisResult<i32> {
    let v = parse_i64(a)?;
    i32::try_from(v).map_err(|_| {
        errors::RedisError::fixed("ERR value is out of range, value must between -2147483648 and 2147483647")
    })
}
