//! One task per connection: bytes read go to the node task as events, bytes
//! the node wants sent arrive through the connection's outbox and are written
//! in order. A Close in the outbox ends the connection after what came before;
//! an abort ends it at once, dropping what was not written.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};

use super::node_task::Event;
use crate::node::ConnInfo;

/// What the node task sends a connection.
#[derive(Debug)]
pub enum Outgoing {
    Data(Vec<u8>),
    Close,
}

/// The node task's handle on a connection: its outbox, the bytes queued
/// and not yet written (what `client-output-buffer-limit` counts), and the
/// way to drop it without writing them.
#[derive(Debug)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Outgoing>,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    unsent: AtomicU64,
    abort: Notify,
}

impl Outbox {
    /// Queues `bytes`; returns how many bytes are now queued and unwritten.
    pub fn send(&self, bytes: Vec<u8>) -> u64 {
        let n = bytes.len() as u64;
        let unsent = self.shared.unsent.fetch_add(n, Ordering::Relaxed) + n;
        let _ = self.tx.send(Outgoing::Data(bytes));
        unsent
    }

    /// Bytes queued and not yet written.
    pub fn unsent(&self) -> u64 {
        self.shared.unsent.load(Ordering::Relaxed)
    }

    /// Closes after what was queued before.
    pub fn close(&self) {
        let _ = self.tx.send(Outgoing::Close);
    }

    /// Closes now; what was not written is dropped.
    pub fn abort(&self) {
        self.shared.abort.notify_one();
    }
}

const READ_CHUNK: usize = 16 * 1024;

/// Registers the connection with the node and serves it until either side closes.
pub async fn serve(mut stream: TcpStream, events: mpsc::UnboundedSender<Event>) {
    let _ = stream.set_nodelay(true);
    let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        return;
    };
    let info = ConnInfo {
        addr: peer.to_string(),
        laddr: local.to_string(),
        fd: raw_fd(&stream),
        local: peer.ip().is_loopback(),
    };
    let (tx, mut out_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared::default());
    let (id_tx, id_rx) = oneshot::channel();
    let outbox = Outbox { tx, shared: shared.clone() };
    if events.send(Event::Connected { info, outbox, reply: id_tx }).is_err() {
        return;
    }
    let Ok(id) = id_rx.await else { return };
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        tokio::select! {
            // An abort first; then outgoing data: a Close must not lose
            // replies queued before it.
            biased;
            _ = shared.abort.notified() => return,
            msg = out_rx.recv() => match msg {
                Some(Outgoing::Data(bytes)) => {
                    tokio::select! {
                        biased;
                        _ = shared.abort.notified() => return,
                        written = stream.write_all(&bytes) => if written.is_err() {
                            break;
                        },
                    }
                    shared.unsent.fetch_sub(bytes.len() as u64, Ordering::Relaxed);
                }
                Some(Outgoing::Close) | None => {
                    let _ = stream.shutdown().await;
                    return;
                }
            },
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if events.send(Event::Bytes { id, data: buf[..n].to_vec() }).is_err() {
                        return;
                    }
                }
            },
        }
    }
    let _ = events.send(Event::Closed { id });
}

#[cfg(unix)]
fn raw_fd(stream: &TcpStream) -> i64 {
    use std::os::fd::AsRawFd;
    i64::from(stream.as_raw_fd())
}

#[cfg(not(unix))]
fn raw_fd(_: &TcpStream) -> i64 {
    -1
}
