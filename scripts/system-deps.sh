#!/usr/bin/env bash
# Debian packages `make run` and `make test` need, installed when missing (called by both targets
# and so by .ci/run). Fast when all is there: one dpkg-query, no apt-get update. Installs as root or
# through `sudo -n`; otherwise stops at once and prints the exact command to run.
#   scripts/system-deps.sh run    Pango/HarfBuzz for WeasyPrint's PDF certificates, Japanese fonts
#   scripts/system-deps.sh test   the above, plus Chromium and Node/npm (browser tests, axe),
#                                 LibreOffice Calc (tests/reports/test_xlsx_in_calc.py) and an LDAP
#                                 directory server with its client tools (directory log-in tests)
set -euo pipefail

target="${1:-}"
# Pango, HarfBuzz subsetting: WeasyPrint (reports/certificates.py); fonts-noto-cjk: Japanese glyphs.
run_pkgs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)
# OpenLDAP and SASL headers: pip builds python-ldap (django-auth-ldap, directory log-in) from source.
run_pkgs+=(libldap2-dev libsasl2-dev)
# redis-server: tests/people/test_sessions_redis.py talks to a real Redis (production keeps sessions there).
test_pkgs=(chromium slapd ldap-utils redis-server)
# nginx: tests/sns_training/test_nginx.py runs deploy/nginx/sns-training.conf in front of gunicorn.
test_pkgs+=(nginx)
# openssl: the same test makes nginx's self-signed certificate (bench/slowclients.py).
test_pkgs+=(openssl)
# xmlsec1: the SAML identity provider the SSO tests start (pysaml2 signs with it).
test_pkgs+=(xmlsec1)
# Installed without recommends: Calc alone, headless, not the whole office suite.
norec_pkgs=()
case "$target" in
    run) ;;
    test)
        run_pkgs+=("${test_pkgs[@]}")
        norec_pkgs+=(libreoffice-calc-nogui)
        ;;
    *)
        echo "usage: $0 run|test" >&2
        exit 2
        ;;
esac

missing_of() {
    # Prints the packages among "$@" that dpkg does not have installed (one dpkg-query for all;
    # it exits non-zero when it has never heard of one of them).
    local installed
    installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null | awk '$2 == "installed" { print $1 }' || true)"
    local pkg
    for pkg in "$@"; do
        grep -qxF "$pkg" <<<"$installed" || printf '%s\n' "$pkg"
    done
}

mapfile -t missing < <(missing_of "${run_pkgs[@]}")
# The venv the Makefile makes next: Debian's python3 needs python3-venv for it (other builds carry it).
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
# npm comes with Debian's `npm` package or inside NodeSource's `nodejs`: look for the command.
if [ "$target" = test ] && ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
mapfile -t missing_norec < <([ "${#norec_pkgs[@]}" -eq 0 ] || missing_of "${norec_pkgs[@]}")

all_missing=("${missing[@]}" "${missing_norec[@]}")
if [ "${#all_missing[@]}" -eq 0 ]; then
    exit 0
fi

commands=("apt-get update -q")
[ "${#missing[@]}" -eq 0 ] || commands+=("apt-get install -y -q ${missing[*]}")
[ "${#missing_norec[@]}" -eq 0 ] || commands+=("apt-get install -y -q --no-install-recommends ${missing_norec[*]}")

if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n "
else
    echo "error: missing Debian packages for 'make $target': ${all_missing[*]}" >&2
    echo "Run as root, then run 'make $target' again:" >&2
    for cmd in "${commands[@]}"; do echo "    sudo $cmd" >&2; done
    exit 1
fi

echo "==> installing Debian packages for 'make $target': ${all_missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
for cmd in "${commands[@]}"; do
    # shellcheck disable=SC2086 # the commands are word lists built above
    ${sudo}$cmd
done
