#!/usr/bin/env bash
# redis-benchmark against a real redis-server and redsim-server, side by side,
# then the memory of 1M small string keys in each; writes reports/bench.md.
#
#   reports/bench.sh                         # 200k requests per run
#   BENCH_REQUESTS=20000 reports/bench.sh    # a quick smoke run
#
# Settings (environment):
#   BENCH_REQUESTS     requests per redis-benchmark run (-n), default 200000
#   BENCH_CLIENTS      connections (-c), default 50
#   BENCH_KEYSPACE     random key range (-r), default 100000
#   BENCH_MEMORY_KEYS  keys loaded for the memory table, default 1000000
#   BENCH_TIMEOUT      seconds one redis-benchmark run may take, default 300
#   BENCH_OUT          where the report goes, default reports/bench.md
#   BENCH_NOTE         a line added to the report (what else ran, why this run)
#   BENCH_ENGINE       the engine redsim-server runs (--engine), default engine
#
# Every row runs the two servers in the order redis, redsim, redsim, redis and
# reports each server's mean, so a drift in machine load during the row
# weighs on both alike. redis-benchmark runs on the same machine as the server
# it measures, so on a small machine the client's own CPU shapes the numbers.
# Needs redis-server, redis-cli and redis-benchmark 7.0 (Debian's
# redis-server and redis-tools packages) and cargo.

set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

REQUESTS="${BENCH_REQUESTS:-200000}"
ENGINE="${BENCH_ENGINE:-engine}"
CLIENTS="${BENCH_CLIENTS:-50}"
KEYSPACE="${BENCH_KEYSPACE:-100000}"
MEMORY_KEYS="${BENCH_MEMORY_KEYS:-1000000}"
RUN_TIMEOUT="${BENCH_TIMEOUT:-300}"
OUT="${BENCH_OUT:-$ROOT/reports/bench.md}"
REDIS_SERVER=/usr/bin/redis-server

for tool in "$REDIS_SERVER" redis-cli redis-benchmark cargo timeout awk; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench.sh: $tool not found (redis: apt-get install redis-server redis-tools)" >&2
        exit 1
    fi
done

log() { echo "bench.sh: $*" >&2; }

