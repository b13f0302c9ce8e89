#!/usr/bin/env python3
# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
"""kv_server against malformed and awkward input from raw sockets: each bad
connection gets an error and is closed, the server keeps serving the
others. Usage: raw_protocol.py PORT"""
import os
import socket
import sys
import threading
import time

PORT = int(sys.argv[1])
failures = []


def connect():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=20)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_all(s):
    """Everything until the server closes the connection."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def read_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def check(name, cond, detail=""):
    if not cond:
        failures.append(name)
        print("FAIL:", name, detail)


def closed_with_error(name, payload):
    s = connect()
    s.sendall(payload)
    data = read_all(s)  # the server must close: a hang fails by timeout
    s.close()
    check(name, data.startswith(b"-ERR Protocol error"), repr(data[:200]))


def still_serving(name):
    s = connect()
    s.sendall(cmd("PING"))
    check(name + ": server still serving", read_exactly(s, 7) == b"+PONG\r\n")
    s.close()


# Malformed requests: an error, then the connection is closed.
closed_with_error("multibulk length not a number", b"*abc\r\n")
closed_with_error("multibulk length too large", b"*99999999999\r\n")
closed_with_error("bulk length negative", b"*1\r\n$-5\r\n")
closed_with_error("bulk length too large", b"*1\r\n$999999999999\r\n")
closed_with_error("bulk not terminated", b"*1\r\n$4\r\nPINGxx")
closed_with_error("expected $", b"*1\r\n:5\r\n")
closed_with_error("inline line too long", b"a" * (70 << 10))
still_serving("after malformed requests")

# Random bytes: whatever they parse as, the server survives.
for seed in range(20):
    s = connect()
    s.sendall(os.urandom(4096))
    s.shutdown(socket.SHUT_WR)
    s.settimeout(20)
    try:
        read_all(s)
    except OSError:
        pass
    s.close()
still_serving("after random bytes")

# Requests split at every byte arrive whole.
s = connect()
for b in cmd("SET", "split", "yes") + cmd("GET", "split"):
    s.sendall(bytes([b]))
    time.sleep(0.0005)
check("byte-by-byte request", read_exactly(s, 14) == b"+OK\r\n$3\r\nyes\r\n")
s.close()

# A client that leaves mid-request.
s = connect()
s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nhalf")
s.close()
still_serving("after a client left mid-request")

# Inline commands, empty arrays.
s = connect()
s.sendall(b"PING\r\n*0\r\n*-1\r\nSET inl 5\r\nINCR inl\r\nGET inl\n")
check("inline commands", read_exactly(s, 23) == b"+PONG\r\n+OK\r\n:6\r\n$1\r\n6\r\n")
s.close()

# A 1 MiB value and an empty one round-trip.
s = connect()
big = os.urandom(1 << 20)
s.sendall(cmd("SET", "big", big) + cmd("GET", "big") + cmd("SET", "empty", b"") + cmd("GET", "empty"))
want = b"+OK\r\n$%d\r\n%s\r\n+OK\r\n$0\r\n\r\n" % (len(big), big)
check("1 MiB value", read_exactly(s, len(want)) == want)
s.close()

# A client that pipelines 200k requests before reading a reply: the server
# stops reading it while replies pile up, and every reply arrives in order.
s = connect()
n = 200000
payload = cmd("SET", "bp", "x" * 32) + cmd("GET", "bp") * (n - 1)


def send_all():
    s.sendall(payload)


t = threading.Thread(target=send_all)
t.start()
time.sleep(0.5)
reply = b"$32\r\n" + b"x" * 32 + b"\r\n"
want = b"+OK\r\n" + reply * (n - 1)
got = read_exactly(s, len(want))
t.join()
check("200k pipelined requests", got == want, "%d of %d bytes" % (len(got), len(want)))
s.close()

# A short MGET naming one 1 MiB value 300 times, from a client that never
# reads: the reply is bounded as it grows (an error past the server's reply
# limit), so the server does not grow by the 300 MiB it names.
def rss():
    c = connect()
    c.sendall(cmd("INFO"))
    head = b""
    while not head.endswith(b"\r\n"):
        head += c.recv(1)
    body = read_exactly(c, int(head[1:-2]) + 2)
    c.close()
    for line in body.split(b"\r\n"):
        if line.startswith(b"used_memory_rss:"):
            return int(line.split(b":")[1])
    return 0


s = connect()
s.sendall(cmd("SET", "big", "v" * (1 << 20)))
check("big SET", read_exactly(s, 5) == b"+OK\r\n")
before = rss()
s.sendall(cmd("MGET", *(["big"] * 300)))
time.sleep(1.0)
grown = rss() - before
check("MGET amplification bounded", grown < (64 << 20), "grew %d MiB" % (grown >> 20))
got = b""
while not got.endswith(b"\r\n"):
    got += s.recv(1)
check("MGET past the reply limit is an error", got.startswith(b"-ERR reply exceeds"), repr(got[:40]))
s.close()
still_serving("after a bounded MGET")

# 64 concurrent clients, each on its own keys, checking every reply.
errors = []


def client(i):
    try:
        c = connect()
        for j in range(200):
            k = "c%d:%d" % (i, j)
            c.sendall(cmd("SET", k, k) + cmd("GET", k) + cmd("INCR", "shared"))
            want = b"+OK\r\n$%d\r\n%s\r\n:" % (len(k), k.encode())
            got = read_exactly(c, len(want))
            line = b""
            while not line.endswith(b"\r\n"):
                line += c.recv(1)
            if got != want:
                errors.append((i, j, got))
                return
        c.close()
    except OSError as e:
        errors.append((i, str(e)))


threads = [threading.Thread(target=client, args=(i,)) for i in range(64)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check("64 concurrent clients", not errors, repr(errors[:3]))
s = connect()
s.sendall(cmd("GET", "shared"))
check("shared counter", read_exactly(s, 11) == b"$5\r\n12800\r\n")
s.close()

sys.exit(1 if failures else 0)
