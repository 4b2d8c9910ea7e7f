"""Execute every notebook under ``notebooks/`` against the bundled sample data.

Each notebook runs in a fresh ``python3`` kernel (this interpreter's ipykernel) with a
temporary working directory, so a notebook that writes files cannot litter the repository.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

_MISSING = "executing notebooks needs the test extra: pip install -e '.[test]'"
nbclient = pytest.importorskip("nbclient", reason=f"nbclient is not installed; {_MISSING}")
nbformat = pytest.importorskip("nbformat", reason=f"nbformat is not installed; {_MISSING}")
pytest.importorskip("ipykernel", reason=f"ipykernel is not installed; {_MISSING}")

if TYPE_CHECKING:
    from nbformat import NotebookNode

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(
    path for path in NOTEBOOK_DIR.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
)
QUICKSTART = NOTEBOOK_DIR / "01_quickstart.ipynb"
KERNEL = "python3"
CELL_TIMEOUT = 300

Executor = Callable[[Path], "NotebookNode"]


def execute(notebook: NotebookNode, workdir: Path) -> NotebookNode:
    """Run every cell of a notebook in a fresh kernel and return it with its outputs.

    Parameters
    ----------
    notebook
        The notebook, as read by :func:`nbformat.read`; it is filled in place.
    workdir
        The kernel's working directory.

    Returns
    -------
    nbformat.NotebookNode
        ``notebook``, executed.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell raises; the message shows the cell and its traceback.
    """
    client = nbclient.NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(workdir)}},
    )
    with pytest.MonkeyPatch.context() as patch:
        # The notebooks rely on the inline backend a kernel picks when MPLBACKEND is unset;
        # a headless setting inherited from the test run (often Agg) would hide the charts.
        patch.delenv("MPLBACKEND", raising=False)
        result: NotebookNode = client.execute()
    return result


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Executor]:
    """Execute a notebook once per test module and hand out the executed copy.

    Yields
    ------
    callable
        Takes a notebook's path, returns the executed notebook.
    """
    done: dict[Path, NotebookNode] = {}

    def run(path: Path) -> NotebookNode:
        if path not in done:
            notebook = nbformat.read(path, as_version=4)
            done[path] = execute(notebook, tmp_path_factory.mktemp(path.stem))
        return done[path]

    yield run


def _outputs(notebook: NotebookNode, mime: str) -> list[str]:
    """Return the ``mime`` payloads of every displayed output of a notebook."""
    return [
        output["data"][mime]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type in ("display_data", "execute_result") and mime in output["data"]
    ]


def test_kernel_is_this_interpreter(tmp_path: Path) -> None:
    """The ``python3`` kernel runs in this environment, not some other Python."""
    probe = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import sys\nprint(sys.prefix, end='')")]
    )
    execute(probe, tmp_path)
    printed = "".join(o.get("text", "") for o in probe.cells[0].outputs)
    assert printed == sys.prefix, (
        f"the {KERNEL!r} kernel runs Python from {printed!r}, not from {sys.prefix!r}; "
        f"remove the other kernelspec shown by 'jupyter kernelspec list'"
    )


def test_there_are_notebooks() -> None:
    """The quickstart is where the tests below expect it."""
    assert QUICKSTART in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    """Notebooks are committed clean: no outputs, no execution counts."""
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs; clear them before saving"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs(path: Path, executed: Executor) -> None:
    """Every cell runs without error (a failing cell raises ``CellExecutionError``)."""
    notebook = executed(path)
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors


def test_quickstart_shows_map_and_chart(executed: Executor) -> None:
    """The quickstart displays the folium map inline and draws the weekly chart."""
    notebook = executed(QUICKSTART)
    assert any("leaflet" in page.lower() for page in _outputs(notebook, "text/html")), (
        "no displayed folium map"
    )
    assert _outputs(notebook, "image/png"), "no chart image"
