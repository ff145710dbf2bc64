#!/usr/bin/env bash
# Installs the system programs `npm run bench` drives, when they are missing: wrk (HTTP),
# redis-server + redis-tools (RESP baseline and load generator), libuv1-dev (the libuv C
# echo server), a C compiler and taskset (util-linux). Debian/Ubuntu with apt-get, as root
# or with sudo; anywhere else it only says what is missing (those sections are then skipped
# with a note). Set IOR_BENCH_NO_INSTALL=1 to never install anything.
set -uo pipefail

need=()
command -v cc >/dev/null || need+=(gcc)
command -v wrk >/dev/null || need+=(wrk)
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-benchmark >/dev/null || need+=(redis-tools)
command -v taskset >/dev/null || need+=(util-linux)
[ -e /usr/include/uv.h ] || need+=(libuv1-dev)
[ ${#need[@]} -eq 0 ] && exit 0

echo "bench: missing system packages: ${need[*]}"
if [ "${IOR_BENCH_NO_INSTALL:-}" = 1 ] || ! command -v apt-get >/dev/null; then
  echo "bench: not installing them (IOR_BENCH_NO_INSTALL=1 or no apt-get); their sections are skipped"
  exit 0
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
    echo "bench: not root and no password-less sudo: install them yourself; their sections are skipped"
    exit 0
  fi
fi
echo "bench: installing them with apt-get"
"${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need[@]}" \
  || echo "bench: apt-get failed; the sections that need them are skipped"
exit 0
