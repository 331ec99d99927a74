#!/usr/bin/env bash
# Measures the dashboard as an SSH user would feel it, against a local supercluster with live traffic:
#   1. bytes written to the terminal per second at steady state, at 120x40 (what crosses the SSH link);
#   2. key-to-frame latency (gwtop's own timing, --log-level debug) with every endpoint healthy, and
#      with an extra endpoint that accepts connections and never answers (every poll times out on it).
# Usage: scripts/measure-dashboard.sh [path/to/gwtop]   (default: the debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-.build/debug/gwtop}"
[ -x "$bin" ] || { echo "measure: build gwtop first (swift build)" >&2; exit 1; }
work="$(mktemp -d /tmp/gwtop-measure.XXXXXX)"
socket="gwtop-measure-$$"
source scripts/bench-lib.sh
cleanup() {
    local status=$?
    tmux -L "$socket" kill-server 2>/dev/null || true
    python3 scripts/supercluster.py stop --dir "$work/sc" >/dev/null 2>&1 || true
    [ -n "${hang_pid:-}" ] && kill "$hang_pid" 2>/dev/null || true
    finish_work_dir "$status" "$work"
}
trap cleanup EXIT

python3 scripts/supercluster.py start --dir "$work/sc" --topology healthy --traffic --base-port 23000 >"$work/sc.json"
urls="$(python3 -c 'import json,sys; print(" ".join(s["monitor_url"] for s in json.load(open(sys.argv[1]))["servers"]))' "$work/sc.json")"

# An endpoint that accepts and never answers.
python3 scripts/silent-listener.py "$work/hang.port" &
hang_pid=$!
sleep 0.5
hang_url="http://127.0.0.1:$(cat "$work/hang.port")"

run_dashboard() {  # name, extra gwtop arguments...
    local name="$1"; shift
    tmux -L "$socket" -f /dev/null new-session -d -s "$name" -x 120 -y 40 \
        "script -q -f $work/$name.typescript -c '$bin --log $work/$name.log --log-level debug $*'"
}

measure_bytes() {  # name, seconds
    local name="$1" seconds="$2"
    sleep 5  # first polls, history filling
    local before after
    before=$(stat -c %s "$work/$name.typescript")
    sleep "$seconds"
    after=$(stat -c %s "$work/$name.typescript")
    echo $(( (after - before) / seconds ))
}

press_keys() {  # name: 40 navigation keys, 100 ms apart
    local name="$1"
    for _ in $(seq 1 20); do tmux -L "$socket" send-keys -t "$name" j; sleep 0.1; done
    for _ in $(seq 1 20); do tmux -L "$socket" send-keys -t "$name" k; sleep 0.1; done
}

latency_summary() {  # log file -> "n=… median=… p95=… max=… ms"
    grep 'key answered' "$1" | sed -E 's/.*ms=([0-9.]+).*/\1/' | sort -n | awk '
        { v[NR] = $1 } END { if (NR == 0) { print "n=0"; exit }
        printf "n=%d median=%.2f p95=%.2f max=%.2f ms\n", NR, v[int((NR + 1) / 2)], v[int(NR * 0.95 + 0.5)], v[NR] }'
}

run_dashboard steady $urls
bytes=$(measure_bytes steady 30)
press_keys steady
echo "steady state at 120x40, 5 servers, 1 s interval: ${bytes} bytes/s written to the terminal"
echo "key to frame, all endpoints healthy: $(latency_summary "$work/steady.log")"

run_dashboard hanging --timeout 5 $urls "$hang_url"
sleep 3
press_keys hanging
echo "key to frame, one endpoint timing out on every poll (5 s timeout): $(latency_summary "$work/hanging.log")"
