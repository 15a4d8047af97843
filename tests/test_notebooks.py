"""Every notebook in notebooks/ runs top to bottom (small settings; the quickstart on its smoke slice,
`TINYBERT_SMOKE=1`) and is committed without outputs."""

import glob
import os
import time

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow  # make test-fast leaves these out

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    # One folder for all of them, like a user's checkout: 03 exports the student 01 saved.
    return str(tmp_path_factory.mktemp("notebooks"))


def test_there_are_three_walkthroughs():
    assert [os.path.basename(p) for p in NOTEBOOKS] == [
        "01_quickstart.ipynb", "02_your_data_and_teacher.ipynb", "03_to_android.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs_and_is_committed_clean(path, workdir, monkeypatch, record_property):
    nb = nbformat.read(path, as_version=4)
    stale = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not stale, f"{os.path.basename(path)} is committed with outputs in cells {stale}; clear them"
    monkeypatch.delenv("TINYBERT_FULL", raising=False)  # small settings,
    monkeypatch.setenv("TINYBERT_SMOKE", "1")  # and where a notebook offers it, a smaller slice still
    start = time.time()
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": workdir}}).execute()
    # conftest.py prints these in the terminal summary.
    record_property("notebook_seconds", (os.path.basename(path), time.time() - start))
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
