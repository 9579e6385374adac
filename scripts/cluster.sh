#!/usr/bin/env bash
# A cluster on one machine: network namespaces as hosts on a private bridge, each with its
# own folder, sharing nothing but the database host's PostgreSQL and Redis.
#
#   scripts/cluster.sh up [--demo] [--demo-args "--no-activity"]
#   scripts/cluster.sh status         each host's processes; HAProxy's view of web1 and web2
#   scripts/cluster.sh hosts          the hosts and their addresses
#   scripts/cluster.sh kill HOST      every process of HOST at once (SIGKILL): it vanishes
#   scripts/cluster.sh start HOST     bring HOST back (after kill)
#   scripts/cluster.sh ivr HOST ARGS  run `ivr ARGS` on HOST, with its environment
#   scripts/cluster.sh down           remove everything; safe to run twice
#
# Hosts: db (PostgreSQL + Redis), lb (HAProxy), web1 web2 (`ivr serve --no-worker`),
# worker1 worker2 (`ivr worker`). Each runs in its own namespace with its own hostname,
# folder ($IVR_CLUSTER_DIR/<host>/) and log; configuration is by environment only: every
# IVR_* and TWILIO_* variable set when `up` runs is kept for the hosts (in
# $IVR_CLUSTER_DIR/cluster.env), beside the ones the cluster sets (database, Redis, public
# URL = the load balancer, instance folder, IVR_STORAGE_BACKEND=database).
#
# Settings (environment):
#   IVR_CLUSTER_NAME   prefix of namespaces and links (default ivr; at most 6 of a-z0-9)
#   IVR_CLUSTER_NET    the first three octets of the private /24 (default 10.231.7)
#   IVR_CLUSTER_DIR    the cluster's folder (default /tmp/ivr-cluster[-NAME])
#   IVR_CLUSTER_WEB_WORKERS  gunicorn workers per web host (default 2)
#   IVR_CLUSTER_PG_BIN PostgreSQL's binaries (default the newest /usr/lib/postgresql/*/bin)
#   IVR_PYTHON         the Python with this project installed (default .venv/bin/python)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

NAME="${IVR_CLUSTER_NAME:-ivr}"
NET="${IVR_CLUSTER_NET:-10.231.7}"
if [ "$NAME" = ivr ]; then DIR="${IVR_CLUSTER_DIR:-/tmp/ivr-cluster}"; else DIR="${IVR_CLUSTER_DIR:-/tmp/ivr-cluster-$NAME}"; fi
PY="${IVR_PYTHON:-$ROOT/.venv/bin/python}"
WEB_WORKERS="${IVR_CLUSTER_WEB_WORKERS:-2}"
HOSTS=(db lb web1 web2 worker1 worker2)
BRIDGE="$NAME-br"
WEB_PORT=8000
STATS_PORT=8404
MARKER=".ivr-cluster"

die() { echo "cluster: $*" >&2; exit 1; }
say() { echo "cluster: $*"; }

[[ "$NAME" =~ ^[a-z0-9]{1,6}$ ]] || die "IVR_CLUSTER_NAME=$NAME: 1 to 6 of a-z, 0-9"
[[ "$NET" =~ ^(10\.[0-9]{1,3}\.[0-9]{1,3}|192\.168\.[0-9]{1,3}|172\.(1[6-9]|2[0-9]|3[01])\.[0-9]{1,3})$ ]] \
  || die "IVR_CLUSTER_NET=$NET: the first three octets of a private /24, e.g. 10.231.7"

address() {
  case "$1" in
    root) echo "$NET.1" ;; db) echo "$NET.10" ;; lb) echo "$NET.11" ;;
    web1) echo "$NET.21" ;; web2) echo "$NET.22" ;;
    worker1) echo "$NET.31" ;; worker2) echo "$NET.32" ;;
    *) die "no host $1 (hosts: ${HOSTS[*]})" ;;
  esac
}
namespace() { echo "$NAME-$1"; }
PUBLIC_URL="http://$(address lb)"

need_root() {
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, a bridge, PostgreSQL as user postgres)"
}

