"""Load ns-3 (PyPI ``ns3`` wheel, cppyy bindings) into this process, robustly and fast.

``load_ns3()`` returns the ``ns`` namespace (``cppyy.gbl.ns3``). It works around
the wheel's traps:

* ``ns/__init__.py`` globs the current directory (and PATH) recursively for
  ``*.so``: from ``/`` it never finishes, and another ns-3 build below the cwd
  breaks it. We import it with the cwd set to the wheel's own folder and PATH
  emptied (PATH is only used for Windows DLLs).
* The wheel drops every library whose path contains ``test``; we refuse such
  an install up front with a clear message.
* Headers parsed before ``libns3.*-core.so`` is loaded print "Failed to
  materialize symbols ... g_timeInitHelper" (cppyy issue 156); we load it first.
* Parsing the ~42 module headers takes ~10 s. A cling precompiled header (PCH)
  with the std headers plus every ns-3 module header, handed to cppyy through
  ``CLING_STANDARD_PCH`` (read when cppyy is imported), cuts that to ~1 s.

Constraints for callers:

* Call ``load_ns3()`` before anything imports ``cppyy``, or the PCH cannot be
  used (loading still works, just slowly). Set ``NETSIM_NS3_PCH=0`` to disable it.
* One Simulator per process: ns-3's ``Simulator`` and its global state
  (NodeList, TypeId registry, RNG seeds) are process-wide singletons, so run
  independent simulations in separate processes, not threads.
* Extra C++ code: ``load_core_library()`` loads the shared library *before*
  including its headers (same static-initializer reason as above).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys
import threading

from netsim.errors import NetsimError

__all__ = ["Ns3LoadError", "build_precompiled_header", "load_core_library", "load_ns3"]


class Ns3LoadError(NetsimError, RuntimeError):
    """ns-3 could not be loaded; the message says why in one line."""


# Macros ns/__init__.py defines (cppyy.cppexec) before including the module
# headers: its LIBRARY_AND_DEFINES matched against the ns-3 library names. The
# bundled third-party libraries (gsl, xml2, sqlite3) live inside the wheel, for
# which it defines nothing. The PCH must see exactly the same macros.
_MODULE_DEFINES = {"openflow": ("NS3_OPENFLOW", "ENABLE_OPENFLOW"), "click": ("NS3_CLICK",)}

_lock = threading.RLock()
_ns = None
_loaded_libraries: set[str] = set()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _warn(message: str) -> None:
    print(f"netsim: warning: {message}", file=sys.stderr, flush=True)


def _wheel_dir() -> pathlib.Path:
    """site-packages/ns3, found without importing ``ns`` (importing is the slow part)."""
    spec = importlib.util.find_spec("ns3")
    for location in (spec.submodule_search_locations or []) if spec else []:
        wheel = pathlib.Path(location).resolve()
        if (wheel / "include" / "ns3").is_dir():
            if "test" in str(wheel):  # the wheel filters out libraries whose path contains "test"
                raise Ns3LoadError(
                    f"the ns3 wheel at {wheel} cannot load because its path contains 'test' "
                    "(the wheel drops such libraries); move the virtualenv/checkout elsewhere"
                )
            return wheel
    raise Ns3LoadError("the 'ns3' package (PyPI wheel) is not installed; run: pip install ns3")


def _lib_dir(wheel: pathlib.Path) -> pathlib.Path:
    return wheel / "lib64" if (wheel / "lib64").is_dir() else wheel / "lib"


def _modules(wheel: pathlib.Path) -> list[str]:
    """The modules whose headers ns/__init__.py includes: one per libns3.<version>-<module>.so."""
    modules = []
    for lib in sorted(_lib_dir(wheel).glob("libns3*-*.so")):
        match = re.fullmatch(r"libns3[^-]*-(.+)\.so", lib.name)
        if match and "test" not in match[1] and (wheel / "include" / "ns3" / f"{match[1]}-module.h").exists():
            modules.append(match[1])
    return modules


def _pch_path() -> pathlib.Path:
    """Per-environment cache, so each virtualenv gets a PCH matching its own wheels."""
    return pathlib.Path(sys.prefix) / "share" / "netsim" / "ns3-all.pch"


def _cpu_id() -> str:
    """Hash of the CPU feature flags: cppyy compiles with -march=native, so a PCH is per CPU type."""
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
            return hashlib.sha1(flags.encode()).hexdigest()[:12]
    return ""


def build_precompiled_header(force: bool = False) -> pathlib.Path:
    """Build (if missing or outdated) a cling PCH with the std and all ns-3 module headers.

    Lives in ``<sys.prefix>/share/netsim/ns3-all.pch``. Cheap when up to date.
    Safe to call from parallel processes: built under a file lock and moved
    into place atomically. Raises Ns3LoadError if it cannot be built.
    """
    wheel = _wheel_dir()
    try:
        import cppyy_backend  # does not start cling
        import cppyy_backend.loader as backend_loader
    except ImportError as exc:
        raise Ns3LoadError(f"cppyy is not installed ({_one_line(exc)}); run: pip install cppyy") from exc
    # Set EXTRA_CLING_ARGS exactly as `import cppyy` will; rootcling reads it too.
    backend_loader.set_cling_compile_options()
    backend = pathlib.Path(backend_loader.__file__).resolve().parent

    pch = _pch_path()
    cache, stamp_file = pch.parent, pch.with_suffix(".stamp")
    modules = _modules(wheel)
    stamp = {
        "cppyy_backend": cppyy_backend.__version__,
        "wheel": str(wheel),
        "modules": modules,
        "EXTRA_CLING_ARGS": os.environ.get("EXTRA_CLING_ARGS", ""),
        "STDCXX": os.environ.get("STDCXX", ""),
        "cpu": _cpu_id(),
    }
    # Older than any of these means stale. cppyy_backend/include is the test
    # cppyy itself applies to CLING_STANDARD_PCH (and it would then overwrite our
    # file with a std-only PCH), so we must never look older than it.
    sources = [wheel / "include", wheel / "include" / "ns3", backend / "include"]

    def fresh() -> bool:
        try:
            built = pch.stat().st_mtime
            return json.loads(stamp_file.read_text()) == stamp and all(
                built >= source.stat().st_mtime for source in sources
            )
        except (OSError, ValueError):
            return False

    if not force and fresh():
        return pch
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with open(cache / "ns3-all.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # parallel workers: one builds, the others wait
            if not force and fresh():  # built by another process while we waited
                return pch
            _run_makepch(backend, wheel, modules, cache, pch)
            tmp_stamp = stamp_file.with_name(f".{stamp_file.name}.{os.getpid()}")
            tmp_stamp.write_text(json.dumps(stamp, indent=1))
            os.replace(tmp_stamp, stamp_file)
    except OSError as exc:
        raise Ns3LoadError(f"cannot build the ns-3 precompiled header in {cache}: {_one_line(exc)}") from exc
    return pch


def _run_makepch(
    backend: pathlib.Path, wheel: pathlib.Path, modules: list[str], cache: pathlib.Path, pch: pathlib.Path
) -> None:
    """Run cppyy_backend's own makepch.py, as cppyy does for its standard PCH, plus our header."""
    # One wrapper header carries the wheel's macros and the module includes:
    # makepch passes argv[2] as a single rootcling argument, so it can only hold one flag.
    header = cache / "ns3-all.h"
    lines = [f"#define {d} 1" for m in modules for d in _MODULE_DEFINES.get(m, ())]
    lines += [f'#include "ns3/{m}-module.h"' for m in modules]
    header.write_text("// Generated by netsim.core.ns3_loader: input of ns3-all.pch\n" + "\n".join(lines) + "\n")

    tmp = cache / f".ns3-all.pch.{os.getpid()}.tmp"  # same filesystem, so os.replace is atomic
    makepch = backend / "etc" / "dictpch" / "makepch.py"
    command = [sys.executable, str(makepch), str(tmp), f"-I{wheel / 'include'}", str(header)]
    print("netsim: building the ns-3 precompiled header (once per environment, ~20-60 s) ...",
          file=sys.stderr, flush=True)
    try:
        # cwd must be cppyy_backend: makepch finds rootcling and etc/dictpch relative to it.
        result = subprocess.run(command, cwd=backend, capture_output=True, text=True)
        if result.returncode != 0 or not tmp.is_file():
            output = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
            detail = next((line for line in output if "error" in line.lower()), output[-1] if output else "no output")
            raise Ns3LoadError(f"makepch.py exited with {result.returncode}: {detail.strip()[:300]}")
        os.replace(tmp, pch)
    finally:
        tmp.unlink(missing_ok=True)


