#!/usr/bin/env bash
# Installs the Debian packages the tests (and `make run`) need, when missing:
#   chromium + chromium-driver   the browser tests (Playwright drives Debian's Chromium)
#   postgresql                   a throwaway PostgreSQL cluster for the app-database tests
#   python3-venv                 the virtual environment, when the Python lacks ensurepip
#   nginx-light                  the real SITHS front in tests/auth/test_nginx.py (nginx -t, client certificates)
#   libreoffice-calc-nogui       opens the CSV downloads as a coordinator's spreadsheet would (tests/test_files_libreoffice.py)
#   redis-server                 the shared result cache of many app servers (tests/test_redis_cache.py)
#   curl                         a SITHS client with --cert against the nginx cluster (tests/auth/test_nginx.py)
#   systemd                      systemd-analyze verify of the units in deploy/ (tests/test_deploy_files.py)
#   npm                          installs axe-core for the accessibility tests (tests/a11y/package.json)
#   wrk                          the load benchmark (make bench)
# Usage: scripts/system-deps.sh [test|run|bench]
# As root it installs with apt-get; otherwise it uses passwordless sudo when
# there is one, and else stops at once naming the one command to run.
set -euo pipefail
what="${1:-test}"
need=()
if [ "$what" = "test" ] || [ "$what" = "bench" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  [ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  [ -x /usr/sbin/nginx ] || need+=(nginx-light)
  command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
  [ -x /usr/bin/redis-server ] || need+=(redis-server)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
  command -v npm >/dev/null 2>&1 || need+=(npm)
fi
if [ "$what" = "bench" ]; then
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
fi
PY="${PYTHON:-python3}"
if ! "$PY" -c "import venv, ensurepip" >/dev/null 2>&1; then
  need+=(python3-venv)
fi
[ ${#need[@]} -eq 0 ] && exit 0

cmd=(apt-get install -y -q --no-install-recommends "${need[@]}")
if [ "$(id -u)" = "0" ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "Saknas: ${need[*]} (Debian-paket som testerna behöver)." >&2
  echo "Kör en gång:  sudo apt-get update && sudo ${cmd[*]}" >&2
  echo "och sedan make $what igen." >&2
  exit 1
fi
echo "Installerar Debian-paket: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" "${cmd[@]}"
