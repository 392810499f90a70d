#!/usr/bin/env bash
# Set up a fresh machine for netsim: a virtualenv in .venv with netsim, ns-3 and the
# C++ core built (pip install -e ".[test]"), tshark for reading pcaps and headless
# Chromium for the `netsim view` page tests when we can install them, and the ns-3
# precompiled header built once before anything runs in parallel.
#   bash scripts/setup.sh          # the default install (no MPI)
#   bash scripts/setup.sh --mpi    # also the optional MPI build for distributed runs
#                                  # (scripts/build_mpi.sh; docs/distributed.md)
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_MPI=0
for arg in "$@"; do
  case "$arg" in
    --mpi) WITH_MPI=1;;
    *) echo "netsim: error: setup.sh: unknown option '$arg'; allowed: --mpi" >&2; exit 2;;
  esac
done

case "$PWD" in
  *test*) echo "netsim: error: the checkout path '$PWD' contains 'test'; the ns3 wheel ignores libraries under such paths. Move it." >&2; exit 2;;
esac

if ! command -v tshark >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  (DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark >/dev/null) \
    || echo "netsim: warning: could not install tshark; pcap checks with tshark will be skipped" >&2
fi

# Debian's Chromium (the page tests drive it through playwright; no browser is downloaded).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "netsim: warning: could not install chromium; the browser tests of netsim view will be skipped" >&2
fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "netsim: warning: no chromium on PATH; the browser tests of netsim view will be skipped (they fail under CI=true)" >&2
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
.venv/bin/python -c "from netsim.core.ns3_loader import build_precompiled_header as b; print('ns-3 precompiled header:', b())"
if [ "$WITH_MPI" = 1 ]; then
  bash scripts/build_mpi.sh
fi
