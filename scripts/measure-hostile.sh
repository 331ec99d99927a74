#!/usr/bin/env bash
# Measures gwtop against misbehaving endpoints, next to a real healthy server:
#   1. peak memory (max RSS) of `gwtop --once` when one endpoint sends a 64 MiB body on every request;
#   2. the time of `gwtop --once` (two polls) with N endpoints that accept connections and never answer.
# Usage: scripts/measure-hostile.sh [path/to/gwtop]   (default: the debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-.build/debug/gwtop}"
[ -x "$bin" ] || { echo "measure: build gwtop first (swift build)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "measure: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
work="$(mktemp -d /tmp/gwtop-hostile.XXXXXX)"
pids=()
source scripts/bench-lib.sh
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    python3 scripts/supercluster.py stop --dir "$work/sc" >/dev/null 2>&1 || true
    finish_work_dir "$status" "$work"
}
trap cleanup EXIT

python3 scripts/supercluster.py start --dir "$work/sc" --topology healthy --base-port 23500 >"$work/sc.json"
good="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["servers"][0]["monitor_url"])' "$work/sc.json")"

# A 64 MiB body: announced with Content-Length (argument "length"), or streamed until the connection
# closes with no length announced ("stream"), which the client can only stop by counting.
huge_server() {
python3 - "$1" "$2" <<'PY' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
announce = sys.argv[2] == "length"
chunk = b" " * 65536
def serve(c):
    try:
        c.recv(65536)
        if announce:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (64 << 20))
        else:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
        for _ in range((64 << 20) // len(chunk)): c.sendall(chunk)
    except OSError: pass
    finally: c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
pids+=($!)
}
huge_server "$work/huge.port" length
huge_server "$work/stream.port" stream
python3 scripts/silent-listener.py "$work/hang.port" &
pids+=($!)
sleep 0.5
huge="http://127.0.0.1:$(cat "$work/huge.port")"
stream="http://127.0.0.1:$(cat "$work/stream.port")"
hang="http://127.0.0.1:$(cat "$work/hang.port")"

baseline=$( { /usr/bin/time -f %M "$bin" --once --timeout 2 "$good" >/dev/null; } 2>&1 | tail -1 )
with_huge=$( { /usr/bin/time -f %M "$bin" --once --timeout 5 "$good" "$huge" >/dev/null; } 2>&1 | tail -1 )
with_stream=$( { /usr/bin/time -f %M "$bin" --once --timeout 5 "$good" "$stream" >/dev/null; } 2>&1 | tail -1 )
echo "peak RSS, gwtop --once on 1 healthy server: ${baseline} KiB"
echo "  plus one endpoint announcing 64 MiB bodies (Content-Length): ${with_huge} KiB"
echo "  plus one endpoint streaming 64 MiB bodies with no length: ${with_stream} KiB"
echo "(the body cap is 16 MiB per response: a larger body is abandoned when its length is announced, or as soon as the count passes the cap)"

for n in 1 10 50; do
    urls=("$good")
    # Distinct URLs (path prefixes) that all lead to the silent listener.
    for i in $(seq 1 "$n"); do urls+=("$hang/hang$i"); done
    start=$(date +%s.%N)
    "$bin" --once --timeout 2 --interval 1 "${urls[@]}" >/dev/null
    end=$(date +%s.%N)
    printf 'gwtop --once (2 polls, 1 s apart, 2 s timeout) with %2d silent endpoints and 1 healthy: %.2f s\n' "$n" \
        "$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$start" "$end")"
done
