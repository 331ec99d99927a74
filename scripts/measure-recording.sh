#!/usr/bin/env bash
# Measures what a recording costs on disk: records a real supercluster (5 servers of both versions,
# with traffic) for N seconds at a 1 s interval, then reports bytes per poll, per server per hour,
# and the compression ratio (from the record headers, which hold both sizes).
# Usage: scripts/measure-recording.sh [seconds] [path/to/gwtop]   (default: 120 s, the debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
bin="${2:-.build/debug/gwtop}"
[ -x "$bin" ] || { echo "measure: build gwtop first (swift build)" >&2; exit 1; }
work="$(mktemp -d /tmp/gwtop-recording.XXXXXX)"
source scripts/bench-lib.sh
cleanup() {
    local status=$?
    python3 scripts/supercluster.py stop --dir "$work/sc" >/dev/null 2>&1 || true
    finish_work_dir "$status" "$work"
}
trap cleanup EXIT

python3 scripts/supercluster.py start --dir "$work/sc" --topology healthy --base-port 23600 --traffic >"$work/sc.json"
mapfile -t urls < <(python3 -c 'import json,sys; [print(s["monitor_url"]) for s in json.load(open(sys.argv[1]))["servers"]]' "$work/sc.json")
"$bin" --headless --record "$work/r.gwtoprec" --interval 1 --duration "${seconds}s" "${urls[@]}" 2>"$work/headless.err"

python3 - "$work/r.gwtoprec" "${#urls[@]}" "$seconds" <<'PY'
import struct, sys
path, servers, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
data = open(path, "rb").read()
offset, records, compressed, raw = 16, 0, 0, 0
while offset + 28 <= len(data):
    magic, plen, rlen = data[offset:offset + 4], *struct.unpack_from("<II", data, offset + 4)
    if magic != b"GREC": break
    records += 1; compressed += plen; raw += rlen; offset += 28 + plen
per_poll = len(data) / records
print(f"servers {servers}, {records} polls in {seconds:.0f} s, file {len(data)} bytes")
print(f"per poll: {per_poll:.0f} bytes ({raw / records:.0f} bytes of payload before compression, ratio {raw / compressed:.1f}:1)")
print(f"per server per hour at 1 s: {per_poll / servers * 3600 / 1048576:.2f} MiB")
PY
