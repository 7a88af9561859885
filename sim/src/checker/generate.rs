//! Random histories that are linearizable by construction, for testing the
//! checker and measuring it.
//!
//! Clients take turns issuing operations on random keys. Every operation that
//! takes effect gets an instant inside its interval (or, for a timed-out one,
//! any instant after its invocation); the operations then run on the model in
//! the order of those instants, and each reply is what the model answered.
//! That order is a linearization, so the checker must accept the history;
//! [`corrupt`] then changes one reply into one no order can give, and the
//! checker must reject it.

use bytes::Bytes;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_model::resp::Protocol;
use redsim_model::Frame;

use super::compare::wire_form;
use super::lost::WorkloadKind;
use super::redis_spec::RedisSpec;
use super::spec::Specification;
use crate::history::{History, Op, OpId, Outcome, Reply, Request};

/// The shape of a generated history.
#[derive(Clone, Debug)]
pub struct GenConfig {
    pub seed: u64,
    pub kind: WorkloadKind,
    pub ops: usize,
    pub keys: usize,
    pub clients: usize,
    /// Longest time one operation takes, in ticks.
    pub max_latency: u64,
    /// Longest pause between two operations of one client.
    pub max_think: u64,
    /// Operations (per thousand) that time out: half of them take effect,
    /// possibly after the client gave up.
    pub info_per_mille: u32,
    /// Operations (per thousand) that fail definitely and take no effect.
    pub fail_per_mille: u32,
}

impl GenConfig {
    /// Ten keys, five clients, a few timeouts and failures.
    pub fn new(kind: WorkloadKind, seed: u64, ops: usize) -> GenConfig {
        GenConfig {
            seed,
            kind,
            ops,
            keys: 10,
            clients: 5,
            max_latency: 100,
            max_think: 30,
            info_per_mille: 20,
            fail_per_mille: 10,
        }
    }
}

/// When a planned operation takes effect, if ever.
struct Plan {
    op: Op,
    effect_at: Option<u64>,
}

/// Generates a linearizable history.
pub fn generate(cfg: &GenConfig) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let clients = cfg.clients.max(1);
    let mut free_at: Vec<u64> = (0..clients).map(|_| rng.gen_range(0..=cfg.max_think)).collect();
    let mut plans = Vec::with_capacity(cfg.ops);
    for id in 0..cfg.ops as OpId {
        let client = (0..clients).min_by_key(|&c| (free_at[c], c)).expect("at least one client");
        let invoke = free_at[client];
        let latency = rng.gen_range(1..=cfg.max_latency.max(1));
        let key = format!("{}{}", cfg.kind.name(), rng.gen_range(0..cfg.keys.max(1)));
        let request = request(cfg.kind, &key, id, &mut rng);
        let roll = rng.gen_range(0..1000);
        let (outcome, effect_at) = if roll < cfg.fail_per_mille {
            (Outcome::Fail("NOREPLICAS Not enough good replicas to write.".into()), None)
        } else if roll < cfg.fail_per_mille + cfg.info_per_mille {
            let effect = rng.gen_bool(0.5).then(|| invoke + rng.gen_range(0..=3 * cfg.max_latency));
            (Outcome::Info("timeout".into()), effect)
        } else {
            (Outcome::Ok(Reply::Unrecorded), Some(invoke + rng.gen_range(0..=latency)))
        };
        let op = Op {
            id,
            client: client as u64,
            key: Bytes::from(key),
            request,
            invoke_time: invoke,
            complete_time: Some(invoke + latency),
            outcome,
        };
        plans.push(Plan { op, effect_at });
        free_at[client] = invoke + latency + rng.gen_range(0..=cfg.max_think);
    }

    // Run the operations that take effect in the order of their instants.
    let spec = RedisSpec::new(Protocol::Resp2);
    let mut model = spec.init();
    let mut order: Vec<usize> = (0..plans.len()).filter(|&i| plans[i].effect_at.is_some()).collect();
    order.sort_by_key(|&i| (plans[i].effect_at, i));
    for i in order {
        let input = spec.prepare(&plans[i].op);
        let reply = spec.apply(&mut model, &input);
        if let Outcome::Ok(recorded) = &mut plans[i].op.outcome {
            *recorded = as_client_sees(reply, &mut rng);
        }
    }
    let mut history = History::new(plans.into_iter().map(|p| p.op).collect());
    history.workload = Some(cfg.kind.name().to_string());
    history
}

