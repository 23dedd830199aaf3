#!/usr/bin/env bash
# Nightly logical backup (README "Backups", decision 0018): pg_dump of DATABASE_URL in custom format
# to BACKUP_DIR, named by date and time; dumps older than BACKUP_KEEP_DAYS (default 35) removed.
# Point-in-time recovery comes from the base backups and archived WAL, not from these dumps.
#   30 2 * * *  DATABASE_URL=postgres://sns_owner@db/sns BACKUP_DIR=/backup/dumps scripts/backup-db.sh
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL (postgres://...)}"
: "${BACKUP_DIR:?set BACKUP_DIR (on a disk other than the database)}"
keep_days="${BACKUP_KEEP_DAYS:-35}"
mkdir -p "$BACKUP_DIR"
target="$BACKUP_DIR/sns-$(date -u +%Y%m%dT%H%MZ).dump"
# Written under a temporary name first: a dump cut short never looks like a good one.
pg_dump --format=custom --file="$target.partial" "${DATABASE_URL%%\?*}"
mv "$target.partial" "$target"
find "$BACKUP_DIR" -maxdepth 1 -name 'sns-*.dump' -mtime +"$keep_days" -delete
echo "$target $(du -h "$target" | cut -f1)"
