//! redis.conf text and `--name value` command-line options, read the way
//! redis-server reads them: the options become extra config lines appended
//! after the file, so one loader handles both and errors point at a line.

use bytes::Bytes;
use redsim_model::resp::request::split_args;

use super::Config;

/// Why a configuration could not be loaded: the 1-based line, the line as
/// read, and Redis's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub line_no: usize,
    pub line: String,
    pub reason: String,
}

impl FileError {
    /// The block redis-server prints on stderr before exiting with status 1.
    pub fn fatal_message(&self) -> String {
        format!(
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}\n",
            self.line_no, self.line, self.reason
        )
    }
}

/// The config text redis-server builds from its command line after the config
/// file: each `--name` starts a line, the arguments after it are appended
/// quoted. The argument right after a lone `--name` is always its value, even
/// if it starts with `--`; a `--save` with nothing after it means `save ""`.
pub fn args_to_config_text(args: &[String]) -> String {
    let mut out = String::new();
    let mut value_expected = false;
    for (j, arg) in args.iter().enumerate() {
        if !value_expected && arg.starts_with("--") {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&arg[2..]);
            out.push(' ');
            let words = split_args(arg.as_bytes()).map(|w| w.len()).unwrap_or(0);
            if words == 1 {
                value_expected = true;
                let next_is_option = args.get(j + 1).is_some_and(|n| n.starts_with("--"));
                let is_save = arg.eq_ignore_ascii_case("--save");
                if is_save && (next_is_option || j + 1 == args.len()) {
                    out.push_str("\"\"");
                    value_expected = false;
                }
            }
        } else {
            out.push_str(&quote(arg.as_bytes()));
            out.push(' ');
            value_expected = false;
        }
    }
    out
}

/// A string quoted the way Redis's `sdscatrepr` does, so that
/// `split_args` gives it back unchanged.
fn quote(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

/// The directives that take several arguments (Redis's `MULTI_ARG_CONFIG`).
const MULTI_ARG: [&str; 6] = [
    "save",
    "client-output-buffer-limit",
    "oom-score-adj-values",
    "bind",
    "replicaof",
    "latency-tracking-info-percentiles",
];

impl Config {
    /// Applies a whole configuration text (file contents, then a newline, then
    /// the command-line options). The first `save` line replaces the default
    /// save points, later ones add to them.
    pub fn load_text(&mut self, text: &str) -> Result<(), FileError> {
        let mut saw_save = false;
        for (n, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\r' | '\n'));
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |reason: &str| FileError { line_no: n + 1, line: line.to_string(), reason: reason.to_string() };
            let Some(argv) = split_args(line.as_bytes()) else {
                return Err(fail("Unbalanced quotes in configuration line"));
            };
            let Some((name, args)) = argv.split_first() else {
                continue;
            };
            let lower = name.to_ascii_lowercase();
            let Some((_, param)) = Config::lookup(&lower) else {
                return Err(fail("Bad directive or wrong number of arguments"));
            };
            if args.is_empty() {
                return Err(fail("wrong number of arguments"));
            }
            // `--client-output-buffer-limit "normal 1mb 0 0"` gives one
            // argument: Redis splits it at spaces for these directives.
            let split;
            let args = match args {
                [one] if !one.is_empty() && MULTI_ARG.contains(&param.name) => {
                    split = one.split(|b| *b == b' ').map(Bytes::copy_from_slice).collect::<Vec<_>>();
                    &split[..]
                }
                _ => args,
            };
            let result = if param.name == "save" {
                let r = if saw_save { self.append_save(args) } else { self.set_startup(&lower, args) };
                saw_save = true;
                r
            } else {
                self.set_startup(&lower, &args.iter().map(Bytes::clone).collect::<Vec<_>>())
            };
            result.map_err(|reason| fail(&reason))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn command_line_becomes_config_lines() {
        assert_eq!(
            args_to_config_text(&strings(&["--port", "7000", "--save", "900 1"])),
            "port \"7000\" \nsave \"900 1\" "
        );
        assert_eq!(args_to_config_text(&strings(&["--save", "--port", "1"])), "save \"\"\nport \"1\" ");
        assert_eq!(args_to_config_text(&strings(&["--requirepass", "--x"])), "requirepass \"--x\" ");
        assert_eq!(args_to_config_text(&strings(&["--save"])), "save \"\"");
    }

    #[test]
    fn loads_files_and_reports_bad_lines() {
        let mut c = Config::new();
        c.load_text("# comment\nport 7001\n  hz 20  \nsave 900 1\nsave 60 100\nmaxmemory 1mb\n").unwrap();
        assert_eq!(c.get("port"), "7001");
        assert_eq!(c.get("hz"), "20");
        assert_eq!(c.get("save"), "900 1 60 100");
        assert_eq!(c.get("maxmemory"), "1048576");
        let e = c.load_text("\nfoo \"bar\"").unwrap_err();
        assert_eq!(
            (e.line_no, e.line.as_str(), e.reason.as_str()),
            (2, "foo \"bar\"", "Bad directive or wrong number of arguments")
        );
        assert!(e.fatal_message().contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo \"bar\"'\n"));
        let e = c.load_text("hz abc").unwrap_err();
        assert_eq!(e.reason, "argument couldn't be parsed into an integer");
        let e = c.load_text("port 1 2").unwrap_err();
        assert_eq!(e.reason, "wrong number of arguments");
        c.load_text("save \"\"").unwrap();
        assert_eq!(c.get("save"), "");
        c.load_text("client-output-buffer-limit pubsub 1 2 3").unwrap();
        assert!(c.get("client-output-buffer-limit").ends_with("pubsub 1 2 3"));
    }

    #[test]
    fn one_quoted_argument_of_a_multi_argument_directive_is_split_at_spaces() {
        let mut c = Config::new();
        let text = args_to_config_text(&strings(&[
            "--client-output-buffer-limit",
            "normal 2mb 1mb 10",
            "--replicaof",
            "127.0.0.1 7000",
            "--save",
            "",
        ]));
        c.load_text(&text).unwrap();
        assert!(c.get("client-output-buffer-limit").starts_with("normal 2097152 1048576 10 "));
        assert_eq!(c.get("replicaof"), "127.0.0.1 7000");
        assert_eq!(c.get("save"), "");
        // Other directives keep their one argument whole.
        let e = c.load_text("port \"1 2\"").unwrap_err();
        assert_eq!(e.reason, "argument couldn't be parsed into an integer");
    }
}
