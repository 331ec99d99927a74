#!/usr/bin/env bash
# Try gwtop on a fresh Debian machine: installs what is missing, builds gwtop, and opens it on the
# demo recording or on a local supercluster on loopback (3 clusters, 5 servers of nats-server 2.15.1
# and 2.9.10, live traffic, one implicit gateway). q stops gwtop (and the supercluster).
#
#   scripts/try.sh demo       the recorded incident of Demo/ (a flapping gateway, a killed server, a slow link)
#   scripts/try.sh            the healthy supercluster, live
#   scripts/try.sh broken     plus a configured cluster that never runs and a gateway failing authentication
#   scripts/try.sh nats       the healthy supercluster, seen through one system-account login (gwtop --nats)
#   scripts/try.sh scale      250 synthetic servers in 50 clusters (gwtop-synthetic, release builds); 30 s in,
#                             dc07 and dc31 lose their gateways and dc12-s3 goes down: press s (sort by health)
#   GWTOP_TRY_PORT=16000 scripts/try.sh   another base port (default 14000)
set -euo pipefail
cd "$(dirname "$0")/.."
topology="${1:-healthy}"
case "$topology" in healthy|broken|demo|nats|scale) ;; *) echo "usage: scripts/try.sh [demo|healthy|broken|nats|scale]" >&2; exit 2 ;; esac
if [ -d /opt/swift/usr/bin ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi

bash scripts/install-deps.sh
if [ "$topology" = scale ]; then
    # Release builds: a debug build spends most of a second on each poll of 250 servers.
    echo "try: building gwtop and gwtop-synthetic for release (the first build takes several minutes)" >&2
    for product in gwtop gwtop-synthetic; do
        swift build -c release --product "$product" 2>&1 | grep -E "error|Build complete" >&2 || true
    done
    release="$(swift build -c release --show-bin-path)"
    [ -x "$release/gwtop" ] && [ -x "$release/gwtop-synthetic" ] || { echo "try: build failed; run 'swift build -c release' to see why" >&2; exit 1; }
    dir="$(mktemp -d /tmp/gwtop-try.XXXXXX)"
    "$release/gwtop-synthetic" --clusters 50 --servers 5 --port "${GWTOP_TRY_PORT:-14000}" --urls "$dir/urls" \
        --cut dc07:dc31 --down dc12-s3 --faults-after 30 2>"$dir/synthetic.log" &
    synthetic=$!
    trap 'kill "$synthetic" 2>/dev/null || true; rm -rf "$dir"' EXIT
    for _ in $(seq 1 50); do [ -s "$dir/urls" ] && break; sleep 0.1; done
    [ -s "$dir/urls" ] || { echo "try: gwtop-synthetic did not start: $(cat "$dir/synthetic.log")" >&2; exit 1; }
    echo "try: 250 synthetic servers on 127.0.0.1:${GWTOP_TRY_PORT:-14000}; faults in 30 s; running: $release/gwtop" >&2
    "$release/gwtop" $(cat "$dir/urls")
    exit
fi
echo "try: building gwtop (the first build takes a few minutes)" >&2
swift build --product gwtop 2>&1 | grep -E "error|warning: .*gwtop|Compiling gwtop|Build complete" >&2 || true
bin="$(swift build --product gwtop --show-bin-path)/gwtop"
[ -x "$bin" ] || { echo "try: build failed; run 'swift build' to see why" >&2; exit 1; }

if [ "$topology" = demo ]; then
    echo "try: running: $bin --demo" >&2
    exec "$bin" --demo
fi

dir="$(mktemp -d /tmp/gwtop-try.XXXXXX)"
cleanup() { python3 scripts/supercluster.py stop --dir "$dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
if [ "$topology" = nats ]; then
    python3 scripts/supercluster.py start --dir "$dir" --topology healthy --traffic --system-account \
        --base-port "${GWTOP_TRY_PORT:-14000}" >"$dir/start.json"
    read -r url user password < <(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); a=m["system_account"]; print(m["servers"][0]["client_url"], a["user"], a["password"])' "$dir/start.json")
    echo "try: supercluster up in $dir; running: $bin --nats $url --user $user --password ***" >&2
    "$bin" --nats "$url" --user "$user" --password "$password"
    exit
fi
python3 scripts/supercluster.py start --dir "$dir" --topology "$topology" --traffic \
    --base-port "${GWTOP_TRY_PORT:-14000}" >"$dir/start.json"
urls="$(python3 -c 'import json,sys; print(" ".join(s["monitor_url"] for s in json.load(open(sys.argv[1]))["servers"]))' "$dir/start.json")"
echo "try: supercluster up in $dir; running: $bin $urls" >&2
"$bin" $urls
