//! Arguments that MONITOR and SLOWLOG must not show: passwords.

use bytes::Bytes;

const REDACTED: &[u8] = b"(redacted)";

/// Parameters whose CONFIG SET value is a secret.
const SENSITIVE_CONFIGS: &[&str] = &["requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass"];

/// `argv` with secrets replaced by "(redacted)": every AUTH argument, HELLO's
/// AUTH user and password, and the values of sensitive CONFIG SET parameters.
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
    }
}
