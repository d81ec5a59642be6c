#!/usr/bin/env bash
# `npm run messaging:start`: brings up RabbitMQ with the management UI and an admin/admin administrator.
# With a Docker engine it uses docker-compose.yml; without one, the local rabbitmq-server. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

ADMIN_USER=admin
ADMIN_PASS=admin

port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

wait_for_port() {
  for _ in $(seq 1 120); do
    if port_open; then return 0; fi
    sleep 0.5
  done
  echo "messaging:start: RabbitMQ did not open port 5672 within 60 s" >&2
  return 1
}

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  docker compose up -d --wait rabbitmq
  wait_for_port
  echo "RabbitMQ runs in Docker (docker compose): amqp://localhost:5672"
  echo "Management UI: http://localhost:15672 (user ${ADMIN_USER}, password ${ADMIN_PASS})"
  echo "paybus: EVENT_TRANSPORT=rabbitmq RABBITMQ_USER=${ADMIN_USER} RABBITMQ_PASS=${ADMIN_PASS} npm start"
  exit 0
fi

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "messaging:start: no Docker engine answers and rabbitmq-server is not installed; install one of them" >&2
  exit 1
fi

if ! rabbitmqctl -q status >/dev/null 2>&1; then
  echo "starting the local rabbitmq-server"
  rabbitmq-server -detached
  # await_startup needs the node to exist first; the port answers once the broker accepts clients.
  for _ in $(seq 1 60); do rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
elif ! rabbitmq-diagnostics -q check_running >/dev/null 2>&1; then
  echo "the RabbitMQ node runs but its application was stopped: starting it"
  rabbitmqctl -q start_app
fi
rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1 || true
wait_for_port

if ! rabbitmq-plugins -q is_enabled rabbitmq_management >/dev/null 2>&1; then
  rabbitmq-plugins -q enable rabbitmq_management
fi
if ! rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "${ADMIN_USER}"; then
  rabbitmqctl -q add_user "${ADMIN_USER}" "${ADMIN_PASS}"
  rabbitmqctl -q set_user_tags "${ADMIN_USER}" administrator
  rabbitmqctl -q set_permissions -p / "${ADMIN_USER}" '.*' '.*' '.*'
  echo "created the RabbitMQ administrator ${ADMIN_USER}"
fi

echo "RabbitMQ runs locally (rabbitmq-server): amqp://localhost:5672"
echo "Management UI: http://localhost:15672 (user ${ADMIN_USER}, password ${ADMIN_PASS})"
