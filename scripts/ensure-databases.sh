#!/usr/bin/env bash
# Starts the local PostgreSQL and MariaDB servers if they are down (CI and fresh machines).
# Each test file then creates and drops its own database on them (tests/support/database.ts).
set -u

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
my_up() { mysqladmin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; }

if ! pg_up; then
  echo "[ci] starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! my_up; then
  echo "[ci] starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
for i in $(seq 1 30); do
  if pg_up && my_up; then exit 0; fi
  sleep 1
done
pg_up || echo "[ci] PostgreSQL is not reachable on 127.0.0.1:5432"
my_up || echo "[ci] MariaDB is not reachable on 127.0.0.1:3306"
exit 1
