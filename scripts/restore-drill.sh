#!/usr/bin/env bash
# Restore drill (decision 0018, README "Backups"): dump the database of DATABASE_URL as the nightly
# backup does, restore the dump into a scratch database on the same server, and prove the copy:
# `manage.py verify_records` on it, and the row counts of the tables that matter equal to the
# source's. Exits non-zero if any step fails; the scratch database is dropped unless KEEP_SCRATCH=1.
#   DATABASE_URL=postgres://owner@db.example.jp/sns scripts/restore-drill.sh [dump-file]
# With a dump file (e.g. last night's), that file is restored instead of a fresh dump.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?set DATABASE_URL to the database to drill (postgres://...)}"
PY="${PY:-.venv/bin/python}"
source_url="${DATABASE_URL%%\?*}"
server_url="${source_url%/*}"
scratch_db="${SCRATCH_DB:-$(basename "$source_url")_restore_drill}"
scratch_url="$server_url/$scratch_db"
maintenance_url="$server_url/postgres"
workdir="$(mktemp -d)"
say() { printf '==> %s\n' "$*"; }
cleanup() {
    rm -rf "$workdir"
    if [ "${KEEP_SCRATCH:-0}" != 1 ]; then
        psql -q "$maintenance_url" -c "DROP DATABASE IF EXISTS \"$scratch_db\"" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

started=$SECONDS
dump="${1:-}"
if [ -z "$dump" ]; then
    dump="$workdir/drill.dump"
    say "pg_dump of $(basename "$source_url") (custom format, as the nightly backup)"
    pg_dump --format=custom --file="$dump" "$source_url"
fi
say "restoring $(du -h "$dump" | cut -f1) into the scratch database $scratch_db"
psql -q -v ON_ERROR_STOP=1 "$maintenance_url" -c "DROP DATABASE IF EXISTS \"$scratch_db\"" -c "CREATE DATABASE \"$scratch_db\""
pg_restore --exit-on-error --no-owner --no-acl --dbname="$scratch_url" "$dump"

say "verify_records on the restored copy"
DATABASE_URL="$scratch_url" DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-sns_training.settings.dev}" \
    "$PY" manage.py verify_records

say "row counts, source and restored copy"
tables=(quizzes_completionrecord people_staffmember people_municipality quizzes_quizattempt training_assignment wagtailcore_page)
counts() {
    local url="$1" sql="" table
    for table in "${tables[@]}"; do sql+="SELECT '$table', count(*) FROM $table UNION ALL "; done
    psql -X -A -t -F ' ' -v ON_ERROR_STOP=1 "$url" -c "${sql% UNION ALL }"
}
if [ -z "${1:-}" ]; then
    diff <(counts "$source_url") <(counts "$scratch_url") >"$workdir/diff" || {
        echo "restore drill FAILED: the restored copy's row counts differ from the source's:" >&2
        cat "$workdir/diff" >&2
        exit 1
    }
fi
counts "$scratch_url" | sed 's/^/    /'
say "restore drill passed in $((SECONDS - started)) s"
