# Shared by the scripts that measure gwtop (sourced, not run).

# At exit: the script's work directory goes if it succeeded; on a failure it is kept, for its logs, and
# named. Call first thing in the EXIT trap's function with its status: finish_work_dir "$status" "$work".
finish_work_dir() {
    if [ "$1" -eq 0 ]; then rm -rf -- "$2"; else echo "$(basename "$0"): kept $2 for its logs" >&2; fi
}

# Starts gwtop-synthetic (BIN) with CLUSTERS x SERVERS on PORT, its URLs written to $work/urls, and
# stops it at exit (finishing $work). Sets: urls (the monitoring base URLs), synthetic (its pid).
serve_synthetic() {
    "$1" --clusters "$2" --servers "$3" --port "$4" --urls "$work/urls" 2>/dev/null &
    synthetic=$!
    trap 'status=$?; kill "$synthetic" 2>/dev/null || true; finish_work_dir "$status" "$work"' EXIT
    for _ in $(seq 1 50); do [ -s "$work/urls" ] && break; sleep 0.1; done
    mapfile -t urls <"$work/urls"
}

# curl config files for the URLs in URLS_FILE: one full cycle (/varz, /gatewayz?accs=1, /routez,
# /healthz) into FULL, one frequent cycle (/gatewayz, what gwtop asks between full polls) into FREQUENT,
# and, if given, a full cycle without accounts (/gatewayz without accs=1: what --check and the text
# report ask) into FULL_WITHOUT_ACCOUNTS.
curl_cycles() {
    local kinds
    for kinds in "varz gatewayz?accs=1 routez healthz:$2" "gatewayz:$3" ${4:+"varz gatewayz routez healthz:$4"}; do
        awk -v k="${kinds%%:*}" '{ n = split(k, d, " "); for (i = 1; i <= n; i++) print "url = \"" $0 "/" d[i] "\"\noutput = /dev/null" }' \
            "$1" >"${kinds#*:}"
    done
}

# Wall seconds of one fetch floor: curl fetching the cycle in CURL_CONFIG (from curl_cycles), 64 at a time.
# A server that is down closes the connection: curl's error status is expected then, and the time is read.
curl_seconds() { /usr/bin/time -f %e curl -s --parallel --parallel-max 64 -K "$1" 2>&1 >/dev/null | tail -1 || true; }

# The median of the numbers on stdin, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Wall time of `gwtop --once --interval 0.1 --format FORMAT ARGS...`, median of 5 (FORMAT: $ONCE_FORMAT,
# default json).
once_seconds() {
    local gwtop="$1"; shift
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f %e "$gwtop" --once --interval 0.1 --timeout 10 --format "${ONCE_FORMAT:-json}" "$@" 2>&1 >/dev/null | tail -1
    done | median
}

# `gwtop --headless` for POLLS polls at a 1 s interval. Sets: cpu ("N ms" a poll), share ("N.N %" of one
# core), peak ("N MiB"), and headless_err (the file with its status lines).
headless_cost() {
    local gwtop="$1" prefix="$2" polls="$3"; shift 3
    /usr/bin/time -f "%U %S %M" -o "$prefix.time" "$gwtop" --headless --interval 1 --timeout 10 \
        --duration "${polls}s" "$@" 2>"$prefix.err" || true
    local user sys rss done_polls
    read -r user sys rss <"$prefix.time"
    done_polls=$(grep -c ' poll ' "$prefix.err" || true)
    cpu=$(awk -v u="$user" -v s="$sys" -v n="$done_polls" 'BEGIN { printf "%.0f ms", (u + s) * 1000 / n }')
    share=$(awk -v u="$user" -v s="$sys" -v n="$done_polls" 'BEGIN { printf "%.1f %%", (u + s) * 100 / n }')
    peak=$(awk -v k="$rss" 'BEGIN { printf "%.0f MiB", k / 1024 }')
    headless_err="$prefix.err"
}
