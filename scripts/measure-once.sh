#!/usr/bin/env bash
# `--once` against its fetch floor, alternated round by round so the machine's noise falls on both: per
# round, curl fetching a full cycle (with accounts, and without: what --check and the text report ask since
# they stopped asking accs=1) and a frequent cycle of the same synthetic mesh, then gwtop --once (text
# report), gwtop --check and gwtop --once --format json (which asks the accounts: read against the floor
# with them). Prints the medians and the ratios to the floors + the 0.1 s interval, which is
# what the issue's "--once within 1.5x the fetch floor" is read against: "ratio" to the floor of what this
# build asks (no accounts), "ratio (accs)" to the floor with accounts (what builds before asked).
# Usage: scripts/measure-once.sh [CLUSTERSxSERVERS] [ROUNDS]   (default 50x5, 7)
#        GWTOP=/old/gwtop:/new/gwtop scripts/measure-once.sh ...  (other builds, each in every round;
#                                                                 default: this checkout's release build)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-50x5}"; rounds="${2:-7}"
clusters="${size%x*}"; servers="${size#*x}"
for product in gwtop gwtop-synthetic; do swift build -c release --product "$product" >&2; done
bin="$(swift build -c release --show-bin-path)"
IFS=: read -r -a binaries <<<"${GWTOP:-$bin/gwtop}"
work="$(mktemp -d /tmp/gwtop-once.XXXXXX)"
source scripts/bench-lib.sh
serve_synthetic "$bin/gwtop-synthetic" "$clusters" "$servers" 18398
curl_cycles "$work/urls" "$work/curl-full" "$work/curl-frequent" "$work/curl-full-without-accounts"
seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
for _ in $(seq 1 "$rounds"); do
    curl_seconds "$work/curl-full" >>"$work/full"
    curl_seconds "$work/curl-full-without-accounts" >>"$work/full-without-accounts"
    curl_seconds "$work/curl-frequent" >>"$work/frequent"
    for which in "${!binaries[@]}"; do
        gwtop="${binaries[$which]}"
        seconds "$gwtop" --once --interval 0.1 --timeout 10 --format text --color never "${urls[@]}" >>"$work/once-$which"
        # --check exits 0-3 by the mesh's state; time -f still prints the wall time last.
        { /usr/bin/time -f %e "$gwtop" --check --interval 0.1 --timeout 10 "${urls[@]}" >/dev/null || true; } 2>&1 | tail -1 >>"$work/check-$which"
        seconds "$gwtop" --once --interval 0.1 --timeout 10 --format json "${urls[@]}" >>"$work/json-$which"
    done
done
full=$(median <"$work/full"); bare=$(median <"$work/full-without-accounts"); frequent=$(median <"$work/frequent")
echo "| gwtop | size | rounds | floor (full) | floor (full, no accounts) | floor (frequent) | --once (text) | ratio | ratio (accs) | --check | ratio | ratio (accs) | --once --format json | ratio (accs) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for which in "${!binaries[@]}"; do
    once=$(median <"$work/once-$which"); check=$(median <"$work/check-$which"); json=$(median <"$work/json-$which")
    awk -v b="${binaries[$which]}" -v s="$size" -v r="$rounds" -v f="$full" -v n="$bare" -v q="$frequent" -v o="$once" -v c="$check" -v j="$json" \
        'BEGIN { printf "| %s | %s | %d | %.2f s | %.2f s | %.2f s | %.2f s | %.2f | %.2f | %.2f s | %.2f | %.2f | %.2f s | %.2f |\n", b, s, r, f, n, q, o, o / (n + q + 0.1), o / (f + q + 0.1), c, c / (n + q + 0.1), c / (f + q + 0.1), j, j / (f + q + 0.1) }'
done
echo
echo "medians of $rounds alternated rounds; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
