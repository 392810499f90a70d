"""Parameter sweeps on Dask: one sweep file, one command, laptop or HPC cluster.

`netsim sweep SWEEP.yaml` (docs/sweeps.md). Modules: spec (sweep file -> points),
task (one point -> one run folder, on a worker), results (run folders -> Parquet),
cluster (LocalCluster / SLURM / PBS / existing scheduler), driver (resume + progress),
plot (metric against a parameter); the subcommand is netsim.cli.sweep.
"""

from netsim.sweep.spec import Point, Sweep, SweepError, load_sweep, sweep_from_dict

__all__ = ["Point", "Sweep", "SweepError", "load_sweep", "sweep_from_dict"]
