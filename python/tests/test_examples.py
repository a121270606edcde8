"""The Python examples run as a user runs them: the script end to end (figures written), and
the notebook's cells in order, as a kernel would, but for the one tagged `live` (a live run of
about a minute, which the script's and the API's tests cover)."""

import ast
import json
import subprocess
import sys

import execsim

SCRIPT = "examples/python/choose_executor.py"
NOTEBOOK = "examples/python/choose_executor.ipynb"


def run_cells(path):
    """Runs the notebook's code cells (but `live` ones) in one namespace; returns the namespace
    and each cell's last expression's value, as a notebook would show it."""
    nb = json.loads(path.read_text())
    assert nb["nbformat"] == 4
    ns, shown = {}, {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or "live" in cell["metadata"].get("tags", []):
            continue
        assert cell["outputs"] == [], "the notebook is kept without outputs"
        tree = ast.parse("".join(cell["source"]))
        body, last = tree.body, None
        if body and isinstance(body[-1], ast.Expr):
            body, last = body[:-1], body[-1].value
        exec(compile(ast.Module(body, []), cell["id"], "exec"), ns)
        if last is not None:
            shown[cell["id"]] = eval(compile(ast.Expression(last), cell["id"], "eval"), ns)
    return ns, shown


def test_the_notebook_profiles_advises_and_shows_figures(root):
    ns, shown = run_cells(root / NOTEBOOK)
    advice = ns["advice"]
    assert isinstance(advice, execsim.Advice)
    # The profiled handler holds the GIL for its word count and releases it for its hash.
    steps = [s for s in ns["prof"].request()["steps"]]
    assert {next(iter(s)) for s in steps} >= {"python", "native"}
    figures = [v for v in shown.values() if isinstance(v, execsim.Figure)]
    assert len(figures) == 3 and all(f._repr_png_().startswith(b"\x89PNG") for f in figures)
    best = ns["best"].to_dict()["server"]
    assert (best["executor"], best["workers"]) == (advice.best["executor"], advice.best["workers"])
    table = shown["cell-12"]
    assert list(table.index) == [1, 2, 4, 8] and (table["req/s"] > 0).all().all()


def test_the_script_saves_the_advice_and_its_figures(root, tmp_path):
    out = subprocess.run(
        [sys.executable, str(root / SCRIPT), "--out", str(tmp_path), "--clients", "4"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "recommended:" in out
    for stem in ("advice", "throughput", "latency"):
        assert (tmp_path / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
