#!/usr/bin/env python3
"""An endpoint that accepts TCP connections on 127.0.0.1 and never answers (a frozen or firewalled
monitoring port). Writes the port it listens on to the file named by its argument; runs until killed."""
import socket
import sys

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(1024)
with open(sys.argv[1], "w") as port_file:
    port_file.write(str(listener.getsockname()[1]))
held = []  # keep every connection open, unanswered
while True:
    connection, _ = listener.accept()
    held.append(connection)