# Compiler and linker processes running now (a busy machine's usual cause).
compilers() { ps -eo comm= | grep -cE '^(rustc|cargo|cc1|cc1plus|ld|clang)$' || true; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
busy_before="$(compilers)"

log "building redsim-server (release)"
cargo build --release --quiet -p redsim-engine --bin redsim-server
REDSIM="${CARGO_TARGET_DIR:-$ROOT/target}/release/redsim-server"
[ -x "$REDSIM" ] || { log "no binary at $REDSIM"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/redsim-bench.XXXXXX")"
REDIS_PID=""
REDSIM_PID=""

stop() {
    local pid="$1"
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
    stop "$REDIS_PID"
    stop "$REDSIM_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nothing listens on (bash's /dev/tcp connects or fails at once on loopback).
free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    log "no free port found"
    return 1
}

# wait_ready PID PORT NAME LOG: up to 30 s for PING to answer PONG.
wait_ready() {
    local pid="$1" port="$2" name="$3" logfile="$4"
    for _ in $(seq 150); do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited at startup; its log:"
            tail -n 20 "$logfile" >&2 || true
            return 1
        fi
        if [ "$(timeout 2 redis-cli -p "$port" PING 2>/dev/null)" = "PONG" ]; then
            return 0
        fi
        sleep 0.2
    done
    log "$name did not answer PING within 30 s; its log:"
    tail -n 20 "$logfile" >&2 || true
    return 1
}

cli() { timeout 30 redis-cli -p "$@"; }

mkdir -p "$WORK/redis" "$WORK/redsim"
REDIS_PORT="$(free_port)"
"$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --enable-debug-command local --dir "$WORK/redis" --daemonize no --logfile "$WORK/redis.log" &
REDIS_PID=$!
wait_ready "$REDIS_PID" "$REDIS_PORT" redis-server "$WORK/redis.log"

REDSIM_PORT="$(free_port)"
while [ "$REDSIM_PORT" = "$REDIS_PORT" ]; do REDSIM_PORT="$(free_port)"; done
"$REDSIM" --port "$REDSIM_PORT" --engine "$ENGINE" --save '' --appendonly no --enable-debug-command local --dir "$WORK/redsim" \
    >"$WORK/redsim.log" 2>&1 &
REDSIM_PID=$!
wait_ready "$REDSIM_PID" "$REDSIM_PORT" redsim-server "$WORK/redsim.log"
log "redis-server on $REDIS_PORT (pid $REDIS_PID), redsim-server on $REDSIM_PORT (pid $REDSIM_PID)"

# Memory first, on fresh processes, so the heap is not already full of the
# throughput runs' garbage: RSS after load minus RSS at startup.
# DEBUG POPULATE is used when both servers have it, else the same stream of
# SETs in its shape (key:N -> value:N) is sent to both with redis-cli --pipe.
# Both print n/a rather than fail when the server is gone.
info_field() {
    (cli "$1" INFO memory 2>/dev/null || true) | tr -d '\r' |
        awk -F: -v f="$2" '$1 == f { v = $2 } END { print (v == "" ? "n/a" : v) }'
}
rss_bytes() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status" 2>/dev/null || echo n/a; }

populate_reply="$(cli "$REDSIM_PORT" DEBUG POPULATE 0 2>&1 | head -n 1 || true)"
if [ "$populate_reply" = OK ]; then
    LOAD_METHOD="\`DEBUG POPULATE $MEMORY_KEYS\` on each server"
else
    LOAD_METHOD="$MEMORY_KEYS \`SET key:N value:N\` (the keys and values DEBUG POPULATE makes) sent to each with \`redis-cli --pipe\`, because redsim answers \`DEBUG POPULATE 0\` with \`$populate_reply\`"
    awk -v n="$MEMORY_KEYS" 'BEGIN {
        for (i = 0; i < n; i++) {
            k = "key:" i; v = "value:" i
            printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
        } }' >"$WORK/populate.resp"
fi
log "loading $MEMORY_KEYS keys into each server"

MEM_ROWS=""
for server in redis redsim; do
    if [ "$server" = redis ]; then port="$REDIS_PORT" pid="$REDIS_PID"; else port="$REDSIM_PORT" pid="$REDSIM_PID"; fi
    used0="$(info_field "$port" used_memory)"
    rss0="$(rss_bytes "$pid")"
    if [ "$populate_reply" = OK ]; then
        timeout "$RUN_TIMEOUT" redis-cli -p "$port" DEBUG POPULATE "$MEMORY_KEYS" >/dev/null ||
            log "$server: DEBUG POPULATE failed"
    else
        timeout "$RUN_TIMEOUT" redis-cli -p "$port" --pipe <"$WORK/populate.resp" >"$WORK/pipe-$server.log" 2>&1 ||
            log "$server: redis-cli --pipe failed: $(tail -n 2 "$WORK/pipe-$server.log")"
    fi
    keys="$(cli "$port" DBSIZE 2>/dev/null || echo 0)"
    used1="$(info_field "$port" used_memory)"
    rss1="$(rss_bytes "$pid")"
    per_key="$(awk -v u0="$used0" -v u1="$used1" -v r0="$rss0" -v r1="$rss1" -v n="$keys" 'BEGIN {
        if (n > 0 && u1 != "n/a" && r1 != "n/a") printf "%.0f | %.0f", (u1 - u0) / n, (r1 - r0) / n; else print "n/a | n/a" }')"
    MEM_ROWS+="| $server | $keys | $used0 | $used1 | $rss0 | $rss1 | $per_key |"$'\n'
    cli "$port" FLUSHALL >/dev/null 2>&1 || log "$server: FLUSHALL failed"
done
rm -f "$WORK/populate.resp"

# CPU time (user + system) the process has used so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo n/a; }
TICKS_PER_SEC="$(getconf CLK_TCK)"

# rps PORT PID PIPELINE TEST: "<requests per second> <server CPU µs per
# request>" of one redis-benchmark run, "n/a" for what failed or timed out.
# TEST is a -t name or "zadd". The CPU column is the server process's own
# time, which the client sharing the cores does not blur as much as rps.
rps() {
    local port="$1" pid="$2" pipeline="$3" test="$4" csv want cpu0 cpu1
    local common=(-p "$port" -q --csv -n "$REQUESTS" -c "$CLIENTS" -r "$KEYSPACE" -P "$pipeline")
    cpu0="$(cpu_ticks "$pid")"
    if [ "$test" = zadd ]; then
        csv="$(timeout "$RUN_TIMEOUT" redis-benchmark "${common[@]}" \
            ZADD myzset __rand_int__ element:__rand_int__ 2>/dev/null || true)"
        want='ZADD'
    else
        csv="$(timeout "$RUN_TIMEOUT" redis-benchmark "${common[@]}" -t "$test" 2>/dev/null || true)"
        # -t lrange_100 first prints its LPUSH fill as another row.
        want="$(echo "$test" | tr '[:lower:]' '[:upper:]')"
    fi
    cpu1="$(cpu_ticks "$pid")"
    echo "$csv" | awk -F'","' -v want="$want" -v c0="$cpu0" -v c1="$cpu1" -v hz="$TICKS_PER_SEC" -v n="$REQUESTS" '
        { name = $1; sub(/^"/, "", name) }
        name == want || index(name, want " ") == 1 { r = $2 }
        END {
            rate = (r == "") ? "n/a" : sprintf("%.0f", r)
            # -t lrange_100 first fills its list with LPUSHes: both count.
            cpu = (c0 == "n/a" || c1 == "n/a" || rate == "n/a") ? "n/a" : sprintf("%.2f", (c1 - c0) / hz * 1e6 / n)
            print rate, cpu
        }'
}

# mean_cpu A B over "rps cpu" pairs: the mean of the CPU fields.
mean_cpu() { mean "${1#* }" "${2#* }" %.2f; }

# mean A B [FORMAT] over numbers (printf FORMAT, %.0f by default), n/a if either is missing.
mean() {
    awk -v a="$1" -v b="$2" -v f="${3:-%.0f}" 'BEGIN {
        if (a == "n/a" || b == "n/a") print "n/a"; else printf f "\n", (a + b) / 2 }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "n/a" || b == "n/a" || a == 0) print "n/a"; else printf "%.2f\n", b / a }'
}

