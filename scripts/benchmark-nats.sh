#!/usr/bin/env bash
# gwtop's two sources side by side at scale, on the release build: the HTTP endpoints of
# gwtop-synthetic's servers, and the same servers answering the system-account PING requests through a
# real nats-server (gwtop-synthetic --nats; every reply comes from one connection there, not from
# servers across gateways). Per size (clusters x servers), in one run:
#   --once    gwtop --once --interval 0.1 --format json, wall time, median of 5, each source
#   cycle     gwtop --headless for N polls at a 1 s interval: CPU per cycle, % of one core, peak RSS, each source
# Usage: scripts/benchmark-nats.sh [SIZE ...]   (default: 10x3 50x5)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10x3 50x5)
command -v /usr/bin/time >/dev/null || { echo "benchmark-nats: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
nats_server="$(python3 scripts/supercluster.py server-binaries | python3 -c 'import json,sys; print(json.load(sys.stdin)["new"]["path"])')"
echo "benchmark-nats: building release (gwtop, gwtop-synthetic)" >&2
for product in gwtop gwtop-synthetic; do swift build -c release --product "$product" >&2; done
bin="$(swift build -c release --show-bin-path)"
work="$(mktemp -d /tmp/gwtop-bench-nats.XXXXXX)"
pids=()
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    finish_work_dir "$status" "$work"
}
trap cleanup EXIT
source scripts/bench-lib.sh

nats_port=18422
"$nats_server" -a 127.0.0.1 -p "$nats_port" 2>"$work/nats-server.log" &
pids+=($!)
sleep 1
nats="nats://127.0.0.1:$nats_port"

echo "| size | servers | source | --once (2 polls) | CPU per cycle | % of one core at 1 s | peak RSS |"
echo "|---|---|---|---|---|---|---|"
port=18400
for size in "${sizes[@]}"; do
    clusters="${size%x*}"; servers="${size#*x}"
    port=$((port + 1))
    "$bin/gwtop-synthetic" --clusters "$clusters" --servers "$servers" --port "$port" --urls "$work/urls-$size" \
        --nats "$nats" 2>"$work/synthetic-$size.log" &
    synthetic=$!
    for _ in $(seq 1 50); do grep -q answering "$work/synthetic-$size.log" 2>/dev/null && break; sleep 0.1; done
    mapfile -t urls <"$work/urls-$size"
    for source in http nats; do
        if [ "$source" = http ]; then args=("${urls[@]}"); else args=(--nats "$nats"); fi
        once=$(once_seconds "$bin/gwtop" "${args[@]}")
        headless_cost "$bin/gwtop" "$work/headless-$size-$source" 30 "${args[@]}"
        up=$(grep ' poll ' "$headless_err" | tail -1 | grep -o '[0-9]*/[0-9]* endpoints up' || true)
        echo "| $size | $((clusters * servers)) | $source ($up) | ${once} s | $cpu | $share | $peak |"
    done
    kill "$synthetic" 2>/dev/null || true
    wait "$synthetic" 2>/dev/null || true
done