install_tools() {
  local missing=()
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
  command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

pg_bin() {
  local bin="${IVR_CLUSTER_PG_BIN:-}"
  if [ -z "$bin" ]; then
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  fi
  [ -x "$bin/initdb" ] || die "no PostgreSQL binaries (initdb) in ${bin:-/usr/lib/postgresql/*/bin}"
  echo "$bin"
}

# --- the network --------------------------------------------------------------------------

network_up() {
  # Only this cluster's own addresses: refuse a /24 the machine already uses elsewhere.
  local net_re="${NET//./\\.}"
  if ip -4 -o addr show | awk -v br="$BRIDGE" '$2 != br {print $4}' | grep -q "^$net_re\." \
    || ip -4 route show | grep "^$net_re\.0/24 " | grep -vq "dev $BRIDGE "; then
    die "$NET.0/24 is already used on this machine (ip addr, ip route): choose another IVR_CLUSTER_NET"
  fi
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  ip addr replace "$(address root)/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  local host ns link
  for host in "${HOSTS[@]}"; do
    ns="$(namespace "$host")"
    link="$NAME-$host"
    ip netns list | grep -qw "^$ns" || ip netns add "$ns"
    if ! ip link show "$link" >/dev/null 2>&1; then
      ip link add "$link" type veth peer name eth0 netns "$ns"
    fi
    ip link set "$link" master "$BRIDGE" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr replace "$(address "$host")/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
}

network_down() {
  local host
  for host in "${HOSTS[@]}"; do
    ip link del "$NAME-$host" 2>/dev/null || true
    ip netns del "$(namespace "$host")" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
}

pids_of() { ip netns pids "$(namespace "$1")" 2>/dev/null || true; }

# --- each host's environment and processes ------------------------------------------------

save_environment() {
  # The operator's IVR_* and TWILIO_* settings, kept for every host; the cluster's own win.
  local file="$DIR/cluster.env" owned='^(IVR_CLUSTER_|IVR_PYTHON=|IVR_DATABASE_URL=|IVR_REDIS_URL=|IVR_PUBLIC_URL=|IVR_INSTANCE_DIR=|IVR_STORAGE_DIR=|IVR_PROXY_HOPS=)'
  : >"$file"
  chmod 600 "$file"
  env | grep -E '^(IVR|TWILIO)_[A-Z0-9_]*=' | grep -vE "$owned" | sort >>"$file" || true
  grep -q '^TWILIO_ACCOUNT_SID=' "$file" || echo "TWILIO_ACCOUNT_SID=AC$(printf '0%.0s' {1..32})" >>"$file"
  grep -q '^TWILIO_AUTH_TOKEN=' "$file" || echo "TWILIO_AUTH_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >>"$file"
  grep -q '^IVR_SECRET_KEY=' "$file" || echo "IVR_SECRET_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >>"$file"
  grep -q '^IVR_STORAGE_BACKEND=' "$file" || echo "IVR_STORAGE_BACKEND=database" >>"$file"
}

host_environment() {  # one NAME=VALUE per line: everything HOST's processes see
  local host="$1" db
  db="$(address db)"
  echo "PATH=$(dirname "$PY"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  echo "HOME=$DIR/$host"
  echo "LANG=C.UTF-8"
  [ -z "${TZ:-}" ] || echo "TZ=$TZ"  # log times read the same on every host and here
  echo "PYTHONPATH=$ROOT"
  echo "PYTHONUNBUFFERED=1"
  cat "$DIR/cluster.env"
  echo "IVR_INSTANCE_DIR=$DIR/$host/instance"
  echo "IVR_DATABASE_URL=postgresql+psycopg://postgres@$db:5432/ivr"
  echo "IVR_REDIS_URL=redis://$db:6379/0"
  echo "IVR_PUBLIC_URL=$PUBLIC_URL"
  case "$host" in web*) echo "IVR_PROXY_HOPS=1" ;; esac
}

# The command line that runs a command as HOST: in its namespace, under its own hostname,
# with its environment only. Callers run it from the host's folder (no stray .env).
host_command() {
  local host="$1"; shift
  local vars=() line
  while IFS= read -r line; do vars+=("$line"); done < <(host_environment "$host")
  HOST_COMMAND=(ip netns exec "$(namespace "$host")" unshare --uts
    sh -c 'hostname "$0" && exec "$@"' "$host" env -i "${vars[@]}" "$@")
}

