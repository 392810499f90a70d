"""docs/api.md runs as written: every ```python block, in order, in one namespace, from
a folder laid out like the repository's root (topologies/ and an empty runs/)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)


def test_the_api_page_runs(tmp_path, capsys):
    shutil.copytree(ROOT / "topologies", tmp_path / "topologies")
    (tmp_path / "runs").mkdir()
    blocks = python_blocks(ROOT / "docs" / "api.md")
    assert len(blocks) >= 7
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        namespace: dict = {}
        for i, block in enumerate(blocks):
            try:
                exec(compile(block, f"docs/api.md block {i + 1}", "exec"), namespace)
            except Exception as err:  # noqa: BLE001 - name the block that failed
                pytest.fail(f"docs/api.md block {i + 1} failed: {type(err).__name__}: {err}")
    finally:
        os.chdir(here)
    out = capsys.readouterr().out
    assert (tmp_path / "runs" / "api-default" / "rtt.png").stat().st_size > 10_000
    assert "path changes" in out and "max range" in out and "light time" in out
    assert (tmp_path / "runs" / "api-default" / "view.html").is_file()


def test_the_readme_example_is_on_the_api_page():
    """The README's Python example is the first block of docs/api.md, at most 10 lines."""
    readme = python_blocks(ROOT / "README.md")
    assert readme and readme[0] == python_blocks(ROOT / "docs" / "api.md")[0]
    assert len(readme[0].strip().splitlines()) <= 10
