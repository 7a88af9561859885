//! The driver's disk: performs the node's storage operations on real files,
//! on one dedicated thread so the async runtime never blocks on a write or
//! an fsync. Operations run one at a time in the order the node emitted
//! them (so in order for every file); each result goes back to the node task
//! as an event.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::sync::mpsc as std_mpsc;

use tokio::sync::mpsc;

use super::node_task::Event;
use crate::node::persistence::{StorageError, StorageId, StorageOp, StorageResult};

/// The handle the node task submits operations through.
pub struct Disk {
    tx: Option<std_mpsc::Sender<(StorageId, StorageOp)>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Disk {
    /// Starts the disk thread; results arrive on `events`.
    pub fn start(events: mpsc::UnboundedSender<Event>) -> std::io::Result<Disk> {
        let (tx, rx) = std_mpsc::channel::<(StorageId, StorageOp)>();
        let thread = std::thread::Builder::new().name("redsim-disk".into()).spawn(move || {
            let mut files = Files::default();
            while let Ok((id, op)) = rx.recv() {
                let result = files.execute(&op);
                if events.send(Event::Storage { id, result }).is_err() {
                    return;
                }
            }
        })?;
        Ok(Disk { tx: Some(tx), thread: Some(thread) })
    }

    pub fn submit(&self, id: StorageId, op: StorageOp) {
        if let Some(tx) = &self.tx {
            let _ = tx.send((id, op));
        }
    }

    /// Performs every operation submitted so far, then stops the thread: the
    /// last operations before an exit (cutting a failed AOF write back, say)
    /// reach the files as they would in Redis, which does them inline.
    pub fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Open files by path, so that appending to the AOF does not reopen it each time.
#[derive(Default)]
struct Files {
    open: HashMap<String, File>,
}

/// The system's error as Redis prints it (`strerror`, without Rust's "(os error N)").
fn storage_error(e: std::io::Error) -> StorageError {
    if e.kind() == ErrorKind::NotFound {
        return StorageError::NotFound;
    }
    if e.raw_os_error() == Some(28) {
        return StorageError::NoSpace;
    }
    let text = e.to_string();
    let text = match text.rfind(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    StorageError::Io(text)
}

fn done(r: std::io::Result<()>) -> StorageResult {
    match r {
        Ok(()) => StorageResult::Done,
        Err(e) => StorageResult::Failed(storage_error(e)),
    }
}

impl Files {
    /// The open file at `path` (an existing file: writes never create one).
    fn file(&mut self, path: &str) -> std::io::Result<&mut File> {
        if !self.open.contains_key(path) {
            let f = OpenOptions::new().read(true).write(true).open(path)?;
            self.open.insert(path.to_string(), f);
        }
        Ok(self.open.get_mut(path).expect("inserted above"))
    }

    fn execute(&mut self, op: &StorageOp) -> StorageResult {
        match op {
            StorageOp::Create { path } => {
                self.open.remove(path);
                match File::create(path) {
                    Ok(f) => {
                        self.open.insert(path.clone(), f);
                        StorageResult::Done
                    }
                    Err(e) => StorageResult::Failed(storage_error(e)),
                }
            }
            StorageOp::Write { path, offset, data } => done(self.file(path).and_then(|f| write_at(f, data, *offset))),
            StorageOp::Truncate { path, len } => done(self.file(path).and_then(|f| f.set_len(*len))),
            StorageOp::Fsync { path } => {
                let is_dir = fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false);
                if is_dir {
                    done(File::open(path).and_then(|d| d.sync_all()))
                } else {
                    done(self.file(path).and_then(|f| f.sync_data()))
                }
            }
            StorageOp::Rename { from, to } => {
                self.open.remove(from);
                self.open.remove(to);
                done(fs::rename(from, to))
            }
            StorageOp::Remove { path } => {
                self.open.remove(path);
                done(fs::remove_file(path))
            }
            StorageOp::Read { path, limit } => match fs::metadata(path) {
                Ok(m) if m.len() > *limit => StorageResult::Failed(StorageError::TooLarge),
                Ok(_) => match fs::read(path) {
                    Ok(data) => StorageResult::Data(data),
                    Err(e) => StorageResult::Failed(storage_error(e)),
                },
                Err(e) => StorageResult::Failed(storage_error(e)),
            },
            StorageOp::MakeDir { path } => done(fs::create_dir_all(path)),
            StorageOp::ListDir { path } => match fs::read_dir(path) {
                Ok(entries) => {
                    let mut names: Vec<String> =
                        entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
                    names.sort();
                    StorageResult::Names(names)
                }
                Err(e) => StorageResult::Failed(storage_error(e)),
            },
            StorageOp::Size { path } => match fs::metadata(path) {
                Ok(m) => StorageResult::Size(m.len()),
                Err(e) => StorageResult::Failed(storage_error(e)),
            },
        }
    }
}

#[cfg(unix)]
fn write_at(f: &mut File, data: &[u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    f.write_all_at(data, offset)
}

#[cfg(not(unix))]
fn write_at(f: &mut File, data: &[u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    f.seek(SeekFrom::Start(offset))?;
    f.write_all(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_files_follow_the_interface() {
        let dir = std::env::temp_dir().join(format!("redsim-disk-{}", std::process::id()));
        let d = dir.display().to_string();
        let p = format!("{d}/sub/f");
        let mut files = Files::default();
        assert_eq!(files.execute(&StorageOp::MakeDir { path: format!("{d}/sub") }), StorageResult::Done);
        assert_eq!(files.execute(&StorageOp::Create { path: p.clone() }), StorageResult::Done);
        let w = |offset, data: &[u8]| StorageOp::Write { path: p.clone(), offset, data: data.to_vec() };
        assert_eq!(files.execute(&w(0, b"hello")), StorageResult::Done);
        assert_eq!(files.execute(&w(5, b" world")), StorageResult::Done);
        assert_eq!(files.execute(&StorageOp::Fsync { path: p.clone() }), StorageResult::Done);
        assert_eq!(files.execute(&StorageOp::Fsync { path: format!("{d}/sub") }), StorageResult::Done);
        assert_eq!(files.execute(&StorageOp::Truncate { path: p.clone(), len: 5 }), StorageResult::Done);
        assert_eq!(
            files.execute(&StorageOp::Read { path: p.clone(), limit: 100 }),
            StorageResult::Data(b"hello".to_vec())
        );
        assert_eq!(
            files.execute(&StorageOp::Read { path: p.clone(), limit: 2 }),
            StorageResult::Failed(StorageError::TooLarge)
        );
        let q = format!("{d}/sub/g");
        assert_eq!(files.execute(&StorageOp::Rename { from: p.clone(), to: q.clone() }), StorageResult::Done);
        assert_eq!(files.execute(&StorageOp::Size { path: q.clone() }), StorageResult::Size(5));
        assert_eq!(files.execute(&w(0, b"x")), StorageResult::Failed(StorageError::NotFound), "writes never create");
        assert_eq!(
            files.execute(&StorageOp::ListDir { path: format!("{d}/sub") }),
            StorageResult::Names(vec!["g".into()])
        );
        assert_eq!(files.execute(&StorageOp::Remove { path: q.clone() }), StorageResult::Done);
        assert_eq!(files.execute(&StorageOp::Remove { path: q }), StorageResult::Failed(StorageError::NotFound));
        let _ = fs::remove_dir_all(&dir);
    }
}