on_host() {
  local host="$1"; shift
  host_command "$host" "$@"
  mkdir -p "$DIR/$host/instance"
  (cd "$DIR/$host" && exec "${HOST_COMMAND[@]}")
}

# Start a long-running process of HOST in the background, in a session of its own, its
# output appended to LOG; nothing of it stays outside the host's namespace.
daemon() {
  local host="$1" log="$2"; shift 2
  host_command "$host" "$@"
  mkdir -p "$DIR/$host/instance"
  echo "=== $(date -Is) start: $*" >>"$log"
  (cd "$DIR/$host" && exec setsid "${HOST_COMMAND[@]}") >>"$log" 2>&1 </dev/null &
}

log_size() { [ -f "$1" ] && wc -c <"$1" || echo 0; }

# Wait until COMMAND succeeds, up to SECONDS; die with WHAT otherwise.
wait_for() {
  local seconds="$1" what="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what did not come up within ${seconds} s"
    sleep 0.5
  done
}

http_ok() {  # URL answers 200
  "$PY" -c 'import sys, urllib.request; sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=3).status == 200 else 1)' "$1"
}

log_has_since() {  # FILE OFFSET PATTERN
  tail -c +"$(($2 + 1))" "$1" 2>/dev/null | grep -q "$3"
}

start_db() {
  local bin folder="$DIR/db" addr
  bin="$(pg_bin)"
  addr="$(address db)"
  mkdir -p "$folder/run" "$folder/redis"
  chown postgres:postgres "$folder"  # pg_ctl, as postgres, writes its log here
  if [ ! -f "$folder/pgdata/PG_VERSION" ]; then
    mkdir -p "$folder/pgdata"
    chown postgres:postgres "$folder/pgdata" "$folder/run"
    chmod 700 "$folder/pgdata"
    runuser -u postgres -- "$bin/initdb" -D "$folder/pgdata" -U postgres --auth-local=trust \
      --auth-host=reject -E UTF8 --locale=C.UTF-8 >>"$folder/initdb.log" 2>&1 \
      || die "initdb failed: see $folder/initdb.log"
    # Trust for the cluster's subnet only; the local socket (in the db folder) for postgres.
    cat >"$folder/pgdata/pg_hba.conf" <<EOF
local all postgres trust
host all all $NET.0/24 trust
EOF
    cat >>"$folder/pgdata/postgresql.conf" <<EOF
listen_addresses = '$addr'
port = 5432
unix_socket_directories = '$folder/run'
max_connections = 300
EOF
  fi
  chown postgres:postgres "$folder/run"
  on_host db runuser -u postgres -- "$bin/pg_ctl" -D "$folder/pgdata" -l "$folder/postgres.log" \
    -w -t 60 start >>"$folder/pg_ctl.log" 2>&1 || die "PostgreSQL did not start: see $folder/postgres.log and pg_ctl.log"
  if ! on_host db "$bin/psql" -h "$addr" -U postgres -tAc "select 1 from pg_database where datname = 'ivr'" | grep -q 1; then
    on_host db "$bin/createdb" -h "$addr" -U postgres ivr
  fi
  daemon db "$folder/redis.log" redis-server --bind "$addr" --port 6379 --protected-mode no \
    --save "" --appendonly no --dir "$folder/redis"
  wait_for 30 "Redis on db" on_host db redis-cli -h "$addr" -p 6379 ping
}

haproxy_config() {
  local lb
  lb="$(address lb)"
  cat <<EOF
# Written by scripts/cluster.sh: the load balancer in front of web1 and web2.
global
    log stdout format raw local0 info
    maxconn 4000
    stats socket $DIR/lb/haproxy.sock mode 600 level admin

defaults
    mode http
    log global
    option httplog
    option forwardfor
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    # A request whose server refused it or closed without answering goes to the other one:
    # webhooks carry Twilio's idempotency key, so a repeat is recognised.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response

frontend hotline
    bind $lb:80
    monitor-uri /lb-health
    http-response set-header X-Served-By %[srv_name]
    default_backend web

backend web
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 2 on-marked-down shutdown-sessions
    server web1 $(address web1):$WEB_PORT check
    server web2 $(address web2):$WEB_PORT check

listen stats
    bind $lb:$STATS_PORT
    stats enable
    stats uri /stats
    stats refresh 5s
EOF
}

