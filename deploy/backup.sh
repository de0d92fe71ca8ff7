#!/usr/bin/env bash
# Copies of the system's data (docs/operators.md, "Backups and restore"):
#   redis-<time>.rdb          a snapshot of Redis (conversations, queues, identity links)
#   business-<time>.dump      the reference business system's database (pg_dump custom format)
#   analytics-<time>.dump     the analytics database
# Reads REDIS_URL, BUSINESS_DATABASE_URL and ANALYTICS_DATABASE_URL as the services do
# (hotline-backup.service loads /etc/hotline/hotline.env); writes into BACKUP_DIR and
# deletes copies older than BACKUP_KEEP_DAYS. A URL that is unset or not PostgreSQL is skipped.
set -euo pipefail

: "${BACKUP_DIR:=/var/backups/hotline}"
: "${BACKUP_KEEP_DAYS:=14}"
: "${REDIS_CLI:=redis-cli}"
: "${PG_DUMP:=pg_dump}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BACKUP_DIR"

# "scheme://user:password@rest" → URL without the password in $bare, password in $secret:
# passwords go to the tools through their environment, never onto the process list.
split_url() {
  if [[ "$1" =~ ^([a-z+]+://)([^:@/]*):([^@/]*)@(.*)$ ]]; then
    bare="${BASH_REMATCH[1]}${BASH_REMATCH[2]}${BASH_REMATCH[2]:+@}${BASH_REMATCH[4]}"
    secret="${BASH_REMATCH[3]}"
  else
    bare="$1"
    secret=""
  fi
}

if [[ -n "${REDIS_URL:-}" ]]; then
  # --rdb has the server make a fresh snapshot and copies it here.
  split_url "$REDIS_URL"
  (
    [[ -z "$secret" ]] || export REDISCLI_AUTH="$secret"
    "$REDIS_CLI" -u "$bare" --rdb "$BACKUP_DIR/redis-$stamp.rdb" >/dev/null
  )
  echo "redis      → $BACKUP_DIR/redis-$stamp.rdb"
fi

for name in business analytics; do
  var="${name^^}_DATABASE_URL"
  url="${!var:-}"
  [[ "$url" == postgresql* ]] || continue
  # SQLAlchemy's driver suffix (postgresql+psycopg://) is not a libpq URL.
  split_url "${url/+psycopg/}"
  PGPASSWORD="$secret" "$PG_DUMP" --format=custom --no-owner --dbname="$bare" \
    --file="$BACKUP_DIR/$name-$stamp.dump"
  echo "$name → $BACKUP_DIR/$name-$stamp.dump"
done

find "$BACKUP_DIR" -maxdepth 1 -type f \( -name 'redis-*.rdb' -o -name '*.dump' \) \
  -mtime "+$BACKUP_KEEP_DAYS" -delete
