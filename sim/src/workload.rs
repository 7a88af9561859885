//! A seeded workload of string commands run against the reference engine on
//! madsim's simulated clock, producing a trace: one line per command with the
//! simulated time, the command and its reply.

use std::fmt::Write;
use std::time::Duration;

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::{Context, Engine, EngineConfig, Model};

/// Runs `commands` random commands and returns the trace. Must be called
/// inside a madsim runtime: the pauses between commands are simulated.
pub async fn run_trace(seed: u64, commands: usize) -> String {
    // Each concern draws from its own stream so that changing one does not
    // reshuffle the others.
    let mut workload_rng = ChaCha8Rng::seed_from_u64(seed);
    let mut node_rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(0x9e37_79b9_7f4a_7c15));
    let config = EngineConfig::default();
    let mut model = Model::new(16);
    let start = madsim::time::Instant::now(); // determinism-ok: madsim's simulated clock
    let epoch_ms: i64 = 1_700_000_000_000;
    let mut trace = String::new();
    for i in 0..commands {
        madsim::time::sleep(Duration::from_millis(workload_rng.gen_range(0..30))).await;
        let now_ms = epoch_ms + start.elapsed().as_millis() as i64;
        let key = format!("k{}", workload_rng.gen_range(0..8));
        let line: Vec<String> = match workload_rng.gen_range(0..6) {
            0 => vec!["SET".into(), key, workload_rng.gen_range(0..100).to_string(), "PX".into(), "50".into()],
            1 => vec!["INCR".into(), key],
            2 => vec!["GET".into(), key],
            3 => vec!["RANDOMKEY".into()],
            4 => vec!["APPEND".into(), key, "x".into()],
            _ => vec!["PTTL".into(), key],
        };
        let argv: Vec<Bytes> = line.iter().map(|s| Bytes::from(s.clone())).collect();
        let reply = match Command::from_argv(&argv, &ParseEnv::default()) {
            Ok(cmd) => {
                let mut cx = Context::new(0, now_ms, &mut node_rng, &config, &argv);
                model.execute(&mut cx, &cmd)
            }
            Err(e) => e.into(),
        };
        let _ = writeln!(trace, "{i} t={now_ms} {} -> {reply:?}", line.join(" "));
    }
    trace
}
