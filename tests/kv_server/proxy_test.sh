#!/usr/bin/env bash
# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# kv_server sharded behind twemproxy (nutcracker): three kv_server processes
# on loopback ports, one proxy with consistent hashing (ketama) in front.
# Checks with redis-cli through the proxy that keys land on every shard, each
# on exactly one, and that every command of the example that twemproxy
# forwards works through it; the commands it refuses are listed and checked
# to be refused (so the list stays true).
# Usage: proxy_test.sh KV_SERVER NUTCRACKER
set -uo pipefail
server=$1
proxy=$2
for tool in redis-cli python3; do
  command -v $tool >/dev/null || { echo "$tool is missing (scripts/deps test installs it)"; exit 1; }
done
work=$(mktemp -d)
pids=()
trap '{ kill -KILL "${pids[@]}"; wait; } 2>/dev/null; rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Three shards, each on a port of its own choosing.
# shellcheck source=kv_lib.sh
. "$(cd "$(dirname "$0")" && pwd)/kv_lib.sh"
ports=()
for s in 1 2 3; do
  start_kv_server "$server" "$work/shard$s.log" --threads 1
  pids+=("$kv_pid")
  ports+=("$kv_port")
done
pport=$(free_port)
sport=$(free_port)
nutcracker_config "$work/nutcracker.yml" "$pport" "${ports[@]}"
"$proxy" -c "$work/nutcracker.yml" -s "$sport" -o "$work/nutcracker.log" &
pids+=($!)
for _ in $(seq 100); do
  [ "$(timeout 5 redis-cli -p "$pport" ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done

via() { timeout 20 redis-cli --no-raw -p "$pport" "$@" 2>&1; }
shard() { local p=$1; shift; timeout 20 redis-cli --no-raw -p "$p" "$@" 2>&1; }
expect() {  # WANT CMD...: through the proxy
  local want=$1; shift
  local got
  got=$(via "$@")
  [ "$got" = "$want" ] || fail "$* (want: $want; got: $got)"
}

# Keys land on every shard, each on exactly one.
n=300
for i in $(seq $n); do echo "SET key:$i value:$i"; done | timeout 60 redis-cli -p "$pport" >/dev/null
total=0
for p in "${ports[@]}"; do
  c=$(shard "$p" dbsize | sed 's/(integer) //')
  echo "shard on port $p holds $c keys"
  [ "$c" -gt 0 ] 2>/dev/null || fail "a shard got no keys ($c)"
  total=$((total + ${c:-0}))
done
[ "$total" -eq $n ] || fail "the shards hold $total keys, not $n"
for i in 1 77 150 299; do
  on=0
  for p in "${ports[@]}"; do
    [ "$(shard "$p" get key:$i)" = "\"value:$i\"" ] && on=$((on + 1))
  done
  [ $on -eq 1 ] || fail "key:$i is on $on shards"
  expect "\"value:$i\"" get key:$i
done

# Every command twemproxy forwards, through it.
expect 'PONG' ping
expect 'OK' set a 1
expect '"1"' get a
expect '(nil)' set a 2 nx
expect 'OK' set a 3 xx
expect '"3"' get a
expect 'OK' set e v px 100000
expect '"v"' get e
expect 'OK' set e2 v ex 100
expect '(integer) 4' incr a
expect '(integer) 3' decr a
expect '(integer) 13' incrby a 10
expect '(integer) 3' decrby a 10
expect '(integer) 1' exists a
expect '(integer) 0' exists nothing
# Multi-key commands: the proxy splits them by shard and joins the replies.
expect 'OK' mset m1 x m2 y m3 z m4 w
expect $'1) "x"\n2) "y"\n3) "z"\n4) "w"\n5) (nil)' mget m1 m2 m3 m4 nothing
expect '(integer) 4' del m1 m2 m3 m4 nothing
expect $'1) (nil)\n2) (nil)' mget m1 m4
expect '(nil)' get missing
# What twemproxy refuses (it answers, or closes, without forwarding):
# commands without a key, which it cannot route to one shard.
refused=(flushall flushdb dbsize info "config get appendonly" "select 0" "echo hi")
# nutcracker 0.5 closes the client's connection and logs the command.
for c in "${refused[@]}"; do
  got=$(via $c)
  name=${c%% *}
  case "$got" in
    *"closed the connection"*|*"(error)"*)
      grep -q "unsupported command '$name'" "$work/nutcracker.log" \
        || fail "$c: refused, but not as an unsupported command (got: $got)" ;;
    *) fail "$c was forwarded (got: $got); update the refused list" ;;
  esac
done
echo "refused by twemproxy (not forwarded): ${refused[*]}"

if [ $failures -ne 0 ]; then
  echo "kv_server behind nutcracker: $failures failure(s)"
  echo "--- nutcracker log"; tail -20 "$work/nutcracker.log"
  exit 1
fi
echo "kv_server behind nutcracker: ok"
