//! Outbound connections on real sockets: the node's `Connect`, `LinkSend`
//! and `LinkClose` actions. Each link is one task that resolves the name,
//! connects, then reads and writes at the same time (so a large write never
//! stops replies from being read); what happens comes back to the node task
//! as [`Event::Link`]. Timeouts are the node's business, not this module's.

use std::collections::HashMap;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::node_task::Event;
use crate::node::{LinkEvent, LinkId};

const READ_CHUNK: usize = 16 * 1024;

/// A link's task and the queue of bytes it writes.
struct Open {
    outbox: mpsc::UnboundedSender<Vec<u8>>,
    task: JoinHandle<()>,
}

/// The links the node has open.
#[derive(Default)]
pub struct Links {
    open: HashMap<LinkId, Open>,
}

impl Links {
    /// Starts connecting `link` to `host:port`; `Connected`, `Unresolved` or
    /// `Failed` follows as an event. Bytes sent before the connection is up
    /// wait for it.
    pub fn connect(&mut self, link: LinkId, host: String, port: u16, events: &mpsc::UnboundedSender<Event>) {
        let (outbox, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(link, host, port, rx, events.clone()));
        if let Some(old) = self.open.insert(link, Open { outbox, task }) {
            old.task.abort();
        }
    }

    /// Queues bytes to write on `link`.
    pub fn send(&mut self, link: LinkId, bytes: Vec<u8>) {
        if let Some(o) = self.open.get(&link) {
            let _ = o.outbox.send(bytes);
        }
    }

    /// Closes `link` now; no event follows (one already on its way is
    /// ignored by the node, which has forgotten the link).
    pub fn close(&mut self, link: LinkId) {
        if let Some(o) = self.open.remove(&link) {
            o.task.abort();
        }
    }

    /// The link ended on its own (its last event is `Unresolved`, `Failed`
    /// or `Closed`): forget it.
    pub fn ended(&mut self, link: LinkId) {
        self.open.remove(&link);
    }

    /// Closes every link (the server is stopping).
    pub fn close_all(&mut self) {
        for (_, o) in self.open.drain() {
            o.task.abort();
        }
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        self.close_all();
    }
}

/// One link's life: resolve, connect, then read and write until either side
/// ends it.
async fn run(
    link: LinkId,
    host: String,
    port: u16,
    mut outbox: mpsc::UnboundedReceiver<Vec<u8>>,
    events: mpsc::UnboundedSender<Event>,
) {
    let tell = |event: LinkEvent| {
        let _ = events.send(Event::Link { link, event });
    };
    let addrs: Vec<std::net::SocketAddr> = match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(addrs) => addrs.collect(),
        Err(e) => return tell(LinkEvent::Unresolved(e.to_string())),
    };
    if addrs.is_empty() {
        return tell(LinkEvent::Unresolved(format!("no address for {host}")));
    }
    let stream = match TcpStream::connect(&addrs[..]).await {
        Ok(s) => s,
        Err(e) => return tell(LinkEvent::Failed(e.to_string())),
    };
    let _ = stream.set_nodelay(true);
    tell(LinkEvent::Connected);
    let (mut reader, mut writer) = stream.into_split();
    let read = async {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => tell(LinkEvent::Bytes(buf[..n].to_vec())),
            }
        }
    };
    let write = async {
        while let Some(bytes) = outbox.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                return;
            }
        }
        // The node dropped the link: the task is aborted right after.
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = read => {}
        _ = write => {}
    }
    tell(LinkEvent::Closed);
}
