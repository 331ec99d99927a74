#!/usr/bin/env bash
# Compares two gwtop binaries on the same synthetic supercluster in one run, alternating them so the
# machine's noise falls on both: --once wall time (5 runs each, median) and CPU per poll of a 20-poll
# --headless run at a 1 s interval (median of 3), with peak RSS.
# Usage: scripts/compare-binaries.sh OLD_GWTOP NEW_GWTOP [CLUSTERSxSERVERS]   (default 50x5)
set -euo pipefail
cd "$(dirname "$0")/.."
old="$1"; new="$2"; size="${3:-50x5}"
clusters="${size%x*}"; servers="${size#*x}"
swift build -c release --product gwtop-synthetic >&2
work="$(mktemp -d /tmp/gwtop-compare.XXXXXX)"
source scripts/bench-lib.sh
serve_synthetic "$(swift build -c release --show-bin-path)/gwtop-synthetic" "$clusters" "$servers" 18399
for round in 1 2 3 4 5; do
    for which in old new; do
        bin=$([ "$which" = old ] && echo "$old" || echo "$new")
        /usr/bin/time -f %e "$bin" --once --interval 0.1 --timeout 10 --format json "${urls[@]}" 2>&1 >/dev/null | tail -1 >>"$work/once-$which"
    done
done
for round in 1 2 3; do
    for which in old new; do
        bin=$([ "$which" = old ] && echo "$old" || echo "$new")
        /usr/bin/time -f "%U %S %M" -o "$work/time" "$bin" --headless --interval 1 --timeout 10 --duration 20s "${urls[@]}" 2>"$work/err" || true
        read -r user sys rss <"$work/time"
        polls=$(grep -c ' poll ' "$work/err" || true)
        awk -v u="$user" -v s="$sys" -v n="$polls" 'BEGIN { printf "%.0f\n", (u + s) * 1000 / n }' >>"$work/cpu-$which"
        echo "$rss" >>"$work/rss-$which"
    done
done
echo "| binary | --once (median of 5) | CPU per poll at 1 s (median of 3) | peak RSS (max of 3) |"
echo "|---|---|---|---|"
for which in old new; do
    bin=$([ "$which" = old ] && echo "$old" || echo "$new")
    echo "| $which ($bin) | $(median <"$work/once-$which") s | $(median <"$work/cpu-$which") ms | $(sort -n "$work/rss-$which" | tail -1 | awk '{ printf "%.0f MiB", $1 / 1024 }') |"
done
echo
echo "$size synthetic supercluster; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
