//! `redsim-server`: a Redis 7.0 compatible server built on redsim's node core.
//! Takes redis-server's arguments; see `redsim-server --help`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(redsim_engine::server::main(args));
}
