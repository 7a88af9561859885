//! DEBUG DIGEST and DEBUG DIGEST-VALUE give the same hex as real Redis for
//! the same dataset, so tests can compare whole datasets with one command.

mod support;

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::{Context, Engine, EngineConfig, Frame, Model};

#[test]
fn dataset_digest_matches_redis() {
    let server = support::RealRedis::start_with(&["--enable-debug-command", "yes"]);
    let mut redis = server.connect();
    let mut model = Model::new(16);
    let config = EngineConfig::default();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut node_rng = ChaCha8Rng::seed_from_u64(4);
    let now_ms = 1_700_000_000_000;

    let mut run = |model: &mut Model, db: usize, line: Vec<String>| {
        let argv: Vec<Bytes> = line.iter().map(|s| Bytes::from(s.clone())).collect();
        // DEBUG is parsed by the node core; the engine sees its digest commands.
        let cmd = match line[0].as_str() {
            "DEBUG" if line[1] == "DIGEST" => Command::DebugDigest,
            "DEBUG" => Command::DebugDigestValue { keys: argv[2..].to_vec() },
            _ => Command::from_argv(&argv, &ParseEnv::default()).expect("valid command"),
        };
        let mut cx = Context::new(db, now_ms, &mut node_rng, &config, &argv);
        model.execute(&mut cx, &cmd)
    };
    assert_eq!(run(&mut model, 0, vec!["DEBUG".into(), "DIGEST".into()]), redis.call(&["DEBUG", "DIGEST"]));

    for i in 0..300 {
        let db = rng.gen_range(0..3);
        let key = format!("key:{}", rng.gen_range(0..60));
        let value = match rng.gen_range(0..4) {
            0 => rng.gen_range(-50..20000).to_string(),
            1 => "x".repeat(rng.gen_range(0..80)),
            2 => String::new(),
            _ => format!("v{i}"),
        };
        let mut line = vec!["SET".to_string(), key.clone(), value];
        if rng.gen_bool(0.3) {
            line.extend(["EX".to_string(), "100000".to_string()]);
        }
        redis.call(&["SELECT", &db.to_string()]);
        let theirs = redis.call(&line);
        assert_eq!(run(&mut model, db, line), theirs);
    }
    assert_eq!(
        run(&mut model, 0, vec!["DEBUG".into(), "DIGEST".into()]),
        redis.call(&["DEBUG", "DIGEST"]),
        "dataset digests differ"
    );
    redis.call(&["SELECT", "0"]);
    let keys: Vec<String> = (0..70).map(|i| format!("key:{i}")).collect();
    let mut line = vec!["DEBUG".to_string(), "DIGEST-VALUE".to_string()];
    line.extend(keys);
    let theirs = redis.call(&line);
    assert!(matches!(&theirs, Frame::Array(a) if a.len() == 70));
    assert_eq!(run(&mut model, 0, line), theirs, "per-key digests differ");
}
