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
for file in docker-compose.yml deploy/broker.yml deploy/client.yml deploy/worker-host.yml; do
  "${compose[@]}" -f "$file" config -q
  echo "compose config ok: $file"
done
# A required variable that is missing must stop `up` with a clear message, in every file (no fallback password).
for file in docker-compose.yml deploy/broker.yml deploy/client.yml deploy/worker-host.yml; do
  if env -u REDIS_API_PASSWORD -u REDIS_WORKER_PASSWORD "${compose[@]}" -f "$file" config -q 2>/tmp/compose-missing.txt; then
    echo "check-compose: $file accepted a missing Redis password" >&2; exit 1
  fi
  grep -q 'set REDIS_[A-Z]*_PASSWORD' /tmp/compose-missing.txt
done
if env -u BROKER_BIND "${compose[@]}" -f deploy/broker.yml config -q 2>/tmp/compose-missing.txt; then
  echo "check-compose: deploy/broker.yml accepted a missing BROKER_BIND" >&2; exit 1
fi
echo "compose config ok: a missing Redis password or BROKER_BIND is refused"
