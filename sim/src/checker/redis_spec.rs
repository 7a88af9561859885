//! The sequential specification of Redis: the reference `Model` itself.
//!
//! Stepping an operation means running its argv on a `Model` and taking the
//! reply; a transaction runs its commands back to back, as EXEC does. The model
//! is the same code the engines are tested against, so the checker never holds
//! a second, hand-written idea of what Redis does.

use std::hash::{DefaultHasher, Hasher};

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::reference::Value;
use redsim_model::resp::Protocol;
use redsim_model::table::{self, Flag};
use redsim_model::{errors, Context, Engine, EngineConfig, Frame, Model};

use super::compare::replies_match;
use super::spec::Specification;
use crate::history::{show_frame, Op, Reply, Request};

/// Redis's behaviour, as the reference model gives it.
///
/// Every command runs in database 0 at the fixed time `now_ms`: the checker
/// knows only an interval for each operation, not its instant, so commands
/// whose result depends on the clock (expiry) are outside what it can judge.
#[derive(Clone, Debug)]
pub struct RedisSpec {
    pub protocol: Protocol,
    pub now_ms: i64,
    pub config: EngineConfig,
}

impl RedisSpec {
    /// A specification comparing replies as `protocol` carries them.
    pub fn new(protocol: Protocol) -> RedisSpec {
        RedisSpec { protocol, now_ms: 1_700_000_000_000, config: EngineConfig::default() }
    }

    fn run(&self, model: &mut Model, cmd: &PreparedCommand) -> Frame {
        let parsed = match &cmd.parsed {
            Ok(c) => c,
            Err(e) => return e.clone(),
        };
        // Commands that draw randomness are not checkable anyway; a fixed seed
        // at least keeps the step a function of the state.
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut cx = Context::new(0, self.now_ms, &mut rng, &self.config, &cmd.argv);
        // A blocking command is judged as answering at once (its timeout
        // reply when nothing is there): one step cannot also wait.
        cx.may_block = false;
        model.execute(&mut cx, parsed)
    }
}

/// One command of an operation, parsed once.
#[derive(Debug)]
pub struct PreparedCommand {
    argv: Vec<Bytes>,
    /// The command, or the error reply parsing gives (unknown command, arity,
    /// syntax): the model's answer whatever the state.
    parsed: Result<Command, Frame>,
    /// Whether EXEC would have refused the transaction because this command
    /// could not be queued (unknown command, wrong arity: Redis's queue-time checks).
    refused_at_queue: bool,
    read_only: bool,
}

/// An operation ready to step.
#[derive(Debug)]
pub struct PreparedOp {
    commands: Vec<PreparedCommand>,
    transaction: bool,
}

fn prepare_command(argv: &[Bytes]) -> PreparedCommand {
    let spec = table::resolve(argv);
    let read_only = spec.as_ref().is_ok_and(|s| s.has(Flag::Readonly) && !s.has(Flag::Write));
    PreparedCommand {
        argv: argv.to_vec(),
        parsed: Command::from_argv(argv, &ParseEnv::default()).map_err(Frame::from),
        refused_at_queue: spec.is_err(),
        read_only,
    }
}

impl Specification for RedisSpec {
    type State = Model;
    type Input = PreparedOp;

    fn prepare(&self, op: &Op) -> PreparedOp {
        let commands = op.request.commands().iter().map(|a| prepare_command(a)).collect();
        PreparedOp { commands, transaction: matches!(op.request, Request::Transaction(_)) }
    }

    fn init(&self) -> Model {
        Model::new(1)
    }

    fn apply(&self, model: &mut Model, op: &PreparedOp) -> Reply {
        let reply = if !op.transaction {
            Reply::Single(self.run(model, &op.commands[0]))
        } else if op.commands.iter().any(|c| c.refused_at_queue) {
            Reply::Single(errors::EXECABORT.into())
        } else {
            Reply::Exec(op.commands.iter().map(|c| self.run(model, c)).collect())
        };
        // The model logs every key it changes (for WATCH); nobody reads that
        // log here, and it would grow with every write and be cloned with the
        // state at every search step.
        for db in model.dbs_mut() {
            db.take_touched();
        }
        reply
    }

    fn accepts(&self, op: &PreparedOp, expected: &Reply, recorded: &Reply) -> bool {
        match (expected, recorded) {
            (_, Reply::Unrecorded) => true,
            (Reply::Single(e), Reply::Single(r)) => {
                let argv = if op.transaction { &[][..] } else { &op.commands[0].argv[..] };
                replies_match(argv, e, r, self.protocol)
            }
            (Reply::Exec(e), Reply::Exec(r)) => {
                e.len() == r.len()
                    && op
                        .commands
                        .iter()
                        .zip(e.iter().zip(r))
                        .all(|(c, (e, r))| replies_match(&c.argv, e, r, self.protocol))
            }
            _ => false,
        }
    }

    fn is_read_only(&self, op: &PreparedOp) -> bool {
        op.commands.iter().all(|c| c.read_only)
    }

    fn identity(&self, model: &Model) -> u128 {
        model_identity(model)
    }

    fn describe(&self, model: &Model) -> String {
        let mut keys = Vec::new();
        for (key, entry) in model.dbs()[0].iter() {
            let ttl = entry.expire_at.map_or(String::new(), |t| format!(" (expires at {t})"));
            keys.push(format!("{} = {}{ttl}", String::from_utf8_lossy(key), describe_value(&entry.value)));
        }
        if keys.is_empty() {
            "(empty)".into()
        } else {
            keys.join("; ")
        }
    }
}