start_lb() {
  haproxy_config >"$DIR/lb/haproxy.cfg"
  haproxy -c -q -f "$DIR/lb/haproxy.cfg" || die "HAProxy refused $DIR/lb/haproxy.cfg"
  daemon lb "$DIR/lb/haproxy.log" haproxy -W -db -f "$DIR/lb/haproxy.cfg"
  wait_for 30 "HAProxy" http_ok "http://$(address lb):$STATS_PORT/stats"
}

start_web() {
  local host="$1"
  daemon "$host" "$DIR/$host/serve.log" "$PY" -m ivr.cli serve --no-worker \
    --host "$(address "$host")" --port "$WEB_PORT" --workers "$WEB_WORKERS"
}

wait_web() { wait_for 120 "$1's /healthz" http_ok "http://$(address "$1"):$WEB_PORT/healthz"; }

start_worker() {
  local host="$1" log="$DIR/$1/worker.log"
  daemon "$host" "$log" "$PY" -m ivr.cli worker
}

wait_worker() {  # HOST OFFSET: its consumer started after that point of its log
  wait_for 120 "$1's consumer" log_has_since "$DIR/$1/worker.log" "$2" "consumer started"
}

start_host() {
  local host="$1" offset
  case "$host" in
    db) start_db ;;
    lb) start_lb ;;
    web*) start_web "$host"; wait_web "$host" ;;
    worker*) offset="$(log_size "$DIR/$host/worker.log")"; start_worker "$host"; wait_worker "$host" "$offset" ;;
  esac
}

kill_hosts() {  # HOST...: SIGKILL every process in their namespaces at once
  local pids host pid deadline=$((SECONDS + 15))
  pids="$(for host in "$@"; do pids_of "$host"; done)"
  [ -n "$pids" ] || return 0
  kill -KILL $pids 2>/dev/null || true
  # Gone from the namespace is not gone: until reaped, a PID still counts (PostgreSQL's
  # lock file names its postmaster's), so wait for each to disappear.
  for pid in $pids; do
    while [ -e "/proc/$pid" ] && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  done
  for host in "$@"; do
    while [ -n "$(pids_of "$host")" ] && [ $SECONDS -lt $deadline ]; do
      kill -KILL $(pids_of "$host") 2>/dev/null || true  # forked while we were killing
      sleep 0.1
    done
  done
}

# --- commands -----------------------------------------------------------------------------

cmd_up() {
  local demo="" demo_args=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --demo) demo=1 ;;
      --demo-args) demo=1; demo_args="${2:-}"; shift ;;
      *) die "up: unknown option $1" ;;
    esac
    shift
  done
  need_root
  install_tools
  [ -x "$PY" ] || die "no Python at $PY: run scripts/setup.sh, or set IVR_PYTHON"
  id postgres >/dev/null 2>&1 || die "no postgres user: install PostgreSQL (apt-get install postgresql)"
  command -v redis-server >/dev/null 2>&1 || die "no redis-server: apt-get install redis-server"
  if [ -n "$(ip netns list | grep -E "^$NAME-(db|lb|web1|web2|worker1|worker2)( |$)")" ]; then
    die "a cluster named $NAME is up; run \`$0 down\` first"
  fi
  if [ -e "$DIR" ] && [ ! -e "$DIR/$MARKER" ]; then
    die "$DIR exists and is not a cluster folder; choose another IVR_CLUSTER_DIR"
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  touch "$DIR/$MARKER"
  printf '%s\n' "NAME=$NAME" "NET=$NET" >"$DIR/cluster.info"
  local host
  for host in "${HOSTS[@]}"; do mkdir -p "$DIR/$host"; done
  save_environment
  say "network $NET.0/24 on bridge $BRIDGE"
  network_up
  say "db: PostgreSQL and Redis on $(address db)"
  start_db
  say "ivr db upgrade (on web1)"
  on_host web1 "$PY" -m ivr.cli db upgrade >>"$DIR/web1/upgrade.log" 2>&1 \
    || die "ivr db upgrade failed: see $DIR/web1/upgrade.log"
  if [ -n "$demo" ]; then
    say "ivr demo $demo_args (on web1)"
    # shellcheck disable=SC2086  # the demo's options, split as words on purpose
    on_host web1 "$PY" -m ivr.cli demo $demo_args >>"$DIR/web1/demo.log" 2>&1 \
      || die "ivr demo failed: see $DIR/web1/demo.log"
  fi
  local offsets=()
  start_web web1
  start_web web2
  for host in worker1 worker2; do
    offsets+=("$(log_size "$DIR/$host/worker.log")")
    start_worker "$host"
  done
  start_lb
  wait_web web1
  wait_web web2
  wait_worker worker1 "${offsets[0]}"
  wait_worker worker2 "${offsets[1]}"
  wait_for 30 "the load balancer's web1 and web2" lb_sees_both_up
  cmd_hosts
}