def _use_precompiled_header() -> None:
    """Point cppyy at our PCH (must happen before `import cppyy`); never fatal."""
    if os.environ.get("NETSIM_NS3_PCH", "1").lower() in ("0", "off", "no", "false"):
        return
    if "cppyy" in sys.modules:
        if os.environ.get("CLING_STANDARD_PCH") != str(_pch_path()):
            _warn("cppyy was imported before load_ns3(), so the ns-3 precompiled header is not used (slow load)")
        return
    try:
        os.environ["CLING_STANDARD_PCH"] = str(build_precompiled_header())  # os.environ also putenv()s for cling
    except Exception as exc:  # a missing PCH only costs time
        _warn(f"no ns-3 precompiled header, loading ns-3 will take ~10 s ({_one_line(exc)})")


@contextlib.contextmanager
def _wheel_import_environment(wheel: pathlib.Path):
    """cwd = the wheel's folder and empty PATH while ns/__init__.py globs for libraries."""
    old_cwd, old_path = os.getcwd(), os.environ.get("PATH")
    os.chdir(wheel)
    os.environ["PATH"] = ""
    try:
        yield
    finally:
        os.chdir(old_cwd)
        if old_path is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = old_path


def load_ns3():
    """Load ns-3 once per process and return the ``ns`` namespace (``cppyy.gbl.ns3``)."""
    global _ns
    with _lock:
        if _ns is not None:
            return _ns
        wheel = _wheel_dir()
        _use_precompiled_header()
        try:
            import cppyy
        except ImportError as exc:
            raise Ns3LoadError(f"cannot import cppyy: {_one_line(exc)}") from exc
        cores = sorted(_lib_dir(wheel).glob("libns3*-core.so"))
        if not cores:
            raise Ns3LoadError(f"no libns3*-core.so in {_lib_dir(wheel)}; reinstall the ns3 wheel")
        try:
            cppyy.load_library(str(cores[0]))  # before any header is parsed (cppyy issue 156)
            with _wheel_import_environment(wheel):
                from ns import ns
        except (Exception, SystemExit) as exc:  # the wheel calls exit(-1) on some failures
            raise Ns3LoadError(f"loading ns-3 from {wheel} failed: {_one_line(exc)}") from exc
        _ns = ns
        return ns


def load_core_library(library: pathlib.Path, include_dir: pathlib.Path, headers: list[str]):
    """Load a C++ library built against the wheel's ns-3 plus its headers; once per library.

    The library is loaded before its headers are parsed, so that static
    initializers in them find their symbols. It must link against the wheel's
    own ``libns3.<version>-*.so`` (same sonames), which are already loaded.
    """
    ns = load_ns3()
    library = pathlib.Path(library).resolve()
    with _lock:
        if str(library) in _loaded_libraries:
            return ns
        if not library.is_file():
            raise Ns3LoadError(f"C++ library {library} does not exist; build it first")
        import cppyy

        try:
            cppyy.add_include_path(str(include_dir))
            cppyy.load_library(str(library))
            for header in headers:
                cppyy.include(header)
        except Exception as exc:
            raise Ns3LoadError(f"loading {library.name} with headers {headers} failed: {_one_line(exc)}") from exc
        _loaded_libraries.add(str(library))
    return ns
