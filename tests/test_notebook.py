"""The planner walkthrough notebook runs top to bottom, offline, and shows real figures."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "planner_walkthrough.ipynb"
sys.path.insert(0, str(ROOT / "notebooks"))

import build_walkthrough  # noqa: E402

from api.cli import main  # noqa: E402


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # One extra cell tells which interpreter ran the kernel.
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = NotebookClient(
        notebook,
        timeout=600,
        startup_timeout=180,  # a loaded CI machine can be slow to start a kernel
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path_factory.mktemp("notebook"))}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return notebook


def test_committed_notebook_is_the_built_one_without_outputs() -> None:
    committed = nbformat.read(NOTEBOOK, as_version=4)
    built = build_walkthrough.build()
    assert [cell.source for cell in committed.cells] == [cell.source for cell in built.cells]
    code = [cell for cell in committed.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert committed.metadata["kernelspec"]["name"] == "python3"


def test_notebook_runs_in_this_environment(executed: nbformat.NotebookNode) -> None:
    assert _text(executed.cells[-1]).strip() == sys.executable


def test_notebook_shows_coverage_suggestions_comparison_and_exports(
    executed: nbformat.NotebookNode,
) -> None:
    text = "\n".join(_text(cell) for cell in executed.cells)
    # Only a machine without a Chinese font may warn (the maps then fall back to English).
    errors = [
        output
        for cell in executed.cells
        for output in cell.get("outputs", [])
        if output["output_type"] == "error"
        or (output.get("name") == "stderr" and "no Chinese font found" not in output["text"])
    ]
    assert errors == []
    assert "total residents: 355,757" in text
    assert "grids: 295" in text
    assert "approximate mode: True" in text
    match = re.search(r"stations' circle: ([\d,]+) -> ([\d,]+) residents covered", text)
    assert match is not None
    before, after = (int(value.replace(",", "")) for value in match.groups())
    assert 0 < before < after <= 355_757
    greedy = re.search(r"greedy: \+([\d,.]+) residents by 10 sites", text)
    exact = re.search(r" exact: \+([\d,.]+) residents by 10 sites", text)
    assert greedy is not None and exact is not None
    added = float(exact.group(1).replace(",", ""))
    assert added >= float(greedy.group(1).replace(",", ""))
    assert after - before == pytest.approx(added, abs=1)
    for name in ("report.gpkg", "report.xlsx", "grids.csv", "suggestions.csv", "map.png"):
        assert name in text
    images = [
        output
        for cell in executed.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 2


def test_notebook_agrees_with_the_command_line(
    executed: nbformat.NotebookNode, tmp_path: Path
) -> None:
    """The notebook's District and ``circles sites`` suggest the same for the same run."""
    text = "\n".join(_text(cell) for cell in executed.cells)
    greedy = re.search(r"greedy: \+([\d,.]+) residents by 10 sites", text)
    assert greedy is not None
    out = tmp_path / "sites"
    result = CliRunner().invoke(
        main, ["sites", "--scenario", "jingkou", "-k", "10", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["residents_added"] > 0
    assert float(greedy.group(1).replace(",", "")) == pytest.approx(
        summary["residents_added"], abs=0.06
    )
