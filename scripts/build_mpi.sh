#!/usr/bin/env bash
# The optional MPI build (docs/distributed.md): OpenMPI, ns-3's MPI module compiled
# against the installed ns3 wheel, and netsim's bridge to it, into .venv/lib/netsim-mpi.
#   bash scripts/build_mpi.sh                 # ns-3 sources from Debian's ns3 source package
#   NS3_SOURCE_DIR=~/ns-3-dev bash scripts/build_mpi.sh   # or from an ns-3 source tree
# Run by `bash scripts/setup.sh --mpi` after the default install.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "netsim: $*" >&2; }
fail() { echo "netsim: error: $*" >&2; exit 2; }

[ -x .venv/bin/python ] || fail "no .venv here: run bash scripts/setup.sh first"
if ! command -v mpicxx >/dev/null 2>&1 || ! command -v mpirun >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing OpenMPI (libopenmpi-dev openmpi-bin) ..."
    (DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq libopenmpi-dev openmpi-bin >/dev/null) || fail "could not install OpenMPI with apt-get"
  else
    fail "no MPI compiler (mpicxx) or launcher (mpirun): install OpenMPI (Debian: apt-get install libopenmpi-dev openmpi-bin; a cluster: module load openmpi), then run this again"
  fi
fi
command -v cmake >/dev/null 2>&1 || fail "no cmake on PATH"

PREFIX=.venv/lib/netsim-mpi
WORK=.venv/lib/netsim-mpi-build
mkdir -p "$WORK"

# ns-3's MPI module sources.
if [ -n "${NS3_SOURCE_DIR:-}" ]; then
  MPI_SRC=$(find "$NS3_SOURCE_DIR" -type d -path '*src/mpi/model' | head -1)
  [ -n "$MPI_SRC" ] || fail "NS3_SOURCE_DIR=$NS3_SOURCE_DIR has no src/mpi/model (an ns-3 source tree is needed)"
else
  MPI_SRC=$(find "$WORK/debian" -type d -path '*src/mpi/model' 2>/dev/null | head -1 || true)
  if [ -z "$MPI_SRC" ]; then
    SOURCES=/etc/apt/sources.list.d/debian.sources
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || [ ! -f "$SOURCES" ]; then
      fail "no ns-3 sources: set NS3_SOURCE_DIR to an ns-3 source tree (3.37 or later; https://www.nsnam.org), or run as root on Debian to fetch its ns3 source package"
    fi
    say "fetching Debian's ns3 source package (apt-get source ns3) ..."
    cp "$SOURCES" "$WORK/debian.sources.saved"
    # deb-src only for this download; the machine's sources are restored whatever happens.
    trap 'cp "$WORK/debian.sources.saved" "$SOURCES"; apt-get update -qq >/dev/null 2>&1 || true' EXIT
    sed -i 's/^Types: deb$/Types: deb deb-src/' "$SOURCES"
    apt-get update -qq >/dev/null
    mkdir -p "$WORK/debian"
    (cd "$WORK/debian" && apt-get source -qq ns3 >/dev/null 2>&1) || fail "apt-get source ns3 failed"
    cp "$WORK/debian.sources.saved" "$SOURCES"
    trap - EXIT
    apt-get update -qq >/dev/null 2>&1 || true
    MPI_SRC=$(find "$WORK/debian" -type d -path '*src/mpi/model' | head -1)
    [ -n "$MPI_SRC" ] || fail "Debian's ns3 source package has no src/mpi/model"
  fi
fi
say "ns-3 MPI sources: $MPI_SRC"

# A copy to patch: since ns-3 3.44 SimulatorImpl::Stop(const Time&) returns the EventId.
rm -rf "$WORK/mpi-model" && cp -r "$MPI_SRC" "$WORK/mpi-model"
WHEEL=$(.venv/bin/python -c "import os, sys; print(next(os.path.join(p, 'ns3') for p in sys.path if os.path.isfile(os.path.join(p, 'ns3', 'include', 'ns3', 'core-module.h'))))")
if grep -q "virtual EventId Stop(const Time& delay)" "$WHEEL/include/ns3/simulator-impl.h"; then
  for impl in distributed-simulator-impl null-message-simulator-impl; do
    sed -i 's/void Stop(const Time& delay) override;/EventId Stop(const Time\& delay) override;/' "$WORK/mpi-model/$impl.h"
    sed -i "/^void\$/{N;s/^void\n\(.*SimulatorImpl::Stop(const Time& delay)\)/EventId\n\1/}" "$WORK/mpi-model/$impl.cc"
    sed -i 's/^    Simulator::Schedule(delay, &Simulator::Stop);/    return Simulator::Schedule(delay, \&Simulator::Stop);/' "$WORK/mpi-model/$impl.cc"
  done
fi
CORE=$(.venv/bin/python -c "from netsim.core.fabric import core_dir; print(core_dir())")
say "building ns-3's MPI module and netsim's bridge against $WHEEL ..."
cmake -S cpp/mpi -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=mpicxx \
  -DNS3_MPI_SOURCE_DIR="$PWD/$WORK/mpi-model" -DNS3_WHEEL_DIR="$WHEEL" -DNETSIM_CORE_DIR="$CORE" \
  -DCMAKE_INSTALL_PREFIX="$PWD/$PREFIX" >/dev/null
cmake --build "$WORK/build" -j "$(nproc)" >/dev/null
cmake --install "$WORK/build" >/dev/null
.venv/bin/python -m pip install -q "mpi4py>=4"  # the [mpi] extra
.venv/bin/python -c "from netsim.core.mpi import mpi_problem; p = mpi_problem(); print('netsim: MPI build ready' if p is None else p)"
