#!/usr/bin/env bash
# Validates every compose file with the compose tool's `config` command (no
# Docker engine needed). Sample values stand in for the required variables.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then compose=(docker compose); elif command -v docker-compose >/dev/null; then compose=(docker-compose); else
  echo "check-compose: no compose tool (Debian: apt-get install docker-compose)" >&2; exit 1
fi
export REDIS_PASSWORD=check-only BROKER_HOST=broker.example
for file in docker-compose.yml deploy/broker.yml deploy/client.yml deploy/worker-host.yml; do
  "${compose[@]}" -f "$file" config -q
  echo "compose config ok: $file"
done
# A required variable that is missing must stop `up` with a clear message, in every file (no fallback password).
for file in docker-compose.yml deploy/broker.yml deploy/client.yml deploy/worker-host.yml; do
  if env -u REDIS_PASSWORD "${compose[@]}" -f "$file" config -q 2>/tmp/compose-missing.txt; then
    echo "check-compose: $file accepted a missing REDIS_PASSWORD" >&2; exit 1
  fi
  grep -q 'set REDIS_PASSWORD' /tmp/compose-missing.txt
done
echo "compose config ok: missing REDIS_PASSWORD is refused"
