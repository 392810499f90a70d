"""Where the runs execute: a Dask LocalCluster, a SLURM/PBS cluster through
dask-jobqueue (resources from the sweep file's `cluster` section), or an existing
scheduler. Each Dask task launches one `netsim run` subprocess, so a worker is one
process with one thread by default."""

from __future__ import annotations

import logging
import math
import os

from netsim.errors import NetsimError, SweepError, unknown_key

KINDS = ("local", "slurm", "pbs")
LOCAL_KEYS = ("workers",)
# dask-jobqueue keyword arguments we pass through, plus `jobs` (how many jobs to submit).
JOB_KEYS = ("queue", "account", "cores", "processes", "memory", "walltime", "jobs", "job_cpu", "job_mem",
            "job_extra_directives", "job_script_prologue", "job_directives_skip", "local_directory",
            "log_directory", "interface", "python", "death_timeout", "worker_extra_args")
PBS_ONLY = ("resource_spec",)
_STR_LIST = ("job_extra_directives", "job_script_prologue", "job_directives_skip", "worker_extra_args")
_INTS = ("cores", "processes", "jobs", "job_cpu", "workers")


def check_cluster_section(raw, path) -> dict:
    """Validate the sweep file's `cluster` section; returns {kind: settings}."""
    if not isinstance(raw, dict):
        raise SweepError(path, "cluster", "must be a mapping with optional workers, slurm, pbs")
    out: dict = {"local": {}}
    for key, value in raw.items():
        if key in LOCAL_KEYS:
            out["local"][key] = value
            settings, where = {key: value}, "cluster"
        elif key in ("slurm", "pbs"):
            if not isinstance(value, dict):
                raise SweepError(path, f"cluster.{key}", "must be a mapping of job resources such as cores, memory")
            allowed = JOB_KEYS + (PBS_ONLY if key == "pbs" else ())
            for sub in value:
                if sub not in allowed:
                    raise SweepError(path, f"cluster.{key}.{sub}", unknown_key(sub, allowed))
            out[key] = dict(value)
            settings, where = value, f"cluster.{key}"
        else:
            raise SweepError(path, f"cluster.{key}", unknown_key(key, ("workers", "slurm", "pbs")))
        for sub, v in settings.items():
            k = f"{where}.{sub}" if where != "cluster" else f"cluster.{sub}"
            if sub in _INTS and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise SweepError(path, k, f"must be an integer >= 1 (got {v!r})")
            if sub in _STR_LIST and (not isinstance(v, list) or not all(isinstance(s, str) for s in v)):
                raise SweepError(path, k, f"must be a list of strings (got {v!r})")
            if sub not in _INTS + _STR_LIST and sub != "death_timeout" and not isinstance(v, str):
                raise SweepError(path, k, f"must be a string (got {v!r})")
    for kind in ("slurm", "pbs"):
        job = out.get(kind)
        if job is not None and "processes" in job and "cores" in job and job["cores"] % job["processes"]:
            raise SweepError(path, f"cluster.{kind}.processes", f"must divide cores = {job['cores']}")
    return out


def jobqueue_cluster(kind: str, settings: dict, **extra):
    """A dask-jobqueue SLURMCluster/PBSCluster from the sweep file's settings (not yet scaled)."""
    if kind not in ("slurm", "pbs"):
        raise NetsimError(f"--cluster: must be one of {', '.join(KINDS)} (got {kind!r})")
    try:
        import dask_jobqueue
    except ImportError:
        raise NetsimError("dask-jobqueue is not installed; run: pip install dask-jobqueue") from None
    if not settings:
        raise NetsimError(f"--cluster {kind}: the sweep file has no cluster.{kind} section "
                          "(job resources: cores, memory, walltime, ...)")
    kwargs = {k: v for k, v in settings.items() if k != "jobs"}
    kwargs.setdefault("cores", 1)
    kwargs.setdefault("memory", f"{2 * kwargs['cores']}GB")
    kwargs.setdefault("processes", kwargs["cores"])  # one worker process per core, one thread each
    kwargs.setdefault("job_name", "netsim-sweep")
    cls = dask_jobqueue.SLURMCluster if kind == "slurm" else dask_jobqueue.PBSCluster
    return cls(**kwargs, **extra)


def job_script(kind: str, settings: dict) -> str:
    """The batch script dask-jobqueue would submit for one job (nothing is submitted)."""
    # Any free port for the in-process scheduler's web server: nothing connects to it.
    cluster = jobqueue_cluster(kind, settings, scheduler_options={"dashboard_address": ":0"})
    try:
        return cluster.job_script()
    finally:
        cluster.close()


def start(kind: str | None, address: str | None, cluster_settings: dict, n_pending: int, workers: int | None):
    """(client, cluster) for this sweep; cluster is None when connecting to an existing scheduler."""
    from dask.distributed import Client, LocalCluster

    if address:
        return Client(address), None
    kind = kind or "local"
    if kind == "local":
        n = workers or cluster_settings.get("local", {}).get("workers") or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=max(1, min(n, n_pending)), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster), cluster
    settings = cluster_settings.get(kind) or {}
    cluster = jobqueue_cluster(kind, settings)
    per_job = settings.get("processes") or settings.get("cores") or 1
    jobs = settings.get("jobs") or 1
    cluster.scale(jobs=max(1, min(jobs, math.ceil(n_pending / per_job))))
    return Client(cluster), cluster



def register_pch_plugin(client) -> None:
    from netsim.sweep.plugin import PchPlugin

    client.register_plugin(PchPlugin())
