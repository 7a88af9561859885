//! The multi-part AOF manifest (Redis 7): which base and incremental files
//! make up the AOF, in order, one line per file:
//! `file appendonly.aof.1.base.rdb seq 1 type b`.
//!
//! Types are `b` (base), `i` (incremental) and `h` (history: superseded by a
//! rewrite, to be deleted). The manifest is replaced atomically (temp file,
//! fsync, rename) whenever the set of files changes.

/// What role a file plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Base,
    Incr,
    History,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::Incr => 'i',
            FileKind::History => 'h',
        }
    }
}

/// One file of the AOF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofFile {
    pub name: String,
    pub seq: u64,
    pub kind: FileKind,
}

/// The manifest's contents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofFile>,
    /// Incremental files, oldest first.
    pub incrs: Vec<AofFile>,
    pub history: Vec<AofFile>,
}

/// Redis refuses manifest lines longer than this.
const MAX_LINE: usize = 1024;

impl Manifest {
    /// Parses a manifest; the error text says what is wrong, as Redis does.
    pub fn parse(text: &[u8]) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        if text.is_empty() {
            return Err("Found an empty AOF manifest".into());
        }
        let mut rest = text;
        while !rest.is_empty() {
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                return Err("The AOF manifest file is invalid format".into());
            };
            let line = &rest[..end];
            rest = &rest[end + 1..];
            if end + 1 > MAX_LINE {
                return Err("The AOF manifest file contains too long line".into());
            }
            let line = String::from_utf8_lossy(line);
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = split_words(line).ok_or("Invalid AOF manifest file format")?;
            if words.len() % 2 != 0 {
                return Err("Invalid AOF manifest file format".into());
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in words.chunks(2) {
                match pair[0].as_str() {
                    "file" => name = Some(pair[1].clone()),
                    "seq" => seq = pair[1].parse::<u64>().ok(),
                    "type" => {
                        kind = match pair[1].as_str() {
                            "b" => Some(FileKind::Base),
                            "i" => Some(FileKind::Incr),
                            "h" => Some(FileKind::History),
                            _ => None,
                        }
                    }
                    // Unknown fields are skipped, as Redis does, for future versions.
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err("Invalid AOF manifest file format".into());
            };
            if name.contains('/') {
                return Err("File can't be a path, just a filename".into());
            }
            let f = AofFile { name, seq, kind };
            match kind {
                FileKind::Base => {
                    if m.base.is_some() {
                        return Err("Found duplicate base file information".into());
                    }
                    m.base = Some(f);
                }
                FileKind::Incr => {
                    if m.incrs.last().is_some_and(|l| l.seq >= f.seq) {
                        return Err("Found a non-monotonic sequence number".into());
                    }
                    m.incrs.push(f);
                }
                FileKind::History => m.history.push(f),
            }
        }
        if m.base.is_none() && m.incrs.is_empty() && m.history.is_empty() {
            return Err("Found an empty AOF manifest".into());
        }
        Ok(m)
    }

    /// The manifest file's text: base first, then history, then incrementals.
    pub fn format(&self) -> String {
        let mut out = String::new();
        let all = self.base.iter().chain(self.history.iter()).chain(self.incrs.iter());
        for f in all {
            out.push_str(&format!("file {} seq {} type {}\n", quote(&f.name), f.seq, f.kind.letter()));
        }
        out
    }

    /// Files to load, in order: the base, then each incremental file.
    pub fn load_order(&self) -> Vec<&AofFile> {
        self.base.iter().chain(self.incrs.iter()).collect()
    }

    pub fn last_incr_seq(&self) -> u64 {
        self.incrs.iter().map(|f| f.seq).max().unwrap_or(0)
    }

    pub fn base_seq(&self) -> u64 {
        self.base.as_ref().map_or(0, |b| b.seq)
    }
}

/// `appendonly.aof.3.base.rdb` / `.base.aof`.
pub fn base_name(prefix: &str, seq: u64, rdb: bool) -> String {
    format!("{prefix}.{seq}.base.{}", if rdb { "rdb" } else { "aof" })
}

/// `appendonly.aof.3.incr.aof`.
pub fn incr_name(prefix: &str, seq: u64) -> String {
    format!("{prefix}.{seq}.incr.aof")
}

/// `appendonly.aof.manifest`.
pub fn manifest_name(prefix: &str) -> String {
    format!("{prefix}.manifest")
}

/// A name is written bare unless it needs quoting (spaces, quotes, controls).
fn quote(name: &str) -> String {
    if name.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\') {
        return name.to_string();
    }
    let mut out = String::from("\"");
    for b in name.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// Splits a line into words, honouring double quotes with backslash escapes.
fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { return Some(words) };
        let mut word = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.next()? {
                        'n' => word.push('\n'),
                        'r' => word.push('\r'),
                        't' => word.push('\t'),
                        'x' => {
                            let hex: String = [chars.next()?, chars.next()?].iter().collect();
                            word.push(u8::from_str_radix(&hex, 16).ok()? as char);
                        }
                        other => word.push(other),
                    },
                    other => word.push(other),
                }
            }
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                return None;
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_redis_format() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\n\
                    file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n";
        let m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.2.base.rdb");
        assert_eq!(m.incrs.len(), 2);
        assert_eq!(m.history.len(), 1);
        assert_eq!(m.format(), text);
        assert_eq!(m.last_incr_seq(), 3);
        let odd = Manifest {
            base: Some(AofFile { name: "my aof.1.base.aof".into(), seq: 1, kind: FileKind::Base }),
            ..Default::default()
        };
        assert_eq!(odd.format(), "file \"my aof.1.base.aof\" seq 1 type b\n");
        assert_eq!(Manifest::parse(odd.format().as_bytes()).unwrap(), odd);
    }

    #[test]
    fn bad_manifests_are_refused() {
        for bad in [
            "",
            "file a seq 1 type b",
            "file a seq 1\n",
            "file a seq x type b\n",
            "file a seq 1 type z\n",
            "file a seq 1 type b\nfile b seq 2 type b\n",
            "file a seq 2 type i\nfile b seq 1 type i\n",
            "file ../a seq 1 type b\n",
            "file \"a seq 1 type b\n",
        ] {
            assert!(Manifest::parse(bad.as_bytes()).is_err(), "{bad:?} accepted");
        }
        assert!(Manifest::parse(b"# comment\nfile a seq 1 type i\n").is_ok());
    }
}
