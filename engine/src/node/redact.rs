//! Arguments that MONITOR and SLOWLOG must not show: passwords.

use bytes::Bytes;

const REDACTED: &[u8] = b"(redacted)";

/// Parameters whose CONFIG SET value is a secret.
const SENSITIVE_CONFIGS: &[&str] = &["requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass"];

/// `argv` with secrets replaced by "(redacted)": every AUTH argument, HELLO's
/// AUTH user and password, MIGRATE's AUTH and AUTH2 arguments, and the values
/// of sensitive CONFIG SET parameters.
pub fn redacted(fullname: &str, argv: &[Bytes]) -> Vec<Bytes> {
    let mut out = argv.to_vec();
    let hide = |out: &mut Vec<Bytes>, i: usize| {
        if let Some(a) = out.get_mut(i) {
            *a = Bytes::from_static(REDACTED);
        }
    };
    match fullname {
        "auth" => (1..argv.len()).for_each(|i| hide(&mut out, i)),
        "hello" => {
            let mut j = 2;
            while j < argv.len() {
                if argv[j].eq_ignore_ascii_case(b"AUTH") && j + 2 < argv.len() {
                    hide(&mut out, j + 1);
                    hide(&mut out, j + 2);
                    j += 3;
                } else {
                    j += 2;
                }
            }
        }
        "config|set" => {
            let mut j = 2;
            while j + 1 < argv.len() {
                if SENSITIVE_CONFIGS.iter().any(|c| argv[j].eq_ignore_ascii_case(c.as_bytes())) {
                    hide(&mut out, j + 1);
                }
                j += 2;
            }
        }
        "migrate" => {
            // As migrateCommand redacts while it parses: up to KEYS, or to
            // the first word it refuses.
            let mut j = 6;
            while j < argv.len() {
                let word = &argv[j];
                if word.eq_ignore_ascii_case(b"copy") || word.eq_ignore_ascii_case(b"replace") {
                    j += 1;
                } else if word.eq_ignore_ascii_case(b"auth") && j + 1 < argv.len() {
                    hide(&mut out, j + 1);
                    j += 2;
                } else if word.eq_ignore_ascii_case(b"auth2") && j + 2 < argv.len() {
                    hide(&mut out, j + 1);
                    hide(&mut out, j + 2);
                    j += 3;
                } else {
                    break;
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<Bytes> {
        w.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(redacted("auth", &words(&["AUTH", "u", "p"])), words(&["AUTH", "(redacted)", "(redacted)"]));
        assert_eq!(
            redacted("hello", &words(&["HELLO", "2", "AUTH", "a", "b"])),
            words(&["HELLO", "2", "AUTH", "(redacted)", "(redacted)"])
        );
        assert_eq!(
            redacted("config|set", &words(&["CONFIG", "SET", "hz", "5", "requirepass", "x"])),
            words(&["CONFIG", "SET", "hz", "5", "requirepass", "(redacted)"])
        );
        assert_eq!(redacted("get", &words(&["GET", "k"])), words(&["GET", "k"]));
        assert_eq!(
            redacted("migrate", &words(&["MIGRATE", "h", "1", "", "0", "5", "COPY", "AUTH", "p", "KEYS", "auth", "x"])),
            words(&["MIGRATE", "h", "1", "", "0", "5", "COPY", "AUTH", "(redacted)", "KEYS", "auth", "x"])
        );
        assert_eq!(
            redacted("migrate", &words(&["MIGRATE", "h", "1", "k", "0", "5", "AUTH2", "u", "p"])),
            words(&["MIGRATE", "h", "1", "k", "0", "5", "AUTH2", "(redacted)", "(redacted)"])
        );
    }
}
