#!/usr/bin/env bash
# Capture gwtop's demo recording (Demo/incident.gwtoprec): a real, scripted incident on a local supercluster.
#
# Starts the `demo` topology of scripts/supercluster.py (east: e1 2.15.1, e2 2.9.10; west: w1, w2 2.15.1;
# central: c1 2.9.10; live traffic; west behind a load balancer that injects faults) on 127.0.0.1, records it
# with `gwtop --headless --record FILE --interval 1` and drives this timeline (seconds after the recorder starts):
#     0  healthy, with traffic
#    30  flap on: the load balancer cuts c1's gateway connection to west every 6-10 s (c1 redials at once)
#    70  flap off
#    80  w2 killed with SIGKILL
#   110  w2 restarted (same config)
#   130  slow on: the load balancer holds e1's gateway traffic to west 0.375 s each way (RTT ~0.75 s)
#   170  slow off (the RTT shows normal again at the next gateway PING, within 15 s)
#   200  the recorder stops
# Then stops everything (also on error or Ctrl-C) and prints a summary of the recording from
# `gwtop --replay FILE --once --format json`.
#
#   scripts/capture-demo.sh [--force] [--output FILE] [--base-port N]
#
#   --output FILE    default Demo/incident.gwtoprec. gwtop appends to an existing recording, so an existing
#                    FILE is refused unless --force (which deletes it first).
#   --base-port N    first port of the supercluster's layout (default 16000; uses N .. N+38).
#   env GWTOP        the gwtop binary (default .build/debug/gwtop). It runs for minutes: while gwtop is being
#                    rebuilt, copy it first, e.g. cp .build/debug/gwtop /tmp/gwtop && GWTOP=/tmp/gwtop ...
#
# Exit codes: 0 the recording holds every expected event, 1 failure or an expected event is missing
# (the recording is kept for inspection), 2 usage.
set -euo pipefail
export LC_ALL=C  # decimal points in $EPOCHREALTIME and awk
cd "$(dirname "$0")/.."

output=Demo/incident.gwtoprec
base_port=16000
force=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --force) force=1 ;;
        --output) [ $# -ge 2 ] || { usage >&2; exit 2; }; output="$2"; shift ;;
        --base-port) [ $# -ge 2 ] || { usage >&2; exit 2; }; base_port="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "capture-demo: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case "$base_port" in ''|*[!0-9]*) echo "capture-demo: --base-port must be a number" >&2; exit 2 ;; esac

# The incident's timeline, in seconds after the recorder starts.
FLAP_ON=30 FLAP_OFF=70 KILL_AT=80 RESTART_AT=110 SLOW_ON=130 SLOW_OFF=170 DURATION=200

gwtop="${GWTOP:-.build/debug/gwtop}"
[ -x "$gwtop" ] || { echo "capture-demo: no gwtop at $gwtop (swift build, or set GWTOP)" >&2; exit 1; }
if [ -e "$output" ]; then
    if [ "$force" = 1 ]; then
        rm -f -- "$output"
    else
        echo "capture-demo: $output exists and gwtop would append to it; use --force to replace it" >&2
        exit 1
    fi
fi
mkdir -p "$(dirname "$output")"

sc() { python3 scripts/supercluster.py "$@"; }
dir="$(mktemp -d /tmp/gwtop-demo.XXXXXX)"
recorder_pid=""
t0=""
ok=0
stopped=0

say() {
    local offset="     "
    [ -n "$t0" ] && offset="$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%+6.1fs", a - b }')"
    echo "capture-demo: $(date +%H:%M:%S) $offset  $*" >&2
}

