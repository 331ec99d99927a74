#!/usr/bin/env bash
# Where the "under 5 % of one core" target holds: gwtop --headless (the poller, decoding, model, diagnosis
# and events; no screen) on synthetic meshes of several sizes, each at several intervals, its CPU (user +
# sys from /proc) at steady state: after a warm-up (the start and the first polls, which find every
# connection new), over a window of whole seconds. The dashboard costs more than this (its history and
# tree on top: compare benchmark.sh's dashboard and headless columns).
# Usage: scripts/cpu-budget.sh [SIZE ...]              (default: 10x3 20x3 20x5 30x5 40x5 50x5)
#        INTERVALS="1 2 5 10" WINDOW=40 scripts/cpu-budget.sh ...
# The window is WINDOW seconds (default 30) or four intervals, whichever is longer, rounded up to whole
# intervals; the default --full-every 10 applies, so at 10 s and more every poll is a full one. A run whose
# gwtop stops, misses polls in the window, or does not find every endpoint up is an error, not a figure.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10x3 20x3 20x5 30x5 40x5 50x5)
read -r -a intervals <<<"${INTERVALS:-1 2 5 10}"
window_default="${WINDOW:-30}"
source scripts/bench-lib.sh
synthetic=""; gwtop_pid=""; work=""
trap 'status=$?; for p in $gwtop_pid $synthetic; do kill "$p" 2>/dev/null || true; done; [ -z "$work" ] || finish_work_dir "$status" "$work"' EXIT
for product in gwtop gwtop-synthetic; do swift build -c release --product "$product" >&2; done
bin="$(swift build -c release --show-bin-path)"
work="$(mktemp -d /tmp/gwtop-budget.XXXXXX)"
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Running, not stopped and waiting to be reaped (a zombie's /proc entry still reads).
running() { [ -r "/proc/$1/stat" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat")" != Z ]; }
polls() { grep -c ' poll ' "$1" || true; }

header="| size | servers | connections |"; rule="|---|---|---|"
for interval in "${intervals[@]}"; do header+=" % of one core at ${interval} s |"; rule+="---|"; done
echo "$header"; echo "$rule"
port=18420
for size in "${sizes[@]}"; do
    clusters="${size%x*}"; servers="${size#*x}"
    port=$((port + 1))
    rm -f "$work/urls"
    "$bin/gwtop-synthetic" --clusters "$clusters" --servers "$servers" --port "$port" --urls "$work/urls" 2>/dev/null &
    synthetic=$!
    for _ in $(seq 1 50); do [ -s "$work/urls" ] && break; sleep 0.1; done
    [ -s "$work/urls" ] || { echo "cpu-budget: gwtop-synthetic did not start for $size (port $port)" >&2; exit 1; }
    mapfile -t urls <"$work/urls"
    # Every server keeps one outbound per other cluster, and each of those is some server's inbound.
    row="| $size | $((clusters * servers)) | $((clusters * servers * (clusters - 1) * 2)) |"
    for interval in "${intervals[@]}"; do
        warmup=$(awk -v i="$interval" 'BEGIN { w = 2 * i + 3; print (w < 5 ? 5 : w) }')
        window=$(awk -v i="$interval" -v d="$window_default" \
            'BEGIN { w = (4 * i > d ? 4 * i : d); n = int(w / i); if (n * i < w) n++; print n * i }')
        "$bin/gwtop" --headless --interval "$interval" --timeout 10 "${urls[@]}" 2>"$work/err" &
        gwtop_pid=$!
        sleep "$warmup"
        running "$gwtop_pid" || { echo "cpu-budget: gwtop stopped during the warm-up at $size, ${interval} s (see $work/err)" >&2; exit 1; }
        before=$(ticks "$gwtop_pid"); polls_before=$(polls "$work/err")
        sleep "$window"
        running "$gwtop_pid" || { echo "cpu-budget: gwtop stopped during the window at $size, ${interval} s (see $work/err)" >&2; exit 1; }
        after=$(ticks "$gwtop_pid"); polls_after=$(polls "$work/err")
        kill -INT "$gwtop_pid"
        for _ in $(seq 1 100); do running "$gwtop_pid" || break; sleep 0.1; done
        kill -KILL "$gwtop_pid" 2>/dev/null || true
        wait "$gwtop_pid" 2>/dev/null || true
        gwtop_pid=""
        expected=$(awk -v w="$window" -v i="$interval" 'BEGIN { print int(w / i) - 1 }')
        [ $((polls_after - polls_before)) -ge "$expected" ] || {
            echo "cpu-budget: $((polls_after - polls_before)) polls in the ${window} s window at $size, ${interval} s (expected $expected or more; see $work/err)" >&2
            exit 1
        }
        last=$(grep ' poll ' "$work/err" | tail -1)
        [[ "$last" =~ \ ([0-9]+)/([0-9]+)\ endpoints\ up ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || {
            echo "cpu-budget: not every endpoint up at $size, ${interval} s: $last" >&2
            exit 1
        }
        row+=$(awk -v a="$after" -v b="$before" -v hz="$hz" -v w="$window" 'BEGIN { printf " %.1f %% |", (a - b) * 100 / hz / w }')
    done
    echo "$row"
    kill "$synthetic" 2>/dev/null || true
    wait "$synthetic" 2>/dev/null || true
    synthetic=""
done
echo
echo "machine: $(nproc) cores, $(uname -srm); $(swift --version 2>/dev/null | head -1); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "command: scripts/cpu-budget.sh ${sizes[*]}   (INTERVALS=\"${intervals[*]}\" WINDOW=$window_default)"
