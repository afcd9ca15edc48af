#!/usr/bin/env bash
# side-by-side.sh: dynasim next to redis-server and etcd, on this machine,
# in one go, with the same number of clients.
#
#   dynasim      3 nodes (dynasim cluster up -n 3: N=3 W=2 R=2, the default
#                durability — every write synced before it is acknowledged —
#                and --version-mode lww, so that concurrent SETs of one key
#                overwrite as in Redis instead of becoming siblings)
#   redis-server one server, its default configuration (no replication, RDB
#                snapshots off here, no fsync per write)
#   etcd         one member (fsync per commit), driven through its v3 JSON
#                gateway (HTTP) by bench/putload, since redis-benchmark does not
#                speak etcd; the gateway costs more than etcd's gRPC clients,
#                so etcd's rates here are a lower bound
#
# Loads: redis-benchmark (Debian redis-tools) -t set,get against dynasim and
# redis-server; bench/putload (standard library only) SET/GET or put/range
# against all three, at full speed and then GET paced at 50 % of the
# measured peak for its p99 (the issue's latency goal). It prints each
# measurement, then the ratios. A system whose binary is missing is skipped
# and the script says so; dynasim is always built from this checkout.
#
# Knobs (environment): CLIENTS (16), DURATION (5s, per putload run),
# REQUESTS (20000, per redis-benchmark test), SIZE (100 bytes), BASE (a base
# port; dynasim uses BASE+1..3, +10001..3, +20001..3; redis BASE+30000,
# etcd BASE+30001/30002; default 16380).
#
# Not run by CI and not a test: the figures depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-16}
DURATION=${DURATION:-5s}
REQUESTS=${REQUESTS:-20000}
SIZE=${SIZE:-100}
BASE=${BASE:-16380}
REDIS_PORT=$((BASE + 30000))
ETCD_CLIENT=$((BASE + 30001))
ETCD_PEER=$((BASE + 30002))

