#!/usr/bin/env python3
"""Ask every server of a NATS supercluster for a monitoring document through the system account.

Standard library only, raw NATS protocol. Connects to one client port, sends $SYS.REQ.SERVER.PING.<KIND> with a
fresh inbox as reply subject and prints the replies (one per server that answers) as a JSON array of
{"subject": ..., "payload": <parsed JSON>}, collected until 300 ms after the last reply (2 s if none comes).
With --watch-statsz it instead subscribes to $SYS.SERVER.*.STATSZ and prints one JSON line per message.

  scripts/supercluster.py start --dir /tmp/sys --system-account --base-port 17000
  scripts/nats-sys-probe.py --port 17000 --user sys --password sys-secret --kind GATEWAYZ --body '{"accounts":true}'
  scripts/nats-sys-probe.py --port 17000 --user sys --password sys-secret --watch-statsz 60

Exit codes: 0 ok (even with no reply), 1 connection or protocol error (e.g. -ERR 'Authorization Violation'), 2 usage.
"""

import argparse
import json
import os
import secrets
import socket
import sys
import time

KINDS = ("VARZ", "GATEWAYZ", "ROUTEZ", "HEALTHZ", "STATSZ", "CONNZ", "SUBSZ", "JSZ", "ACCOUNTZ", "LEAFZ", "IDZ")
FIRST_REPLY_WAIT = 2.0  # seconds to wait for a first reply
QUIET_AFTER_REPLY = 0.3  # seconds of silence after a reply that end the collection


class ProtocolError(Exception):
    pass


