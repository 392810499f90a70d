"""Write the analysis tables: flows.csv and throughput.csv, plus .parquet when pyarrow can be
imported. Each file is written to a temporary name and renamed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from netsim.files import new_path


def parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except Exception:  # ImportError, or a pyarrow built for another numpy
        return False
    return True


def write_tables(out_dir: Path, tables: dict[str, pd.DataFrame], *, parquet: bool | None = None) -> list[Path]:
    """tables: name -> frame; returns the files written. parquet None: when pyarrow is available."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if parquet is None:
        parquet = parquet_available()
    written = []
    for name, frame in tables.items():
        path = out_dir / f"{name}.csv"
        with new_path(path) as tmp:  # a new file, renamed into place (netsim.files)
            frame.to_csv(tmp, index=False, float_format="%.6f", lineterminator="\n")
        written.append(path)
        if parquet:
            path = out_dir / f"{name}.parquet"
            with new_path(path) as tmp:
                frame.to_parquet(tmp, index=False)
            written.append(path)
    return written
