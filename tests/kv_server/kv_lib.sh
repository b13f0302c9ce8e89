# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Shell helpers shared by kv_server's tests and benchmarks (sourced).

# A loopback port free right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_kv_server BIN LOG ARGS...: starts kv_server on a port of its own
# choosing (--port 0) and waits for it to say which; sets kv_pid and
# kv_port, or prints the log and exits.
start_kv_server() {
  local bin=$1 log=$2
  shift 2
  "$bin" --port 0 "$@" >"$log" 2>&1 &
  kv_pid=$!
  kv_port=
  for _ in $(seq 100); do
    kv_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
    [ -n "$kv_port" ] && return 0
    sleep 0.1
  done
  echo "kv_server did not start:"
  cat "$log"
  kill "$kv_pid" 2>/dev/null
  exit 1
}

# nutcracker_config FILE LISTEN_PORT SHARD_PORT...: one twemproxy pool over
# the shards, consistent hashing (ketama), never ejecting a shard.
nutcracker_config() {
  local file=$1 listen=$2
  shift 2
  {
    echo "shards:"
    echo "  listen: 127.0.0.1:$listen"
    echo "  hash: fnv1a_64"
    echo "  distribution: ketama"
    echo "  redis: true"
    echo "  auto_eject_hosts: false"
    echo "  servers:"
    local i=1 p
    for p in "$@"; do
      echo "   - 127.0.0.1:$p:1 shard$i"
      i=$((i + 1))
    done
  } >"$file"
}
