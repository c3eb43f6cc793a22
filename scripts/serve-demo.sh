#!/usr/bin/env bash
# Runs the web server, the task worker and the scheduler side by side;
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

host=${HOST:-127.0.0.1}
port=${PORT:-8000}
python=.venv/bin/python
pids=()

stop_all() {
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

"$python" manage.py db_worker --no-reload &
pids+=($!)
"$python" manage.py crontask --no-heartbeat &
pids+=($!)
"$python" manage.py runserver "$host:$port" &
pids+=($!)

echo "TechTegenCorona runs on http://$host:$port/  (e-mail goes to http://$host:$port/outbox/ and this terminal)"
# When any of the three stops, stop the others.
wait -n
