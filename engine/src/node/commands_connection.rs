//! The connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET,
//! the transaction commands, and CLIENT.

use bytes::Bytes;
use redsim_model::command::connection::{
    valid_client_name, ClientCommand, ClientListFilter, ClientType, ConnectionCommand, KillFilter, ReplyMode,
};
use redsim_model::errors::{self, RedisResult};
use redsim_model::resp::{Frame, Protocol};

use super::client_list;
use super::{Action, ClientId, Node, Pause};

impl Node {
    pub(super) fn connection_command(&mut self, id: ClientId, cmd: ConnectionCommand) -> Option<Frame> {
        use ConnectionCommand as C;
        Some(match cmd {
            C::Ping { message: None } => Frame::simple("PONG"),
            C::Ping { message: Some(m) } => Frame::Bulk(m),
            C::Echo { message } => Frame::Bulk(message),
            C::Hello { protover, auth, setname } => self.hello(id, protover, auth, setname),
            C::Auth { user, password } => match self.check_password(user.as_deref(), &password) {
                Ok(()) => {
                    self.client_mut(id)?.set_authenticated(true);
                    Frame::ok()
                }
                Err(e) => e.into(),
            },
            C::Select { db } => {
                self.client_mut(id)?.db = db;
                Frame::ok()
            }
            C::Quit => {
                self.client_mut(id)?.close_after_reply = true;
                Frame::ok()
            }
            C::Reset => self.reset_client(id)?,
            C::Multi => self.multi(id),
            C::Exec => return self.exec(id),
            C::Discard => self.discard(id),
            C::Watch { keys } => self.watch(id, keys),
            C::Unwatch => {
                self.unwatch_all(id);
                Frame::ok()
            }
            C::Client(c) => return self.client_command(id, c),
        })
    }

    fn client_mut(&mut self, id: ClientId) -> Option<&mut super::client::Client> {
        self.clients.get_mut(&id)
    }

    /// AUTH's check, for the default user (the only one redsim has): without
    /// `requirepass` it takes any password, but the one-argument form is refused.
    fn check_password(&self, user: Option<&[u8]>, password: &[u8]) -> RedisResult<()> {
        if let Some(u) = user {
            if u != b"default" {
                return Err(errors::WRONGPASS);
            }
        }
        match self.config.requirepass() {
            None if user.is_none() => Err(errors::AUTH_NOT_CONFIGURED),
            None => Ok(()),
            Some(p) if p.as_bytes() == password => Ok(()),
            Some(_) => Err(errors::WRONGPASS),
        }
    }

    /// HELLO: authenticate if asked, then refuse unauthenticated clients, then
    /// name the client, switch protocol and describe the server.
    fn hello(
        &mut self,
        id: ClientId,
        protover: Option<u8>,
        auth: Option<(Bytes, Bytes)>,
        setname: Option<Bytes>,
    ) -> Frame {
        if let Some((user, pass)) = auth {
            if let Err(e) = self.check_password(Some(&user), &pass) {
                return e.into();
            }
            if let Some(c) = self.clients.get_mut(&id) {
                c.set_authenticated(true);
            }
        }
        let Some(c) = self.clients.get_mut(&id) else {
            return Frame::ok();
        };
        if !c.authenticated {
            return errors::HELLO_NOAUTH.into();
        }
        if let Some(name) = setname {
            if !valid_client_name(&name) {
                return errors::BAD_CLIENT_NAME.into();
            }
            c.name = Some(name).filter(|n| !n.is_empty());
        }
        match protover {
            Some(3) => c.protocol = Protocol::Resp3,
            Some(_) => c.protocol = Protocol::Resp2,
            None => {}
        }
        let proto = if c.protocol == Protocol::Resp3 { 3 } else { 2 };
        let role = if self.engine_config.is_master { "master" } else { "replica" };
        Frame::Map(vec![
            (Frame::bulk("server"), Frame::bulk("redis")),
            (Frame::bulk("version"), Frame::bulk("7.0.15")),
            (Frame::bulk("proto"), Frame::Integer(proto)),
            (Frame::bulk("id"), Frame::Integer(id as i64)),
            (Frame::bulk("mode"), Frame::bulk("standalone")),
            (Frame::bulk("role"), Frame::bulk(role)),
            (Frame::bulk("modules"), Frame::Array(vec![])),
        ])
    }

    /// RESET: the connection as if it were new (database 0, RESP2, no name,
    /// no transaction or WATCH, not MONITORing, replies on) and, when a
    /// password is required, no longer authenticated.
    fn reset_client(&mut self, id: ClientId) -> Option<Frame> {
        self.unwatch_all(id);
        self.monitors.remove(&id);
        let needs_auth = self.config.requirepass().is_some();
        let c = self.clients.get_mut(&id)?;
        c.multi = None;
        c.monitor = false;
        c.db = 0;
        c.protocol = Protocol::Resp2;
        c.name = None;
        c.no_evict = false;
        c.reply.off = false;
        c.reply.skip_next = false;
        if needs_auth {
            c.set_authenticated(false);
        }
        Some(Frame::simple("RESET"))
    }

