//! Listening sockets: Redis's `bind` list on `port`, one accept task per
//! address. An address prefixed with `-` may fail to bind without failing the
//! rest; `*` means every IPv4 address and `::*` every IPv6 one.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connection;
use super::node_task::Event;

/// The accept tasks currently running.
#[derive(Default)]
pub struct Listeners {
    tasks: Vec<JoinHandle<()>>,
    pub bound: Vec<SocketAddr>,
}

impl Listeners {
    /// Binds every address of `bind` on `port`; fails if a mandatory address
    /// cannot be bound or nothing could be. Port 0 means no TCP listener.
    pub async fn bind(bind: &[String], port: u16, events: &mpsc::UnboundedSender<Event>) -> Result<Listeners, String> {
        let mut out = Listeners::default();
        if port == 0 {
            return Ok(out);
        }
        let bind: Vec<String> = if bind.is_empty() { vec!["*".into(), "-::*".into()] } else { bind.to_vec() };
        for entry in &bind {
            let (optional, addr) = match entry.strip_prefix('-') {
                Some(a) => (true, a),
                None => (false, entry.as_str()),
            };
            let host = match addr {
                "*" => "0.0.0.0",
                "::*" => "::",
                other => other,
            };
            let target = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
            match TcpListener::bind(&target).await {
                Ok(l) => {
                    if let Ok(a) = l.local_addr() {
                        out.bound.push(a);
                    }
                    let events = events.clone();
                    out.tasks.push(tokio::spawn(accept_loop(l, events)));
                }
                Err(e) if optional => {
                    let _ = e;
                }
                Err(e) => {
                    out.close();
                    return Err(format!("Could not create server TCP listening socket {target}: {e}"));
                }
            }
        }
        if out.tasks.is_empty() {
            return Err(format!("Failed listening on port {port} (TCP), aborting."));
        }
        Ok(out)
    }

    /// Stops accepting (open connections stay).
    pub fn close(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        self.bound.clear();
    }
}

async fn accept_loop(listener: TcpListener, events: mpsc::UnboundedSender<Event>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection::serve(stream, events.clone()));
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
}