tmp=$(mktemp -d)
redis_pid=""
etcd_pid=""
cleanup() {
  if [ -f "$tmp/cluster/cluster.yaml" ]; then "$tmp/dynasim" cluster down --dir "$tmp/cluster" >/dev/null 2>&1 || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  if [ -n "$etcd_pid" ]; then kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

have() { command -v "$1" >/dev/null 2>&1; }
skipped=()
failed=()
results=()   # "system op tool ops_per_s p50_ms p99_ms"

echo "== building dynasim and bench/putload"
go build -o "$tmp/dynasim" ./cmd/dynasim
# -mod=mod on a copy of bench's go.mod: the bench module follows the root
# module's dependencies (as in CI) without rewriting the checkout's files.
cp bench/go.mod "$tmp/bench.mod"
cp bench/go.sum "$tmp/bench.sum"
(cd bench && go build -mod=mod -modfile="$tmp/bench.mod" -o "$tmp/putload" ./putload)

wait_port() { # host port seconds
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing answers on $1:$2 after $3 s" >&2
  return 1
}

# putload_run NAME PROTO ADDR OP [RATE] -> records a result, prints the line
putload_run() {
  local name=$1 proto=$2 addr=$3 op=$4 rate=${5:-0} line
  if ! line=$("$tmp/putload" -proto "$proto" -addr "$addr" -op "$op" -c "$CLIENTS" -d "$DURATION" -size "$SIZE" -rate "$rate"); then
    failed+=("$name putload $op")
    LAST_OPS=0
    return
  fi
  echo "$name: $line"
  local ops p50 p99 tag=putload
  ops=$(sed -E 's/.*ops_per_s=([0-9.]+).*/\1/' <<<"$line")
  p50=$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$line")
  p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line")
  if [ "$rate" != 0 ]; then tag="putload@${rate}/s"; fi
  results+=("$name $op $tag $ops $p50 $p99")
  LAST_OPS=$ops
}

# bench_redis NAME PORT: redis-benchmark SET and GET
bench_redis() {
  local name=$1 port=$2
  if ! have redis-benchmark; then return; fi
  local csv
  # redis-benchmark stops at the first error reply (a dynasim write that
  # timed out answers UNKNOWN): say so and go on.
  if ! csv=$(redis-benchmark -h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$REQUESTS" -t set,get -d "$SIZE" -r 10000 --csv 2>"$tmp/rb.err"); then
    echo "$name: redis-benchmark stopped: $(grep -v WARNING "$tmp/rb.err" | head -1)"
    failed+=("$name redis-benchmark: $(grep -v WARNING "$tmp/rb.err" | head -1)")
    return
  fi
  while IFS=, read -r test rps _avg _min p50 _p95 p99 _max; do
    test=${test//\"/}; rps=${rps//\"/}; p50=${p50//\"/}; p99=${p99//\"/}
    case "$test" in SET | GET) ;; *) continue ;; esac
    echo "$name: redis-benchmark $test rps=$rps p50_ms=$p50 p99_ms=$p99"
    results+=("$name $(tr 'A-Z' 'a-z' <<<"$test") redis-benchmark $rps $p50 $p99")
  done <<<"$csv"
}

# measure NAME PROTO ADDR: putload set, get, then get at half its peak
measure() {
  putload_run "$1" "$2" "$3" set
  putload_run "$1" "$2" "$3" get
  local half
  half=$(awk -v x="$LAST_OPS" 'BEGIN { printf "%d", x / 2 }')
  if [ "$half" -gt 0 ]; then putload_run "$1" "$2" "$3" get "$half"; fi
}

echo "== dynasim: 3 nodes (cluster up -n 3 --version-mode lww)"
"$tmp/dynasim" cluster up -n 3 --dir "$tmp/cluster" --base-port "$BASE" --version-mode lww
bench_redis dynasim $((BASE + 1))
measure dynasim resp "127.0.0.1:$((BASE + 1))"
"$tmp/dynasim" cluster down --dir "$tmp/cluster" >/dev/null

if have redis-server; then
  echo "== redis-server (one server, no persistence per write)"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" >"$tmp/redis.log" 2>&1 &
  redis_pid=$!
  wait_port 127.0.0.1 "$REDIS_PORT" 10
  bench_redis redis "$REDIS_PORT"
  measure redis resp "127.0.0.1:$REDIS_PORT"
  kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""
else
  skipped+=("redis-server (not installed: apt-get install redis-server)")
fi

if have etcd; then
  echo "== etcd (one member)"
  etcd --name bench --data-dir "$tmp/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
    --initial-cluster "bench=http://127.0.0.1:$ETCD_PEER" --log-level error >"$tmp/etcd.log" 2>&1 &
  etcd_pid=$!
  wait_port 127.0.0.1 "$ETCD_CLIENT" 20
  measure etcd etcd "127.0.0.1:$ETCD_CLIENT"
  kill "$etcd_pid"; wait "$etcd_pid" 2>/dev/null || true; etcd_pid=""
else
  skipped+=("etcd (not installed: apt-get install etcd-server)")
fi
if ! have redis-benchmark; then
  skipped+=("redis-benchmark runs (not installed: apt-get install redis-tools); putload figures only")
fi

echo
echo "== results ($CLIENTS clients, ${SIZE}-byte values)"
printf '%-8s %-4s %-22s %12s %9s %9s\n' system op tool ops/s p50_ms p99_ms
for r in "${results[@]}"; do
  # shellcheck disable=SC2086
  printf '%-8s %-4s %-22s %12s %9s %9s\n' $r
done

get() { # system op tool -> ops/s
  local r
  for r in "${results[@]}"; do
    read -r s o t ops _ <<<"$r"
    if [ "$s" = "$1" ] && [ "$o" = "$2" ] && [ "$t" = "$3" ]; then echo "$ops"; return; fi
  done
}
ratio() { # label a b
  if [ -n "$2" ] && [ -n "$3" ]; then awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN { if (b > 0) printf "%-52s %8.3f\n", l, a / b }'; fi
}
echo
echo "== ratios"
ratio "dynasim SET / etcd put (putload; goal >= 10)" "$(get dynasim set putload)" "$(get etcd set putload)"
ratio "dynasim GET / etcd range (putload)" "$(get dynasim get putload)" "$(get etcd get putload)"
ratio "dynasim SET / redis SET (redis-benchmark)" "$(get dynasim set redis-benchmark)" "$(get redis set redis-benchmark)"
ratio "dynasim GET / redis GET (redis-benchmark)" "$(get dynasim get redis-benchmark)" "$(get redis get redis-benchmark)"
ratio "dynasim SET / redis SET (putload)" "$(get dynasim set putload)" "$(get redis set putload)"
ratio "dynasim GET / redis GET (putload)" "$(get dynasim get putload)" "$(get redis get putload)"
for r in "${results[@]}"; do
  read -r s o t _ _ p99 <<<"$r"
  if [ "$s" = dynasim ] && [[ "$t" == putload@* ]]; then
    echo "dynasim GET p99 at 50 % of its peak ($t): $p99 ms (goal < 2 ms)"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo
  for f in "${failed[@]}"; do echo "FAILED: $f"; done
fi
if [ ${#skipped[@]} -gt 0 ]; then
  echo
  for s in "${skipped[@]}"; do echo "SKIPPED: $s"; done
fi