TESTS=(set get incr lpush lpop sadd hset zadd lrange_100)
ROWS=""
for pipeline in 1 16; do
    for test in "${TESTS[@]}"; do
        log "$test -P $pipeline"
        r1="$(rps "$REDIS_PORT" "$REDIS_PID" "$pipeline" "$test")"
        s1="$(rps "$REDSIM_PORT" "$REDSIM_PID" "$pipeline" "$test")"
        s2="$(rps "$REDSIM_PORT" "$REDSIM_PID" "$pipeline" "$test")"
        r2="$(rps "$REDIS_PORT" "$REDIS_PID" "$pipeline" "$test")"
        a1="${r1%% *}" a2="${r2%% *}" b1="${s1%% *}" b2="${s2%% *}"
        redis="$(mean "$a1" "$a2")"
        redsim="$(mean "$b1" "$b2")"
        name="$(echo "$test" | tr '[:lower:]' '[:upper:]')"
        ROWS+="| $name | $pipeline | $redis | $redsim | $(ratio "$redis" "$redsim") | $a1 / $a2 | $b1 / $b2 |"
        ROWS+=" $(mean_cpu "$r1" "$r2") | $(mean_cpu "$s1" "$s2") |"$'\n'
    done
done

# What each process holds after every throughput run (with a small keyspace
# left by them): a server that keeps something per write shows it here.
RSS_AFTER="redis $(rss_bytes "$REDIS_PID"), redsim $(rss_bytes "$REDSIM_PID") bytes"

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
busy_after="$(compilers)"
load1_before="${load_before%% *}"
if [ "$busy_before" = 0 ] && [ "$busy_after" = 0 ] && awk -v l="$load1_before" 'BEGIN { exit !(l < 0.5) }'; then
    quiet="yes: no compiler running before or after, 1-minute load $load1_before before the run"
else
    quiet="NO: load average before ($load_before) / after ($load_after), compiler processes before $busy_before / after $busy_after; the numbers are noisy and provisional"
fi

cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
revision="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then revision="$revision (with uncommitted changes)"; fi

{
    echo "# redis-server vs redsim-server"
    echo
    echo "Written by \`reports/bench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo
    echo "- machine: $(nproc) cores, $cpu, $(uname -sr)"
    echo "- redis: $("$REDIS_SERVER" --version)"
    echo "- redsim: $("$REDSIM" --version) at $revision"
    echo "- redis-benchmark: $(redis-benchmark --version 2>/dev/null || echo unknown); $(rustc --version 2>/dev/null || echo rustc unknown)"
    echo "- quiet machine: $quiet"
    if [ -n "${BENCH_NOTE:-}" ]; then echo "- note: $BENCH_NOTE"; fi
    echo
    echo "## Throughput"
    echo
    echo "\`redis-benchmark -q --csv -n $REQUESTS -c $CLIENTS -r $KEYSPACE -P <pipeline> -t <test>\`"
    echo "(ZADD: the command \`ZADD myzset __rand_int__ element:__rand_int__\`). Each row ran"
    echo "redis, redsim, redsim, redis; rps is each server's mean of its two runs, both runs shown."
    echo "Ratio is redsim / redis. The client shares the machine's cores with the server."
    echo "CPU µs/req is the server process's user + system time over the run divided by the"
    echo "requests (mean of the two runs; LRANGE_100's count includes its LPUSH fill)."
    echo
    echo "| test | pipeline | redis rps | redsim rps | ratio | redis runs | redsim runs | redis CPU µs/req | redsim CPU µs/req |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s' "$ROWS"
    echo
    echo "## Memory: $MEMORY_KEYS small string keys"
    echo
    echo "Measured first, on the freshly started servers: $LOAD_METHOD."
    echo "Bytes/key is (value after the load − value before it) / DBSIZE. used_memory is"
    echo "jemalloc's count in Redis but the engine's own estimate of its dataset in redsim, so"
    echo "RSS (VmRSS of the process, from /proc/PID/status) is the comparable column."
    echo
    echo "| server | keys | used_memory before | used_memory after | RSS before | RSS after | used_memory bytes/key | RSS bytes/key |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s' "$MEM_ROWS"
    echo
    echo "RSS after all throughput runs: $RSS_AFTER."
} >"$OUT"
log "wrote $OUT"
