#!/usr/bin/env bash
# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# kv_server driven by redis-cli and redis-benchmark (clients nobody here
# wrote): every command, errors, pipelining, malformed input, concurrent
# clients, shutdown on SIGTERM.
# Usage: redis_cli_test.sh KV_SERVER STORE
set -uo pipefail
server=$1
store=$2
here=$(cd "$(dirname "$0")" && pwd)
for tool in redis-cli redis-benchmark python3; do
  command -v $tool >/dev/null || { echo "$tool is missing (scripts/deps test installs it)"; exit 1; }
done
work=$(mktemp -d)
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$work"' EXIT
failures=0

# shellcheck source=kv_lib.sh
. "$here/kv_lib.sh"
start_kv_server "$server" "$work/server.log" --threads 2 --store "$store"
pid=$kv_pid
port=$kv_port

cli() { timeout 20 redis-cli --no-raw -p "$port" "$@"; }
# expect WANT CMD...: the reply redis-cli prints must be WANT exactly.
expect() {
  local want=$1; shift
  local got
  got=$(cli "$@" 2>&1)
  if [ "$got" != "$want" ]; then
    echo "FAIL: $*"; echo "  want: $want"; echo "  got:  $got"
    failures=$((failures + 1))
  fi
}

# Every command, as redis-server answers it.
expect 'PONG' ping
expect '"hello"' ping hello
expect '"echoed"' echo echoed
expect 'OK' set k1 v1
expect '"v1"' get k1
expect '(nil)' get missing
expect 'OK' set k1 v2
expect '"v2"' get k1
expect '(integer) 1' exists k1
expect '(integer) 2' exists k1 k1
expect '(integer) 0' exists missing
expect '(integer) 1' del k1
expect '(integer) 0' del k1
expect '(nil)' get k1
expect 'OK' set k2 v nx
expect '(nil)' set k2 w nx
expect 'OK' set k2 w xx
expect '(nil)' set k3 w xx
expect '"w"' get k2
expect 'OK' set bin "$(printf 'a\tb c')"
expect '"a\tb c"' get bin
# 1.5 s: a loaded CI machine running sanitized servers took more than 200 ms
# between two redis-cli calls, and e1 expired before it was read.
expect 'OK' set e1 v px 1500
expect 'OK' set e2 v ex 100
expect '"v"' get e1
expect 'OK' set e2 w keepttl
sleep 1.7
expect '(nil)' get e1
expect '(integer) 0' exists e1
expect '"w"' get e2
expect '(integer) 1' incr n
expect '(integer) 11' incrby n 10
expect '(integer) 10' decr n
expect '(integer) 7' decrby n 3
expect '(integer) -5' incrby fresh -5
expect 'OK' set big 9223372036854775807
expect '(error) ERR increment or decrement would overflow' incr big
expect '"9223372036854775807"' get big
expect 'OK' set word abc
expect '(error) ERR value is not an integer or out of range' incr word
expect '(error) ERR value is not an integer or out of range' incrby n x
expect 'OK' mset a 1 b 2 c 3
expect "$(printf '1) "1"\n2) "2"\n3) (nil)\n4) "3"')" mget a b nope c
expect '(integer) 3' del a b c nope
expect '(integer) 7' dbsize
expect 'OK' flushall
expect '(integer) 0' dbsize
expect 'OK' select 0
expect 'OK' quit
# Errors: arity, syntax, unknown commands, bad expiry.
expect "(error) ERR wrong number of arguments for 'get' command" get
expect "(error) ERR wrong number of arguments for 'get' command" GET a b
expect "(error) ERR wrong number of arguments for 'mset' command" mset a 1 b
expect "(error) ERR wrong number of arguments for 'incr' command" incr
expect '(error) ERR syntax error' set k v ex 10 px 10
expect '(error) ERR syntax error' set k v nx xx
expect '(error) ERR syntax error' set k v bogus
expect "(error) ERR invalid expire time in 'set' command" set k v ex 0
expect "(error) ERR invalid expire time in 'set' command" set k v px -5
expect "(error) ERR value is not an integer or out of range" set k v ex ten
expect "(error) ERR unknown command 'nosuch', with args beginning with: 'x' " nosuch x
# INFO: the server, keyspace and store sections.
cli info >"$work/info" 2>&1
for field in "store:$store" "db0:keys=0" "total_commands_processed:" "# Store"; do
  grep -q "$field" "$work/info" || { echo "FAIL: INFO lacks $field"; cat "$work/info"; failures=$((failures + 1)); }
done
if [ "$store" = tophash ] || [ "$store" = tophash-node ]; then
  grep -q '^slots_empty_rest:' "$work/info" || { echo "FAIL: INFO lacks the map's stats"; failures=$((failures + 1)); }
fi

# Pipelining: 20000 commands in one stream (redis-cli --pipe reads the replies).
python3 - "$work/pipe" <<'PY'
import sys
with open(sys.argv[1], 'wb') as f:
    for i in range(10000):
        k = b'p:%d' % i
        f.write(b'*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n' % (len(k), k, len(k), k))
        f.write(b'*2\r\n$4\r\nINCR\r\n$3\r\ncnt\r\n')
PY
out=$(timeout 60 redis-cli -p "$port" --pipe <"$work/pipe" 2>&1)
echo "$out" | grep -q 'errors: 0, replies: 20000' || { echo "FAIL: --pipe: $out"; failures=$((failures + 1)); }
expect '"10000"' get cnt
expect '"p:9999"' get p:9999
expect '(integer) 10001' dbsize

# Concurrent clients: redis-benchmark's INCR on one key from 20 connections
# (without -r its key is literally counter:__rand_int__), SET/GET beside it.
timeout 120 redis-benchmark -p "$port" -c 20 -n 20000 -t incr -q >"$work/bench1" 2>&1 &
b1=$!
timeout 120 redis-benchmark -p "$port" -c 20 -n 20000 -r 100000 -P 8 -t set,get,mset -q >"$work/bench2" 2>&1 &
b2=$!
wait $b1 || { echo "FAIL: redis-benchmark incr"; cat "$work/bench1"; failures=$((failures + 1)); }
wait $b2 || { echo "FAIL: redis-benchmark set/get"; cat "$work/bench2"; failures=$((failures + 1)); }
expect '"20000"' get counter:__rand_int__

# Malformed input and many clients at once, from raw sockets.
python3 "$here/raw_protocol.py" "$port" || failures=$((failures + 1))
expect 'PONG' ping

# SIGTERM: the server closes its connections and exits 0.
exec 3<>"/dev/tcp/127.0.0.1/$port"  # an idle client must not keep it alive
kill -TERM $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
  echo "FAIL: still running 10 s after SIGTERM"; failures=$((failures + 1))
else
  wait $pid; rc=$?
  [ $rc -eq 0 ] || { echo "FAIL: exit status $rc after SIGTERM"; failures=$((failures + 1)); }
  grep -q 'kv_server: stopped' "$work/server.log" || { echo "FAIL: no clean stop"; failures=$((failures + 1)); }
fi
exec 3>&-
if [ -s "$work/server.log" ] && grep -qiE 'sanitizer|runtime error' "$work/server.log"; then
  echo "FAIL: sanitizer report:"; cat "$work/server.log"; failures=$((failures + 1))
fi
echo "kv_server --store $store: $failures failure(s)"
[ $failures -eq 0 ]