fn describe_value(v: &Value) -> String {
    let show = |items: Vec<Frame>| items.iter().map(show_frame).collect::<Vec<_>>().join(", ");
    match v {
        Value::Str(s) => show_frame(&Frame::bulk(&s.bytes)),
        Value::List(l) => format!("list [{}]", show(l.iter().map(Frame::bulk).collect())),
        Value::Set(s) => format!("set {{{}}}", show(s.iter().map(Frame::bulk).collect())),
        Value::Hash(h) => {
            let pairs: Vec<String> = h.iter().map(|(f, v)| format!("{:?}: {:?}", lossy(f), lossy(v))).collect();
            format!("hash {{{}}}", pairs.join(", "))
        }
        Value::ZSet(z) => {
            let pairs: Vec<String> = z.iter().map(|(m, s)| format!("{:?}: {s}", lossy(m))).collect();
            format!("zset {{{}}}", pairs.join(", "))
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A 128-bit identity of every key in the model: per key, its name, type,
/// encoding (observable through OBJECT ENCODING, so part of the state),
/// expire time and contents in iteration order. Iteration order is a function
/// of the contents for every type the model has (intsets ascend, hashtables
/// follow a fixed hash, listpacks keep insertion order, which HGETALL shows),
/// so equal states hash equally. Keys are combined by addition, which does not
/// depend on the order they are visited in.
///
/// Two SipHash lanes with different prefixes give 128 bits: a collision would
/// make the search skip a state, so it must be out of reach (2^-64 even after
/// billions of states).
pub fn model_identity(model: &Model) -> u128 {
    let mut total: u128 = 0;
    for (db_index, db) in model.dbs().iter().enumerate() {
        for (key, entry) in db.iter() {
            let mut h = Lanes::new();
            h.u64(db_index as u64);
            h.bytes(key);
            h.bytes(entry.value.type_name().as_bytes());
            h.bytes(entry.value.encoding_name().as_bytes());
            h.u64(entry.expire_at.map_or(u64::MAX, |t| t as u64));
            match &entry.value {
                Value::Str(s) => h.bytes(&s.bytes),
                Value::List(l) => {
                    h.u64(l.len() as u64);
                    l.iter().for_each(|e| h.bytes(e));
                }
                Value::Set(s) => {
                    h.u64(s.len() as u64);
                    s.iter().for_each(|m| h.bytes(m));
                }
                Value::Hash(hv) => {
                    h.u64(hv.len() as u64);
                    hv.iter().for_each(|(f, v)| {
                        h.bytes(f);
                        h.bytes(v);
                    });
                }
                Value::ZSet(z) => {
                    h.u64(z.len() as u64);
                    z.iter().for_each(|(m, s)| {
                        h.bytes(m);
                        h.u64(s.to_bits());
                    });
                }
            }
            total = total.wrapping_add(h.finish());
        }
    }
    total
}

/// Two independent SipHash-1-3 lanes (std's fixed-key `DefaultHasher`: the
/// same in every run, so nothing here depends on process randomness).
struct Lanes(DefaultHasher, DefaultHasher);

impl Lanes {
    fn new() -> Lanes {
        let (mut a, mut b) = (DefaultHasher::new(), DefaultHasher::new());
        a.write_u8(0x5a);
        b.write_u8(0xc3);
        Lanes(a, b)
    }

    /// Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.write(b);
        self.1.write(b);
    }

    fn u64(&mut self, x: u64) {
        self.0.write_u64(x);
        self.1.write_u64(x);
    }

    fn finish(&self) -> u128 {
        ((self.0.finish() as u128) << 64) | self.1.finish() as u128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(args: &[&str]) -> Op {
        Op {
            id: 0,
            client: 0,
            key: Bytes::copy_from_slice(args[1].as_bytes()),
            request: Request::command(args),
            invoke_time: 0,
            complete_time: Some(1),
            outcome: crate::history::Outcome::Ok(Reply::Unrecorded),
        }
    }

    #[test]
    fn states_do_not_carry_the_models_change_log() {
        let spec = RedisSpec::new(Protocol::Resp2);
        let mut model = spec.init();
        for args in [&["RPUSH", "l", "a"][..], &["RPUSH", "l", "b"], &["DEL", "l"], &["SADD", "s", "m"]] {
            spec.apply(&mut model, &spec.prepare(&op(args)));
        }
        assert_eq!(spec.describe(&model), "s = set {\"m\"}");
        assert!(model.dbs_mut()[0].take_touched().is_empty(), "the log would be cloned at every step");
    }

    #[test]
    fn reads_leave_the_identity_as_it_was() {
        let spec = RedisSpec::new(Protocol::Resp2);
        let mut model = spec.init();
        spec.apply(&mut model, &spec.prepare(&op(&["RPUSH", "l", "a", "b"])));
        let before = spec.identity(&model);
        for args in [&["LRANGE", "l", "0", "-1"][..], &["LLEN", "l"], &["GET", "l"], &["SMEMBERS", "l"]] {
            let read = spec.prepare(&op(args));
            assert!(spec.is_read_only(&read), "{args:?}");
            spec.apply(&mut model, &read);
            assert_eq!(spec.identity(&model), before, "{args:?}");
        }
        assert!(!spec.is_read_only(&spec.prepare(&op(&["RPUSH", "l", "c"]))));
    }
}
