#!/usr/bin/env bash
# Validates every compose file with the compose tool's `config` command (no
# Docker engine needed). Sample values stand in for the required variables.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then compose=(docker compose); elif command -v docker-compose >/dev/null; then compose=(docker-compose); else
  echo "check-compose: no compose tool (Debian: apt-get install docker-compose)" >&2; exit 1
fi
export REDIS_API_PASSWORD=check-api REDIS_WORKER_PASSWORD=check-worker REDIS_RENDER_PASSWORD=check-render \
  REDIS_ADMIN_PASSWORD=check-admin BROKER_HOST=broker.example BROKER_BIND=10.0.0.5 API_KEYS=check-only-key-0123456789
# Each file from its own directory: relative paths in it (the seccomp profile) are the project directory's,
# as docker compose v2 reads them; v1 (Debian's docker-compose) reads them from the working directory.
check() { (cd "$(dirname "$1")" && "${compose[@]}" -f "$(basename "$1")" config -q); }
for file in docker-compose.yml deploy/broker.yml deploy/client.yml deploy/worker-host.yml; do
  check "$file"
  echo "compose config ok: $file"
done
# A required variable that is missing must stop `up` with a clear message, in every file (no fallback password).
for file in docker-compose.yml deploy/broker.yml deploy/client.yml deploy/worker-host.yml; do
  if (unset REDIS_API_PASSWORD REDIS_WORKER_PASSWORD; check "$file") 2>/tmp/compose-missing.txt; then
    echo "check-compose: $file accepted a missing Redis password" >&2; exit 1
  fi
  grep -q 'set REDIS_[A-Z]*_PASSWORD' /tmp/compose-missing.txt
done
if (unset BROKER_BIND; check deploy/broker.yml) 2>/tmp/compose-missing.txt; then
  echo "check-compose: deploy/broker.yml accepted a missing BROKER_BIND" >&2; exit 1
fi
echo "compose config ok: a missing Redis password or BROKER_BIND is refused"
