#!/usr/bin/env bash
# gwtop at supercluster scale, on the release build, against gwtop-synthetic (a self-consistent
# synthetic supercluster served over HTTP, counters advancing so rates are real). For each size
# (clusters x servers) it measures, in one run on one machine:
#   floor     plain parallel fetching of the same documents: curl --parallel (64 at a time), one full
#             cycle (/varz, /gatewayz?accs=1, /routez, /healthz) and one frequent cycle (/gatewayz:
#             what gwtop asks between full polls), and curl's own CPU for a frequent cycle
#   --once    gwtop --once --interval 0.1 (a full poll, a frequent poll and the report), wall time,
#             against the two floors + 0.1 s; with the JSON report (35 MB at 250 servers) and the text one,
#             which asks no accounts and is read against a full cycle without accs=1
#   cycle     gwtop --headless for N polls at a 1 s interval: CPU per cycle, % of one core, peak RSS;
#             with the default --full-every 10 and with --full-every 0 (everything every poll)
#   pipeline  gwtop-bench on a recording of the same mesh: decode MiB/s, model, diagnosis, dashboard
#             update, offscreen render of a 120x40 frame, key + render
#   terminal  the dashboard in a 120x40 tmux for 20 s: its own CPU (% of one core at the 1 s default
#             interval), its peak RSS, bytes written to the terminal per second, and
#             key-to-frame latency while poll cycles are in flight (gwtop's own timing, --log-level debug)
# Medians of 5 runs where repeated. Usage: scripts/benchmark.sh [SIZE ...]   (default: 10x3 50x5)
# A size may end in +broken: the same mesh with its first cluster cut off from all the others and the
# first server of the second one down (gwtop-synthetic --cut dc01:* --down dc02-s1), what gwtop must
# still be quick at when it matters; the connections column then counts those gwtop found.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10x3 50x5)
command -v /usr/bin/time >/dev/null || { echo "benchmark: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
command -v curl >/dev/null && command -v tmux >/dev/null || { echo "benchmark: needs curl and tmux" >&2; exit 1; }
echo "benchmark: building release (gwtop, gwtop-synthetic, gwtop-bench)" >&2
for product in gwtop gwtop-synthetic gwtop-bench; do swift build -c release --product "$product" >&2; done
bin="$(swift build -c release --show-bin-path)"
work="$(mktemp -d /tmp/gwtop-bench.XXXXXX)"
socket="gwtop-bench-$$"
synthetic_pid=""
cleanup() {
    local status=$?
    tmux -L "$socket" kill-server 2>/dev/null || true
    [ -n "$synthetic_pid" ] && kill "$synthetic_pid" 2>/dev/null || true
    finish_work_dir "$status" "$work"
}
trap cleanup EXIT

source scripts/bench-lib.sh

echo "| size | servers | connections | floor (full cycle) | floor (full, no accounts) | floor (frequent cycle) | --once --format json (2 polls) | ratio to the floors + 0.1 s | --once (text) | ratio (to the floor without accounts) | CPU per cycle, everything every poll (headless: no accounts) | CPU per cycle (full every 10 s) | % of one core at 1 s | fetch floor CPU (curl, frequent cycle) | peak RSS (everything / full every 10 s) | decode (frequent poll) | decode (full poll) | model | diagnosis | dashboard update | render 120x40 | key + render | dashboard CPU at 1 s (% of one core) | dashboard peak RSS | terminal bytes/s | key-to-frame median (p95) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
port=18300
for size in "${sizes[@]}"; do
    mesh="${size%%+*}"; variant="${size#"$mesh"}"
    clusters="${mesh%x*}"; servers="${mesh#*x}"
    faults=()
    case "$variant" in
        "") ;;
        +broken) faults=(--cut 'dc01:*' --down dc02-s1) ;;
        *) echo "benchmark: unknown variant $variant in $size (known: +broken)" >&2; exit 1 ;;
    esac
    port=$((port + 1))
    "$bin/gwtop-synthetic" --clusters "$clusters" --servers "$servers" --port "$port" --urls "$work/urls-$size" "${faults[@]}" \
        2>"$work/synthetic-$size.log" &
    synthetic_pid=$!
    for _ in $(seq 1 50); do [ -s "$work/urls-$size" ] && break; sleep 0.1; done
    mapfile -t urls <"$work/urls-$size"
    curl_cycles "$work/urls-$size" "$work/curl-$size" "$work/curl-frequent-$size" "$work/curl-bare-$size"

    floor_of() { for _ in 1 2 3 4 5; do curl_seconds "$1"; done | median; }
    floor=$(floor_of "$work/curl-$size")
    floor_bare=$(floor_of "$work/curl-bare-$size")
    floor_frequent=$(floor_of "$work/curl-frequent-$size")
    # The fetch alone, as curl does it: CPU (user + sys) of one frequent cycle, the mean of 10 (timed
    # together: the clock ticks are 10 ms), over 4 connections as gwtop uses to this one host (64 cost
    # curl twice as much). gwtop's CPU per poll is read against it: the bytes must be received before
    # anything is decoded.
    floor_cpu=$(/usr/bin/time -f "%U %S" bash -c "for _ in 1 2 3 4 5 6 7 8 9 10; do curl -s --parallel --parallel-max 4 -K '$work/curl-frequent-$size' >/dev/null || true; done" 2>&1 >/dev/null \
        | tail -1 | awk '{ printf "%.0f ms (%.1f %%)", ($1 + $2) * 100, ($1 + $2) * 10 }')
    once=$(once_seconds "$bin/gwtop" "${urls[@]}")
    once_text=$(ONCE_FORMAT=text once_seconds "$bin/gwtop" "${urls[@]}")
    ratio=$(awk -v o="$once" -v f="$floor" -v q="$floor_frequent" 'BEGIN { printf "%.1f", o / (f + q + 0.1) }')
    ratio_text=$(awk -v o="$once_text" -v f="$floor_bare" -v q="$floor_frequent" 'BEGIN { printf "%.1f", o / (f + q + 0.1) }')

    headless_cost "$bin/gwtop" "$work/headless-all-$size" 30 --full-every 0 "${urls[@]}"
    cpu_all="$cpu"; share_all="$share"; peak_all="$peak"
    headless_cost "$bin/gwtop" "$work/headless-$size" 30 "${urls[@]}"

    "$bin/gwtop" --headless --record "$work/rec-$size.gwtoprec" --interval 1 --timeout 10 --duration 3s "${urls[@]}" 2>/dev/null || true
    "$bin/gwtop-bench" "$work/rec-$size.gwtoprec" --repeat 9 >"$work/bench-$size.txt"
    # The figure after a label: "0.49 ms (120x40)" from "  render 120x40 frame      0.49 ms  (120x40)".
    pick() {
        grep "$1" "$work/bench-$size.txt" | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "ms" && $i ~ /^[0-9.]+$/) {
            out = $i " ms"; for (j = i + 2; j <= NF; j++) out = out " " $j; print out; exit } }'
    }

    tmux -L "$socket" -f /dev/null new-session -d -s "dash-$size" -x 120 -y 40 \
        "script -q -f $work/dash-$size.typescript -c '$bin/gwtop --log $work/dash-$size.log --log-level debug --timeout 10 ${urls[*]}'"
    sleep 8
    # CPU of the dashboard process itself over the same 20 s (utime + stime in clock ticks).
    # The gwtop process under tmux and script (its comm is not reliably "gwtop": matched by executable).
    dash_pid=""
    # (pgrep reads a pattern: a size's "+" is escaped.)
    for p in $(pgrep -f -- "dash-${size//+/\\+}.log" || true); do
        [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$bin/gwtop")" ] && dash_pid="$p"
    done
    [ -n "$dash_pid" ] || { echo "benchmark: the dashboard did not start (see $work/dash-$size.log)" >&2; exit 1; }
    ticks() { awk '{ print $14 + $15 }' "/proc/$dash_pid/stat"; }
    cpu_before=$(ticks)
    before=$(stat -c %s "$work/dash-$size.typescript"); sleep 20; after=$(stat -c %s "$work/dash-$size.typescript")
    cpu_after=$(ticks)
    dash_cpu=$(awk -v a="$cpu_after" -v b="$cpu_before" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f %%", (a - b) * 100 / hz / 20 }')
    bytes=$(( (after - before) / 20 ))
    for _ in $(seq 1 20); do tmux -L "$socket" send-keys -t "dash-$size" j; sleep 0.15; done
    for _ in $(seq 1 20); do tmux -L "$socket" send-keys -t "dash-$size" k; sleep 0.15; done
    sleep 1
    # The dashboard's peak RSS, histories and all, after ~30 s (its history rings are allocated whole at
    # their first sample, so this is their steady size).
    dash_rss=$(awk '/VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$dash_pid/status")
    tmux -L "$socket" send-keys -t "dash-$size" q
    keys=$(grep 'key answered' "$work/dash-$size.log" | sed -E 's/.*ms=([0-9.]+).*/\1/' | sort -n | awk '
        { v[NR] = $1 } END { if (NR == 0) { print "-"; exit } printf "%.1f ms (%.1f ms)", v[int((NR + 1) / 2)], v[int(NR * 0.95 + 0.5)] }')

    # As gwtop found them in the recording (a broken mesh has fewer than the synthetic's whole count).
    connections=$(grep -o '[0-9]* gateway connections' "$work/bench-$size.txt" | head -1 | cut -d' ' -f1)
    echo "| $size | $((clusters * servers)) | $connections | ${floor} s | ${floor_bare} s | ${floor_frequent} s | ${once} s | ${ratio} | ${once_text} s | ${ratio_text} | $cpu_all ($share_all) | $cpu | $share | $floor_cpu | $peak_all / $peak | $(pick 'decode one poll') | $(pick 'decode one full poll') | $(pick 'build the model') | $(pick 'diagnose') | $(pick 'dashboard update') | $(pick 'render 120') | $(pick 'key (') | $dash_cpu | $dash_rss | $bytes | $keys |"
    kill "$synthetic_pid" 2>/dev/null || true
    synthetic_pid=""
done
echo
echo "machine: $(nproc) cores, $(uname -srm); $(swift --version 2>/dev/null | head -1); $(date -u +%Y-%m-%dT%H:%MZ)"
