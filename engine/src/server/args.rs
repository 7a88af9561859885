//! redis-server's command line: `[/path/to/redis.conf] [--directive value ...]`,
//! plus `--version`/`-v` and `--help`/`-h`.
//!
//! A first argument that does not start with `-` names the config file; the
//! options after it become config lines appended after the file's text, so
//! they override it. redsim adds `--seed N` (the seed of the node's random
//! generator, for replaying a run); it is taken out before the rest is read.

use crate::node::config::{args_to_config_text, Config};

/// What the command line asks for.
#[derive(Debug)]
pub enum Startup {
    /// Run a server with this configuration.
    Run { config: Config, seed: Option<u64> },
    /// Print this and exit with this status.
    Exit { stdout: String, stderr: String, code: i32 },
}

const VERSION_LINE: &str =
    "Redis server v=7.0.15 sha=00000000:0 malloc=libc bits=64 build=redsim (redsim-server, engines: engine model)";

fn usage() -> String {
    [
        "Usage: ./redsim-server [/path/to/redis.conf] [options]",
        "       ./redsim-server -v or --version",
        "       ./redsim-server -h or --help",
        "",
        "Examples:",
        "       ./redsim-server (run the server with the default configuration)",
        "       ./redsim-server /etc/redis/6379.conf",
        "       ./redsim-server --port 7777",
        "       ./redsim-server /etc/myredis.conf --loglevel verbose --engine model --seed 42",
        "",
        "redsim listens on 127.0.0.1 (and ::1) unless told otherwise with --bind.",
        "",
    ]
    .join("\n")
}

/// Reads the command line (without the program name). `read_file` returns a
/// file's text; it is a parameter so that this stays testable.
pub fn parse(args: &[String], cwd: &str, read_file: impl Fn(&str) -> Result<String, String>) -> Startup {
    let exit = |stdout: String, stderr: String, code| Startup::Exit { stdout, stderr, code };
    if let Some(first) = args.first() {
        match first.as_str() {
            "-v" | "--version" => return exit(format!("{VERSION_LINE}\n"), String::new(), 0),
            "-h" | "--help" => return exit(usage(), String::new(), 0),
            _ => {}
        }
    }
    let (file, rest) = match args.first() {
        Some(a) if !a.starts_with('-') => (Some(a.clone()), &args[1..]),
        _ => (None, args),
    };
    let (seed, rest) = match take_seed(rest) {
        Ok(v) => v,
        Err(e) => return exit(String::new(), e, 1),
    };
    let mut config = Config::new();
    let _ = config.set_startup(b"dir", &[bytes::Bytes::copy_from_slice(cwd.as_bytes())]);
    let mut text = String::new();
    if let Some(path) = &file {
        match read_file(path) {
            Ok(t) => text = t,
            Err(e) => {
                return exit(String::new(), format!("Fatal error, can't open config file '{path}': {e}\n"), 1);
            }
        }
    }
    let file_text = text.clone();
    text.push('\n');
    text.push_str(&args_to_config_text(&rest));
    if let Err(e) = config.load_text(&text) {
        return exit(String::new(), e.fatal_message(), 1);
    }
    if let Some(path) = file {
        let absolute = if path.starts_with('/') { path } else { format!("{cwd}/{path}") };
        config.set_file(Some(absolute), file_text);
    }
    Startup::Run { config, seed }
}

/// Removes `--seed N` from the options.
fn take_seed(args: &[String]) -> Result<(Option<u64>, Vec<String>), String> {
    let mut seed = None;
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--seed" {
            let v = args.get(i + 1).ok_or("--seed needs a value\n")?;
            seed = Some(v.parse::<u64>().map_err(|_| format!("--seed wants an unsigned integer, got '{v}'\n"))?);
            i += 2;
        } else {
            rest.push(args[i].clone());
            i += 1;
        }
    }
    Ok((seed, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], file: Option<&str>) -> Startup {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let file = file.map(String::from);
        parse(&args, "/work", move |_| file.clone().ok_or_else(|| "No such file or directory".to_string()))
    }

    #[test]
    fn file_then_options() {
        let Startup::Run { config, seed } =
            run(&["r.conf", "--port", "7001", "--seed", "9"], Some("port 7000\nhz 20\n"))
        else {
            panic!()
        };
        assert_eq!(config.get("port"), "7001");
        assert_eq!(config.get("hz"), "20");
        assert_eq!(config.get("dir"), "/work");
        assert_eq!(config.file(), Some("/work/r.conf"));
        assert_eq!(seed, Some(9));
    }

    #[test]
    fn errors_and_info_exits() {
        let Startup::Exit { stderr, code, .. } = run(&["--port", "7808", "--foo", "bar"], None) else { panic!() };
        assert_eq!(code, 1);
        assert_eq!(
            stderr,
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'foo \"bar\"'\nBad directive or wrong number of arguments\n"
        );
        let Startup::Exit { stderr, code, .. } = run(&["missing.conf"], None) else { panic!() };
        assert_eq!(code, 1);
        assert!(stderr.contains("missing.conf"));
        let Startup::Exit { stdout, code, .. } = run(&["--version"], None) else { panic!() };
        assert_eq!(code, 0);
        assert!(stdout.starts_with("Redis server v=7.0.15"));
        let Startup::Exit { stdout, .. } = run(&["-h"], None) else { panic!() };
        assert!(stdout.starts_with("Usage:"));
    }
}
