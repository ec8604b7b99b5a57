#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis servers the tests use are up, and print the settings that
# point at them as `export` lines (eval "$(scripts/services.sh)").
#
# The machine normally runs both on their standard loopback ports. Where they are absent we start
# them from the OS packages (installing those first if needed) on private ports under var/services/,
# so the README's test command works on a bare Debian machine too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/var/services"
mkdir -p "$state"
log() { printf '%s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then log "services: need root to apt-get install $*"; exit 1; fi
  log "services: installing $* from the OS packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# ---- PostgreSQL ------------------------------------------------------------------------------
pg_url=${HUB_TEST_POSTGRES_URL:-}
if [ -z "$pg_url" ]; then
  if port_open 5432; then
    pg_url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
  else
    pg_port=55432
    if ! port_open $pg_port; then
      bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
      if [ -z "$bindir" ]; then apt_install postgresql; bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); fi
      data="$state/pg"
      run_as=()
      # PostgreSQL refuses to run as root.
      if [ "$(id -u)" = 0 ]; then chown -R postgres "$state" 2>/dev/null || true; run_as=(runuser -u postgres --); fi
      if [ ! -f "$data/PG_VERSION" ]; then
        "${run_as[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust >/dev/null
      fi
      "${run_as[@]}" "$bindir/pg_ctl" -D "$data" -l "$state/pg.log" -w \
        -o "-p $pg_port -k $state -c listen_addresses=127.0.0.1" start >&2
    fi
    pg_url="postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres"
  fi
fi

# ---- Redis -----------------------------------------------------------------------------------
redis_url=${HUB_TEST_REDIS_URL:-}
if [ -z "$redis_url" ]; then
  if port_open 6379; then
    redis_url="redis://127.0.0.1:6379/0"
  else
    r_port=56379
    if ! port_open $r_port; then
      command -v redis-server >/dev/null || apt_install redis-server
      redis-server --port $r_port --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
        --dir "$state" --logfile "$state/redis.log" >&2
      for _ in $(seq 50); do port_open $r_port && break; sleep 0.1; done
    fi
    redis_url="redis://127.0.0.1:$r_port/0"
  fi
fi

echo "export HUB_TEST_POSTGRES_URL='$pg_url'"
echo "export HUB_TEST_REDIS_URL='$redis_url'"
