//! One task per connection: bytes read go to the node task as events, bytes
//! the node wants sent arrive through the connection's outbox and are written
//! in order. A Close in the outbox ends the connection after what came before.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use super::node_task::Event;
use crate::node::ConnInfo;

/// What the node task sends a connection.
#[derive(Debug)]
pub enum Outgoing {
    Data(Vec<u8>),
    Close,
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
    let (out_tx, mut out_rx) = mpsc::unbounded_channel();
    let (id_tx, id_rx) = oneshot::channel();
    if events.send(Event::Connected { info, outbox: out_tx, reply: id_tx }).is_err() {
        return;
    }
    let Ok(id) = id_rx.await else { return };
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        tokio::select! {
            // Outgoing data first: a Close must not lose replies queued before it.
            biased;
            msg = out_rx.recv() => match msg {
                Some(Outgoing::Data(bytes)) => {
                    if stream.write_all(&bytes).await.is_err() {
                        break;
                    }
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
