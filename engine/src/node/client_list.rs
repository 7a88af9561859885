//! One CLIENT LIST / CLIENT INFO line, field for field as Redis 7.0 prints it.
//! The memory fields are estimates in the spirit of Redis's (buffer sizes
//! plus a fixed cost per client).

use redsim_model::resp::Protocol;

use super::client::Client;

/// Redis's query buffer starts at this size once something was read.
const QUERY_BUF_ALLOC: usize = 20474;
/// The static reply buffer of a client.
const REPLY_BUF: usize = 16384;
/// What a client structure costs besides its buffers.
const CLIENT_OVERHEAD: usize = 1850;

/// The line for `c` at `now_ms` (without the trailing newline).
pub fn line(c: &Client, now_ms: i64) -> String {
    let qbuf = c.parser.buffered_len();
    let qbuf_free = if qbuf > 0 { QUERY_BUF_ALLOC.saturating_sub(qbuf) } else { 0 };
    let multi = c.multi.as_ref().map_or(-1, |m| m.queued.len() as i64);
    let multi_mem: usize = c
        .multi
        .as_ref()
        .map_or(0, |m| m.queued.iter().map(|(_, argv)| argv.iter().map(|a| a.len()).sum::<usize>()).sum());
    let obl = c.out.len();
    // What the driver has not written yet stands for Redis's reply list.
    let omem = c.unsent as usize;
    let oll = omem.div_ceil(REPLY_BUF);
    // A blocked client keeps its command's arguments until it is served.
    let argv_mem = c.argv_mem + c.blocked.as_ref().map_or(0, |b| b.argv.iter().map(|a| a.len()).sum());
    let tot_mem = qbuf + qbuf_free + REPLY_BUF + argv_mem + multi_mem + CLIENT_OVERHEAD + obl + omem;
    let name = c.name.as_ref().map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default();
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi={} \
         qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} \
         cmd={} user=default redir=-1 resp={}",
        c.id,
        c.conn.addr,
        c.conn.laddr,
        c.conn.fd,
        name,
        ((now_ms - c.created_ms) / 1000).max(0),
        ((now_ms - c.last_interaction_ms) / 1000).max(0),
        c.flags(),
        c.db,
        multi,
        qbuf,
        qbuf_free,
        argv_mem,
        multi_mem,
        REPLY_BUF,
        c.reply_peak.min(REPLY_BUF),
        obl,
        oll,
        omem,
        tot_mem,
        if obl + omem > 0 { "rw" } else { "r" },
        c.last_cmd.unwrap_or("NULL"),
        if c.protocol == Protocol::Resp3 { 3 } else { 2 },
    )
}