/// The reply as a RESP2 client records it, with unordered replies shuffled
/// (Redis promises no order, so neither does the generator).
fn as_client_sees(reply: Reply, rng: &mut ChaCha8Rng) -> Reply {
    let wire = |f: Frame, rng: &mut ChaCha8Rng| {
        let unordered = matches!(f, Frame::Set(_));
        match wire_form(&f, Protocol::Resp2) {
            Frame::Array(mut items) if unordered => {
                items.shuffle(rng);
                Frame::Array(items)
            }
            other => other,
        }
    };
    match reply {
        Reply::Single(f) => Reply::Single(wire(f, rng)),
        Reply::Exec(fs) => Reply::Exec(fs.into_iter().map(|f| wire(f, rng)).collect()),
        Reply::Unrecorded => Reply::Unrecorded,
    }
}

/// One operation of the workload; written values carry the operation id so
/// that every value is unique.
fn request(kind: WorkloadKind, key: &str, id: OpId, rng: &mut ChaCha8Rng) -> Request {
    let value = format!("v{id}");
    match kind {
        WorkloadKind::Register if rng.gen_bool(0.5) => Request::command(&["SET", key, &value]),
        WorkloadKind::Register => Request::command(&["GET", key]),
        WorkloadKind::Counter if rng.gen_bool(0.6) => Request::command(&["INCR", key]),
        WorkloadKind::Counter => Request::command(&["GET", key]),
        WorkloadKind::Set if rng.gen_bool(0.6) => Request::command(&["SADD", key, &value]),
        WorkloadKind::Set => Request::command(&["SMEMBERS", key]),
        WorkloadKind::ListAppend if rng.gen_bool(0.6) => {
            let n = rng.gen_range(1..=3);
            let elements: Vec<String> = (0..n).map(|j| format!("{value}.{j}")).collect();
            let cmds: Vec<Vec<Bytes>> = elements
                .iter()
                .map(|e| ["RPUSH", key, e].iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect())
                .collect();
            Request::Transaction(cmds)
        }
        WorkloadKind::ListAppend => Request::command(&["LRANGE", key, "0", "-1"]),
        WorkloadKind::Queue if rng.gen_bool(0.55) => Request::command(&["LPUSH", key, &value]),
        WorkloadKind::Queue => Request::command(&["RPOP", key]),
    }
}

/// Changes one successful reply into one that no order of the history can
/// produce (a value never written, an impossible count), and returns the
/// changed history with the id of the changed operation. `None` when no
/// operation completed successfully.
pub fn corrupt(history: &History, seed: u64) -> Option<(History, OpId)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let candidates: Vec<usize> = (0..history.ops.len())
        .filter(|&i| matches!(history.ops[i].outcome, Outcome::Ok(Reply::Single(_) | Reply::Exec(_))))
        .collect();
    let &i = candidates.choose(&mut rng)?;
    let mut out = history.clone();
    let op = &mut out.ops[i];
    let name = op.request.commands()[0][0].to_ascii_uppercase();
    let never = Frame::bulk(format!("never-written-{}", op.id));
    if let Outcome::Ok(reply) = &mut op.outcome {
        *reply = match std::mem::replace(reply, Reply::Unrecorded) {
            // RPUSH answers the new length, at least 1.
            Reply::Exec(mut fs) => {
                fs[0] = Frame::Integer(0);
                Reply::Exec(fs)
            }
            Reply::Single(f) => Reply::Single(match (&name[..], f) {
                (b"GET" | b"RPOP", _) => never,
                (b"SMEMBERS" | b"LRANGE", Frame::Array(mut items)) => {
                    let at = rng.gen_range(0..=items.len());
                    items.insert(at, never);
                    Frame::Array(items)
                }
                // INCR never answers below 1, SET (without NX/XX) always OK,
                // SADD of a new member 1, LPUSH at least 1.
                (b"INCR", _) => Frame::Integer(-1),
                (b"SET", _) => Frame::Null,
                (b"SADD" | b"LPUSH", _) => Frame::Integer(0),
                (_, _) => never,
            }),
            Reply::Unrecorded => Reply::Unrecorded,
        };
    }
    let id = out.ops[i].id;
    Some((out, id))
}