class Connection:
    def __init__(self, host, port, user, password, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = bytearray()
        self.sids = 0
        line = self._line(time.monotonic() + timeout)
        if not line.startswith(b"INFO "):
            raise ProtocolError(f"expected INFO, got {line[:80]!r}")
        self.info = json.loads(line[5:])
        connect = {"verbose": False, "pedantic": False, "protocol": 1, "headers": True, "no_responders": True,
                   "name": "nats-sys-probe", "lang": "python", "version": "0"}
        if user is not None:
            connect.update(user=user, **{"pass": password or ""})
        self.send(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        while True:  # the server answers the PING only if CONNECT was accepted
            message = self.read(time.monotonic() + timeout)
            if message is None:
                raise ProtocolError("no PONG after CONNECT")
            if message == "PONG":
                break

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        if not chunk:
            raise ProtocolError("connection closed by the server")
        self.buf += chunk
        return True

    def _line(self, deadline):
        while b"\r\n" not in self.buf:
            if not self._fill(deadline):
                return None
        i = self.buf.index(b"\r\n")
        line = bytes(self.buf[:i])
        del self.buf[:i + 2]
        return line

    def _bytes(self, size, deadline):
        while len(self.buf) < size + 2:
            if not self._fill(deadline):
                raise ProtocolError("timed out inside a message")
        data = bytes(self.buf[:size])
        del self.buf[:size + 2]
        return data

    def read(self, deadline):
        """The next message as a dict (subject, op, headers, payload bytes), "PONG", or None at the deadline.
        Answers PINGs, skips INFO and +OK, raises ProtocolError on -ERR."""
        while True:
            line = self._line(deadline)
            if line is None:
                return None
            op = line.split(b" ", 1)[0].upper()
            if op == b"PING":
                self.send(b"PONG\r\n")
            elif op == b"PONG":
                return "PONG"
            elif op == b"-ERR":
                raise ProtocolError(line.decode(errors="replace"))
            elif op in (b"MSG", b"HMSG"):
                args = line.decode().split()
                # MSG <subject> <sid> [reply] <size>; HMSG <subject> <sid> [reply] <header size> <total size>
                total = int(args[-1])
                header_size = int(args[-2]) if op == b"HMSG" else 0
                data = self._bytes(total, deadline + 5)
                return {"subject": args[1], "op": op.decode(), "headers": data[:header_size].decode(errors="replace"),
                        "payload": data[header_size:]}


def parse_payload(data):
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


def request(conn, kind, body, timing):
    inbox = ("_INBOX." + secrets.token_hex(8)).encode()
    body = body.encode()
    conn.sids += 1  # a SUB that reuses a live sid is ignored
    conn.send(b"SUB %s %d\r\nPUB $SYS.REQ.SERVER.PING.%s %s %d\r\n%s\r\n"
              % (inbox, conn.sids, kind.encode(), inbox, len(body), body))
    sent = time.monotonic()
    replies = []
    deadline = sent + FIRST_REPLY_WAIT
    while True:
        message = conn.read(deadline)
        if message is None:
            return replies
        if message == "PONG":
            continue
        if message["headers"].startswith("NATS/1.0 503"):  # no_responders: nothing subscribes in this account
            raise ProtocolError(f"no responders for $SYS.REQ.SERVER.PING.{kind} (NATS/1.0 503): "
                                "is the user in the system account?")
        reply = {"subject": message["subject"], "payload": parse_payload(message["payload"])}
        if timing:
            reply.update(ms=round((time.monotonic() - sent) * 1000, 1), op=message["op"])
            if message["headers"]:
                reply["headers"] = message["headers"]
        replies.append((reply, message["payload"]))
        deadline = time.monotonic() + QUIET_AFTER_REPLY


def save_replies(directory, kind, replies):
    os.makedirs(directory, exist_ok=True)
    for reply, raw in replies:
        server = (reply["payload"].get("server") or {}).get("name") if isinstance(reply["payload"], dict) else None
        path = os.path.join(directory, f"{kind.lower()}-{server or 'unknown'}.json")
        with open(path, "wb") as f:
            f.write(raw)
        print(f"nats-sys-probe: wrote {path}", file=sys.stderr)


def watch_statsz(conn, seconds):
    conn.sids += 1
    conn.send(b"SUB $SYS.SERVER.*.STATSZ %d\r\n" % conn.sids)
    start = time.monotonic()
    end = start + seconds
    while True:
        message = conn.read(end)
        if message is None:
            return
        if message == "PONG":
            continue
        payload = parse_payload(message["payload"])
        statsz = payload.get("statsz", {}) if isinstance(payload, dict) else {}
        server = payload.get("server", {}) if isinstance(payload, dict) else {}
        now = time.time()
        print(json.dumps({
            "time": time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}",
            "elapsed": round(time.monotonic() - start, 3), "subject": message["subject"],
            "server": server.get("name"), "gateways": statsz.get("gateways")}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4222, help="client port (default 4222)")
    parser.add_argument("--user", help="default: none (the server's no_auth_user, if any)")
    parser.add_argument("--password")
    parser.add_argument("--kind", type=str.upper, default="VARZ", choices=KINDS, help="default VARZ")
    parser.add_argument("--body", default="", help='request body, e.g. \'{"accounts":true}\' (default empty)')
    parser.add_argument("--timing", action="store_true",
                        help="add to each reply ms (since the request), op (MSG or HMSG) and headers (if any)")
    parser.add_argument("--save", metavar="DIR",
                        help="also write each reply payload, exactly as received, to DIR/<kind>-<server>.json")
    parser.add_argument("--watch-statsz", type=float, metavar="SECONDS",
                        help="instead of a request: print every $SYS.SERVER.*.STATSZ message for SECONDS")
    parser.add_argument("--timeout", type=float, default=5.0, help="connect timeout in seconds (default 5)")
    args = parser.parse_args()
    if args.body:
        try:
            json.loads(args.body)
        except ValueError as exc:
            parser.error(f"--body is not JSON: {exc}")
    try:
        conn = Connection(args.host, args.port, args.user, args.password, args.timeout)
        if args.watch_statsz is not None:
            watch_statsz(conn, args.watch_statsz)
            return 0
        replies = request(conn, args.kind, args.body, args.timing)
    except (OSError, ProtocolError, ValueError) as exc:
        print(f"nats-sys-probe: {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    if args.save:
        save_replies(args.save, args.kind, replies)
    print(json.dumps([reply for reply, _ in replies], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