lb_sees_both_up() { [ "$(lb_servers | grep -c ' UP')" -eq 2 ]; }

lb_servers() {  # "web1 UP L7OK/200 ..." per server, from HAProxy's CSV statistics
  "$PY" - "http://$(address lb):$STATS_PORT/stats;csv" <<'EOF'
import csv, io, sys, urllib.request
rows = csv.DictReader(io.StringIO(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode().lstrip("# ")))
for row in rows:
    if row["pxname"] == "web" and row["svname"] not in ("FRONTEND", "BACKEND"):
        print(f"{row['svname']:<6} {row['status']:<6} check {row['check_status']}/{row['check_code'] or '-'} "
              f"since {row['lastchg']} s; sessions {row['stot']}; retries {row['wretr']}, redispatches {row['wredis']}")
EOF
}

cmd_hosts() {
  local host
  echo "hosts (folder $DIR):"
  for host in "${HOSTS[@]}"; do
    case "$host" in
      db) echo "  db       $(address db)   postgresql+psycopg://postgres@$(address db):5432/ivr, redis://$(address db):6379/0" ;;
      lb) echo "  lb       $(address lb)   $PUBLIC_URL (IVR_PUBLIC_URL), stats http://$(address lb):$STATS_PORT/stats, $PUBLIC_URL/lb-health" ;;
      web*) echo "  $host     $(address "$host")   http://$(address "$host"):$WEB_PORT/healthz" ;;
      worker*) echo "  $host  $(address "$host")   ivr worker" ;;
    esac
  done
  echo "  (this machine: $(address root) on $BRIDGE)"
}

cmd_status() {
  local host pids
  for host in "${HOSTS[@]}"; do
    pids="$(pids_of "$host" | tr '\n' ',' | sed 's/,$//')"
    if [ -z "$pids" ]; then
      echo "$host ($(address "$host")): no processes"
      continue
    fi
    echo "$host ($(address "$host")):"
    ps -o pid=,etime=,rss=,args= -p "$pids" | cut -c 1-150 | sed 's/^/  /'
  done
  echo "load balancer's view of web1 and web2:"
  lb_servers 2>/dev/null | sed 's/^/  /' || echo "  (no answer from HAProxy's statistics)"
}

cmd_down() {
  need_root
  kill_hosts "${HOSTS[@]}"
  network_down
  if [ -e "$DIR/$MARKER" ]; then
    rm -rf "$DIR"
  elif [ -e "$DIR" ]; then
    say "left $DIR alone: not a cluster folder"
  fi
  say "down"
}

known_host() {
  local host
  for host in "${HOSTS[@]}"; do [ "$host" = "$1" ] && return 0; done
  die "no host ${1:-(none)} (hosts: ${HOSTS[*]})"
}

up_already() { [ -e "$DIR/$MARKER" ] || die "no cluster in $DIR: run \`$0 up\` first"; }

main() {
  local command="${1:-}"
  [ $# -gt 0 ] && shift
  case "$command" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) up_already; cmd_status ;;
    hosts) cmd_hosts ;;
    kill)
      need_root; up_already; known_host "${1:-}"
      kill_hosts "$1"
      say "$1 killed" ;;
    start)
      need_root; up_already; known_host "${1:-}"
      if [ -n "$(pids_of "$1")" ]; then say "$1 is already running"; exit 0; fi
      start_host "$1"
      say "$1 started" ;;
    ivr)
      need_root; up_already; known_host "${1:-}"
      local host="$1"; shift
      on_host "$host" "$PY" -m ivr.cli "$@" ;;
    *) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; [ -z "$command" ] || exit 2 ;;
  esac
}

main "$@"
