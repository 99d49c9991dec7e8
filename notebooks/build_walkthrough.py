"""Build ``planner_walkthrough.ipynb`` from the cells below, without outputs.

The notebook is generated so that its content can be reviewed as plain Python. Run from
the repository root after editing a cell::

    python notebooks/build_walkthrough.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK = Path(__file__).resolve().parent / "planner_walkthrough.ipynb"

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        """# Planner walkthrough: service circles of Jingkou District

This notebook takes a planner through one round of work on the bundled **Jingkou** scenario
(京口区, Zhenjiang):

1. load the scenario and build a walking network;
2. see how many residents each service circle covers, as a table and a map;
3. rank the grids that leave the most residents outside the circle;
4. suggest sites for new grid service stations (greedy and exact);
5. compare the district before and after adding them (what-if);
6. export everything for a meeting and for GIS.

It runs offline, top to bottom.

> **Demo data.** The district outline and the counts (295 grids, 160 stations, 25 centres,
> 100 rest points, 355,757 residents) are real; the *locations* are generated for
> demonstration and are not official locations. Every map and export says so.""",
    ),
    (
        "code",
        """import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # no ipywidgets needed
%matplotlib inline""",
    ),
    (
        "code",
        """import logging

import pandas as pd
from IPython.display import display

from geo import settings
from geo.analysis import approximate_network
from geo.analysis.whatif import compare
from geo.district import District
from geo.export import planner_figure, summary_table, write_report
from geo.scenario import DEMO_NOTICE_EN, load_scenario

settings.progress = False  # no progress bars in the notebook
logging.getLogger("geo").setLevel(logging.ERROR)
pd.set_option("display.width", 120)""",
    ),
    ("markdown", "## 1. Load the scenario"),
    (
        "code",
        """scenario = load_scenario("jingkou")
print(f"grids: {len(scenario.grids)}")
print(
    f"stations: {len(scenario.facilities('stations'))}, centres: "
    f"{len(scenario.facilities('centres'))}, rest points: {len(scenario.rest_points)}"
)
print(f"candidate sites: {len(scenario.candidates)}")
if scenario.demo:
    print(DEMO_NOTICE_EN)""",
    ),
    (
        "markdown",
        """## 2. The walking network

Coverage is measured along the streets. The best source is an OpenStreetMap extract of the
district, or a GraphML network saved earlier:

```python
from geo.analysis import walk_network

network = walk_network(scenario.boundary, osm_file="jingkou.osm.pbf")  # an .osm / .osm.pbf file
network = walk_network(scenario.boundary, graphml="jingkou_walk.graphml")  # osmnx GraphML
network = walk_network(scenario.boundary)  # cache, else download with osmnx (needs internet)
```

This notebook must run offline and ships no extract of Zhenjiang, so it uses the explicit
**approximate mode**: walking distance = straight-line distance x the detour factor
(`settings.detour_factor`). Every figure below is flagged as approximate.""",
    ),
    (
        "code",
        """network = approximate_network(scenario.boundary)
print(network)
print(f"approximate mode: {network.approximate}, detour factor {settings.detour_factor}")
# The district answers every question below, as the command line and the service do.
district = District(scenario, network)""",
    ),
    (
        "markdown",
        """## 3. Coverage of every service circle

Grid service stations promise a 10-minute walk, party-mass service centres 15 minutes, and
rest points 1 km along the streets (`rest_points_circle` is the plain 1 km straight-line
circle of the district's 1公里服务圈).""",
    ),
    (
        "code",
        """coverage = {key: layer.result for key, layer in district.coverage_by_layer().items()}
residents = district.coverage("stations").summary.residents_total
print(f"total residents: {residents:,.0f}")
summary_table(coverage, language="en")""",
    ),
    (
        "markdown",
        "The planner view of the stations' 10-minute circle: grids coloured by residents left "
        "outside it.",
    ),
    (
        "code",
        """layer = "stations"
figure = planner_figure(scenario=scenario, coverage=coverage[layer], layer=layer)
display(figure)""",
    ),
    ("markdown", "## 4. Underserved grids"),
    (
        "code",
        """underserved = district.underserved("stations").grids
print(f"{len(underserved)} grids have residents outside the stations' 10-minute circle")
underserved.head(10)[
    ["rank", "grid_id", "name", "community", "residents", "residents_uncovered", "nearest_minutes"]
].round(1)""",
    ),
    (
        "markdown",
        """## 5. Suggest sites for new stations

The candidates are the scenario's candidate sites (supermarkets, estate entrances, community
rooms). Existing stations stay open; each suggestion lists the residents it adds given the
ones ranked before it. The lazy greedy answers at once and reports a bound on its
optimality gap; the exact integer program (HiGHS) then proves the optimum.""",
    ),
    (
        "code",
        """greedy = district.suggestions("stations", k=10, method="greedy")
exact = district.suggestions("stations", k=10, method="exact", time_limit_s=60)
for label, result in (("greedy", greedy), ("exact", exact)):
    figures = result.summary
    seconds = ", ".join(
        f"{name} {value * 1000:.0f} ms" for name, value in figures.solve_seconds.items()
    )
    gap = f"{'<= ' if figures.gap_is_bound else ''}{figures.optimality_gap:.2%}"
    print(
        f"{label:>6}: +{figures.residents_added:,.1f} residents by {figures.sites} sites; "
        f"greedy gap {gap}; {seconds}"
    )
exact.sites[["rank", "candidate_id", "name", "residents_added", "grids_served"]].round(1)""",
    ),
    (
        "markdown",
        """## 6. Before and after: a what-if scenario

Fork the base into a named scenario, add the suggested sites as new stations, and compare.
The base layers are never changed.""",
    ),
    (
        "code",
        """base = district.whatif_base()
plan = base.fork("ten new stations")
for site in exact.sites.itertuples():
    plan.add("stations", site.geometry.x, site.geometry.y, name=site.name)
comparison = compare(base, plan)
before, after = comparison.layers.set_index("layer").loc[
    "stations", ["residents_covered_a", "residents_covered_b"]
]
print(f"stations' circle: {before:,.0f} -> {after:,.0f} residents covered")
comparison.layers.round(3)""",
    ),
    (
        "code",
        """changed = comparison.grids[comparison.grids["status_changed"]]
print(f"{len(changed)} grids change status")
changed[["layer", "grid_id", "residents", "change", "status_a", "status_b"]].round(1).head(10)""",
    ),
    (
        "code",
        """figure = planner_figure(
    scenario=scenario, coverage=coverage["stations"], layer="stations", suggestions=exact.result
)
display(figure)""",
    ),
    (
        "markdown",
        """## 7. Export

`write_report` writes a GeoPackage with every layer (opens in QGIS), an XLSX workbook with
Chinese headers, CSV files (UTF-8 with BOM, for Excel) and the PNG map. Here it writes into
a temporary folder.""",
    ),
    (
        "code",
        """import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as folder:
    written = write_report(
        folder, scenario=scenario, coverage=coverage, suggestions=exact.result, layer="stations"
    )
    for kind, path in written.items():
        print(f"{kind:>15}: {Path(path).name} ({Path(path).stat().st_size / 1024:,.0f} KiB)")""",
    ),
]


def build() -> nbformat.NotebookNode:
    """Return the walkthrough notebook, without outputs."""
    cells = [
        new_markdown_cell(source) if kind == "markdown" else new_code_cell(source)
        for kind, source in CELLS
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def main() -> None:
    """Write the notebook next to this script."""
    notebook = build()
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:02d}"  # stable ids keep the diff small
    nbformat.write(notebook, NOTEBOOK)


if __name__ == "__main__":
    main()