    fn client_command(&mut self, id: ClientId, cmd: ClientCommand) -> Option<Frame> {
        use ClientCommand as C;
        let now = self.now_ms;
        Some(match cmd {
            C::Id => Frame::Integer(id as i64),
            C::Info => {
                let c = self.clients.get(&id)?;
                let mut line = client_list::line(c, now);
                line.push('\n');
                verbatim(line)
            }
            C::GetName => match &self.clients.get(&id)?.name {
                Some(n) => Frame::Bulk(n.clone()),
                None => Frame::Null,
            },
            C::SetName(name) => {
                self.client_mut(id)?.name = Some(name).filter(|n| !n.is_empty());
                Frame::ok()
            }
            C::List(filter) => verbatim(self.client_list(&filter)),
            C::Kill(filter) => self.client_kill(id, &filter),
            C::Reply(mode) => {
                let c = self.client_mut(id)?;
                match mode {
                    ReplyMode::On => {
                        c.reply.off = false;
                        c.reply.skip = false;
                        Frame::ok()
                    }
                    ReplyMode::Off => {
                        c.reply.off = true;
                        return None;
                    }
                    ReplyMode::Skip => {
                        if !c.reply.off {
                            c.reply.skip_next = true;
                        }
                        return None;
                    }
                }
            }
            C::NoEvict(on) => {
                self.client_mut(id)?.no_evict = on;
                Frame::ok()
            }
            C::Pause { timeout_ms, all } => {
                let until_ms = now.saturating_add(timeout_ms);
                let p = match self.pause {
                    Some(old) => Pause { until_ms: old.until_ms.max(until_ms), all: old.all || all },
                    None => Pause { until_ms, all },
                };
                self.pause = Some(p);
                Frame::ok()
            }
            C::Unpause => {
                self.unpause();
                Frame::ok()
            }
            C::Unblock { id: target, error } => {
                let done = u64::try_from(target).is_ok_and(|t| self.unblock_by_request(t, error));
                Frame::Integer(i64::from(done))
            }
            C::GetRedir => Frame::Integer(-1),
            C::TrackingInfo => Frame::Map(vec![
                (Frame::bulk("flags"), Frame::Set(vec![Frame::bulk("off")])),
                (Frame::bulk("redirect"), Frame::Integer(-1)),
                (Frame::bulk("prefixes"), Frame::Array(vec![])),
            ]),
            C::Caching => errors::CACHING_WITHOUT_TRACKING.into(),
        })
    }

    /// CLIENT LIST's text: one line per selected client, in id order.
    fn client_list(&self, filter: &ClientListFilter) -> String {
        let mut out = String::new();
        let mut add = |c: &super::client::Client| {
            out.push_str(&client_list::line(c, self.now_ms));
            out.push('\n');
        };
        match filter {
            ClientListFilter::All => self.clients.values().for_each(&mut add),
            // The master link is not a client here: TYPE master lists nothing.
            ClientListFilter::Type(t) => self.clients.values().filter(|c| client_type(c) == *t).for_each(&mut add),
            ClientListFilter::Ids(ids) => {
                ids.iter().filter_map(|i| u64::try_from(*i).ok().and_then(|i| self.clients.get(&i))).for_each(&mut add)
            }
        }
        out
    }

    /// CLIENT KILL: closes every matching client at once; the caller is
    /// closed after its reply. The old form answers +OK or an error, the new one a count.
    fn client_kill(&mut self, id: ClientId, f: &KillFilter) -> Frame {
        let matching: Vec<ClientId> = self
            .clients
            .values()
            .filter(|c| f.addr.as_ref().is_none_or(|a| a.as_ref() == c.conn.addr.as_bytes()))
            .filter(|c| f.laddr.as_ref().is_none_or(|a| a.as_ref() == c.conn.laddr.as_bytes()))
            .filter(|c| f.client_type.is_none_or(|t| t == client_type(c)))
            .filter(|c| f.id.is_none_or(|i| i == c.id as i64))
            .filter(|c| !(f.skipme && c.id == id))
            .map(|c| c.id)
            .collect();
        // TYPE master: the link to our master goes (the replica reconnects).
        let master = f.client_type == Some(ClientType::Master) && self.drop_master_for_kill();
        let killed = matching.len() + usize::from(master);
        for &k in &matching {
            if k == id {
                if let Some(c) = self.clients.get_mut(&k) {
                    c.close_after_reply = true;
                }
                self.pending.remove(&k);
                continue;
            }
            // Gone at once, as Redis frees it: what it was still owed is
            // lost (replies held for an fsync too), and nothing the caller
            // does next reaches it (a replica killed inside MULTI misses the
            // transaction's writes).
            self.forget_client(k);
            self.drop_held_output(k);
            self.actions.push(Action::Close { client: k });
        }
        if f.old_form {
            if killed == 0 {
                errors::NO_SUCH_CLIENT.into()
            } else {
                Frame::ok()
            }
        } else {
            Frame::Integer(killed as i64)
        }
    }
}

/// A client's CLIENT LIST / KILL type.
fn client_type(c: &super::client::Client) -> ClientType {
    if c.replica {
        ClientType::Replica
    } else {
        ClientType::Normal
    }
}

/// Text replies Redis sends as verbatim strings in RESP3.
pub(super) fn verbatim(text: String) -> Frame {
    Frame::Verbatim { format: *b"txt", text: Bytes::from(text) }
}
