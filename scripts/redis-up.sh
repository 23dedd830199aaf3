#!/usr/bin/env bash
# Make sure a Redis answers on 127.0.0.1:6379 for the test suite (production keeps its cache there;
# tests/people/test_sessions_redis.py talks to it). Started without persistence when it does not
# answer; redis-server itself comes from scripts/system-deps.sh test. Used by `make test` and .ci/run.
set -euo pipefail

redis_up() {
    python3 -c "import socket; s = socket.create_connection(('127.0.0.1', 6379), 1); s.sendall(b'PING\r\n'); assert s.recv(7) == b'+PONG\r\n'" 2>/dev/null
}

if ! redis_up; then
    echo "starting Redis on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 30); do
        redis_up && break
        sleep 1
    done
fi
redis_up && echo "Redis: 127.0.0.1:6379 answers"
