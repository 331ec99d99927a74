#!/usr/bin/env bash
# Record gwtop's monitoring fixtures from real nats-servers into Tests/Fixtures/<topology>/.
#
# usage: scripts/record-fixtures.sh [healthy] [broken]      (default: both)
# env:   GWTOP_FIXTURES_BASE_PORT  first port of the layout (default 15000, away from the default 14000)
#        GWTOP_FIXTURES_DIR        output directory (default <repo>/Tests/Fixtures)
#        GWTOP_NATS_SERVER_NEW / GWTOP_NATS_SERVER_OLD   binaries, see scripts/supercluster.py --help
#
# For each topology: start it with --traffic, wait 3 s, poll /varz, /gatewayz?accs=1, /routez and /healthz
# of every server twice, 2 s apart (bodies stored exactly as sent), copy the manifest and configs, extract the
# log lines containing "gid:", stop the servers. A topology's old fixtures are replaced only when its
# recording succeeded.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
supercluster="$here/supercluster.py"
out=${GWTOP_FIXTURES_DIR:-$root/Tests/Fixtures}
base=${GWTOP_FIXTURES_BASE_PORT:-15000}
endpoints=("varz:/varz" "gatewayz:/gatewayz?accs=1" "routez:/routez" "healthz:/healthz")

if [ $# -eq 0 ]; then set -- healthy broken; fi
for t in "$@"; do
    case "$t" in healthy|broken|misconfigured) ;; *) echo "record-fixtures: unknown topology '$t' (healthy|broken)" >&2; exit 2;; esac
done
command -v curl >/dev/null || { echo "record-fixtures: curl is required" >&2; exit 2; }

work=""
staging=""
cleanup() {
    if [ -n "$staging" ]; then rm -rf "$staging"; staging=""; fi
    if [ -n "$work" ]; then
        python3 "$supercluster" stop --dir "$work" >/dev/null || true
        rm -rf "$work"
        work=""
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

poll() { # poll <manifest> <dest dir>
    local manifest=$1 dest=$2 name url entry file path
    while read -r name url; do
        mkdir -p "$dest/$name"
        for entry in "${endpoints[@]}"; do
            file=${entry%%:*}
            path=${entry#*:}
            # no -f: /healthz answers 503 with a body worth keeping
            curl -sS --max-time 5 -o "$dest/$name/$file.json" "$url$path" \
                || echo "record-fixtures: warning: $name $path did not answer" >&2
        done
    done < <(python3 -c 'import json,sys
for s in json.load(open(sys.argv[1]))["servers"]: print(s["name"], s["monitor_url"])' "$manifest")
}

mkdir -p "$out"
for topology in "$@"; do
    work=$(mktemp -d "${TMPDIR:-/tmp}/gwtop-fixtures-$topology.XXXXXX")
    echo "record-fixtures: $topology: starting on base port $base in $work" >&2
    python3 "$supercluster" start --dir "$work" --base-port "$base" --topology "$topology" --traffic >/dev/null
    staging="$out/.$topology.recording"
    rm -rf "$staging"
    mkdir -p "$staging"
    sleep 3
    t1=$(date +%s.%N)
    poll "$work/manifest.json" "$staging/poll-1"
    # second poll starts 2 s after the first one started
    sleep "$(python3 -c 'import sys,time; print(max(0.0, float(sys.argv[1]) + 2 - time.time()))' "$t1")"
    poll "$work/manifest.json" "$staging/poll-2"
    mkdir -p "$staging/gid-lines" "$staging/configs"
    for logfile in "$work"/*.log; do
        name=$(basename "$logfile" .log)
        [ "$name" = traffic ] && continue
        grep 'gid:' "$logfile" > "$staging/gid-lines/$name.txt" || true
        cp "$work/$name.conf" "$staging/configs/$name.conf"
    done
    cp "$work/manifest.json" "$staging/manifest.json"
    rm -rf "${out:?}/$topology"
    mv "$staging" "$out/$topology"
    staging=""
    cleanup
    echo "record-fixtures: $topology: recorded into $out/$topology ($(du -sh "$out/$topology" | cut -f1))" >&2
done
