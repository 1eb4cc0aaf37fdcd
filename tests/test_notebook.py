"""The notebooks run top to bottom with no credentials, on this interpreter.

``notebooks/quickstart.ipynb`` (tracks), ``notebooks/audience.ipynb`` (followers, comments,
playlists, the follow graph; needs the graph extra) and ``notebooks/growth.ipynb`` (syncs over
the emulator's moving clock, history and growth) are committed without outputs.

The notebook is executed with nbclient in a Jupyter kernel started from ``sys.executable`` (a
kernelspec written into the test's temporary directory, so no ``python3`` kernelspec installed
elsewhere can substitute another interpreter). The kernel inherits the environment that the
autouse ``isolated_env`` fixture scrubbed, so the notebook falls back to the bundled emulator,
and it runs in ``tmp_path``, where the notebook writes its Parquet file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

import scdata
from scdata.sandbox import Sandbox

from .conftest import REPO, needs_extra

pytestmark = pytest.mark.slow  # a Jupyter kernel runs the notebook

NOTEBOOK = REPO / "notebooks" / "quickstart.ipynb"
AUDIENCE = REPO / "notebooks" / "audience.ipynb"
GROWTH = REPO / "notebooks" / "growth.ipynb"
PROBE = "import sys\nprint(sys.executable)"


def kernel_manager(kernels: Path) -> AsyncKernelManager:
    """A kernel manager whose only ``python3`` kernelspec runs ``sys.executable``."""
    spec_dir = kernels / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (test interpreter)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    assert specs.get_kernel_spec("python3").argv[0] == sys.executable
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)


def execute(notebook: Path, tmp_path: Path) -> tuple[nbformat.NotebookNode, Path]:
    """Run ``notebook`` (committed without outputs) in ``tmp_path/run``; the run and its dir."""
    committed = nbformat.read(notebook, as_version=4)
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "commit without outputs"

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PROBE))  # which interpreter runs the kernel
    workdir = tmp_path / "run"
    workdir.mkdir()
    client = nbclient.NotebookClient(
        nb,
        km=kernel_manager(tmp_path / "kernels"),
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()  # raises nbclient's CellExecutionError on the first failing cell

    probe = nb.cells[0].outputs
    assert [o.get("text", "").strip() for o in probe if o.output_type == "stream"] == [
        sys.executable
    ]
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    return nb, workdir


def outputs(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs(nb))


def printed(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in outputs(nb) if o.output_type == "stream")


def test_quickstart_notebook_runs(tmp_path: Path) -> None:
    nb, workdir = execute(NOTEBOOK, tmp_path)
    assert images(nb) >= 3, f"expected at least 3 plots, got {images(nb)}"

    parquet = workdir / "jowymusic.parquet"
    assert parquet.is_file()
    expected = Sandbox().catalog.tracks("jowymusic")  # tracks_df: every track
    assert len(scdata.read_parquet(parquet)) == len(expected)


@needs_extra("graph")
def test_audience_notebook_runs(tmp_path: Path) -> None:
    nb, _ = execute(AUDIENCE, tmp_path)
    # followers' follower counts, overlap, top commenters, comment positions, playlists, graph
    assert images(nb) >= 6, f"expected at least 6 plots, got {images(nb)}"
    text = printed(nb)
    assert "accounts follow both" in text
    assert "track_count (expected): " in text and "tracks listed (got): " in text
    assert "follows; levels: depth 0" in text


def test_growth_notebook_runs(tmp_path: Path) -> None:
    nb, _ = execute(GROWTH, tmp_path)
    # plays over time, daily growth, release curves, new followers per day
    assert images(nb) >= 4, f"expected the 4 plots, got {images(nb)}"
    text = printed(nb)
    assert "sync ok" in text and "tracks uploaded while we watched" in text