cleanup() {
    local code=$?
    trap - EXIT INT TERM
    if [ -n "$recorder_pid" ] && kill -0 "$recorder_pid" 2>/dev/null; then
        say "stopping the recorder (pid $recorder_pid)"
        kill -TERM "$recorder_pid" 2>/dev/null || true  # not INT: a background job of a script ignores SIGINT
        wait "$recorder_pid" 2>/dev/null || true
    fi
    if [ "$stopped" = 0 ] && [ -f "$dir/manifest.json" ]; then
        say "stopping the supercluster in $dir"
        sc stop --dir "$dir" >/dev/null || true
    fi
    if [ "$ok" = 1 ]; then
        rm -rf -- "$dir"
    else
        echo "capture-demo: logs kept in $dir (servers *.log, load balancer chaos-proxy.txt, recorder recorder.txt)" >&2
    fi
    exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sleep until $1 seconds after the recorder started; fail if the recorder died meanwhile.
at() {
    local wait
    wait="$(awk -v t="$1" -v t0="$t0" -v now="$EPOCHREALTIME" 'BEGIN { d = t0 + t - now; if (d < 0) d = 0; printf "%.3f", d }')"
    sleep "$wait"
    if ! kill -0 "$recorder_pid" 2>/dev/null; then
        echo "capture-demo: the recorder exited early; its log:" >&2
        tail -5 "$dir/recorder.txt" >&2
        exit 1
    fi
}

say "starting the demo supercluster in $dir (base port $base_port)"
sc start --dir "$dir" --topology demo --traffic --base-port "$base_port" >"$dir/start.json"
mapfile -t urls < <(python3 - "$dir/start.json" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
for server in manifest["servers"]:
    print(server["monitor_url"])
servers = ", ".join(f"{s['name']} ({s['cluster']}, {s['version']})" for s in manifest["servers"])
notes = manifest["notes"]
print(f"capture-demo: servers: {servers}", file=sys.stderr)
print(f"capture-demo: load balancer for {notes['load_balancer']['cluster']} at {notes['load_balancer']['proxy']}; "
      f"flap: {notes['flap']['dialer']} -> {notes['flap']['cluster']}; "
      f"slow: {notes['slow']['dialer']} -> {notes['slow']['cluster']}", file=sys.stderr)
PY
)
[ "${#urls[@]}" = 5 ] || { echo "capture-demo: expected 5 monitoring URLs in $dir/start.json" >&2; exit 1; }

say "recording ${DURATION}s to $output: $gwtop --headless --record $output --interval 1 --duration ${DURATION}s ${urls[*]}"
t0="$EPOCHREALTIME"
"$gwtop" --headless --record "$output" --interval 1 --duration "${DURATION}s" "${urls[@]}" 2>"$dir/recorder.txt" &
recorder_pid=$!

at "$FLAP_ON";    say "flap on: c1's gateway connection to west is cut every 6-10 s";  sc chaos --dir "$dir" --flap on >/dev/null
at "$FLAP_OFF";   say "flap off";                                                       sc chaos --dir "$dir" --flap off >/dev/null
at "$KILL_AT";    say "kill -KILL w2";                                                  sc kill --dir "$dir" --server w2 --signal KILL >/dev/null
at "$RESTART_AT"; say "restart w2";                                                     sc restart --dir "$dir" --server w2 >/dev/null
at "$SLOW_ON";    say "slow on: e1's gateway traffic to west held 0.375 s each way";   sc chaos --dir "$dir" --slow on >/dev/null
at "$SLOW_OFF";   say "slow off";                                                       sc chaos --dir "$dir" --slow off >/dev/null
say "waiting for the recorder to finish (${DURATION}s)"
set +e
wait "$recorder_pid"
recorder_status=$?
set -e
recorder_pid=""
[ "$recorder_status" = 0 ] || { echo "capture-demo: the recorder exited with $recorder_status" >&2; tail -5 "$dir/recorder.txt" >&2; exit 1; }
say "recorder finished: $(tail -1 "$dir/recorder.txt")"
chmod 0644 "$output"
say "stopping the supercluster"
sc stop --dir "$dir" >/dev/null
stopped=1

"$gwtop" --replay "$output" --once --format json >"$dir/replay.json"
set +e
python3 - "$output" "$dir/replay.json" <<'PY'
import collections, json, re, struct, sys

path, report = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
records, offset, times = 0, 16, []
while offset + 28 <= len(data) and data[offset:offset + 4] == b"GREC":  # RecordingFormat: 28-byte header, payload
    length = struct.unpack_from("<I", data, offset + 4)[0]
    times.append(struct.unpack_from("<q", data, offset + 16)[0])
    records += 1
    offset += 28 + length
span = (times[-1] - times[0]) / 1e9 if times else 0
print(f"recording: {path}, {len(data)} bytes ({len(data) / 1024:.0f} KiB), {records} records over {span:.0f} s")
state = json.load(open(report))
events = state.get("events") or []
print(f"final state: {state.get('status')}, {json.dumps(state.get('summary'))}")
print(f"events by kind ({len(events)} in all):")
for kind, count in sorted(collections.Counter(e["kind"] for e in events).items()):
    print(f"  {kind:22} {count}")
raised = collections.Counter()
for e in events:
    if e["kind"] == "problem_raised":
        m = re.match(r"\S+ (\S+):", e.get("message", ""))
        raised[m.group(1) if m else "?"] += 1
print("problems raised by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(raised.items())))

def has(kind, **where):
    return sum(1 for e in events if e["kind"] == kind and all(e.get(k) == v for k, v in where.items()))

checks = [
    ("c1 outbound to west reconnected (flap) >= 3 times",
     has("gateway_reconnected", server="c1", remote_cluster="west", direction="outbound") >= 3),
    ("w2 endpoint_down", has("endpoint_down", server="w2") >= 1),
    ("w2 endpoint_up", has("endpoint_up", server="w2") >= 1),
    ("w2 server_restarted (new server id after the outage)", has("server_restarted", server="w2") >= 1),
    ("gateway disconnects while w2 is down", has("gateway_disconnected") >= 1),
    ("high_rtt raised for e1 -> west",
     any(e["kind"] == "problem_raised" and "high_rtt" in e["message"] and e.get("server") == "e1" for e in events)),
    ("high_rtt cleared for e1 -> west",
     any(e["kind"] == "problem_cleared" and "high_rtt" in e["message"] and e.get("server") == "e1" for e in events)),
]
missing = [name for name, ok in checks if not ok]
for name, ok in checks:
    print(f"  {'ok  ' if ok else 'MISSING'} {name}")
sys.exit(1 if missing or records == 0 else 0)
PY
summary_status=$?
set -e
if [ "$summary_status" != 0 ]; then
    echo "capture-demo: the recording lacks an expected event (kept: $output)" >&2
    exit 1
fi
ok=1
say "done: $output"
