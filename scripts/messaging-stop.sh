#!/usr/bin/env bash
# `npm run messaging:stop`: stops what messaging:start started (the compose service, or the local node).
# Queued messages survive: the compose volume and the local node's data directory are kept.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  docker compose stop
  echo "RabbitMQ (docker compose) stopped; 'docker compose down -v' also deletes its data"
  exit 0
fi

if ! command -v rabbitmqctl >/dev/null 2>&1; then
  echo "messaging:stop: no Docker engine answers and rabbitmqctl is not installed: nothing to stop"
  exit 0
fi
if rabbitmqctl -q status >/dev/null 2>&1; then
  rabbitmqctl -q stop
  echo "local rabbitmq-server stopped"
else
  echo "local rabbitmq-server is not running"
fi
