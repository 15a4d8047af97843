"""The frontier benchmark's arithmetic: ratios against the reference file, the goal test,
the table and the plot (synthetic timings: no wall clock is asserted)."""

import importlib.util
import json
import os

import pytest

_PATH = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks", "frontier.py")
spec = importlib.util.spec_from_file_location("frontier", _PATH)
frontier = importlib.util.module_from_spec(spec)
spec.loader.exec_module(frontier)


def _export(tmp_path, name, variants):
    d = tmp_path / name
    d.mkdir()
    report = {"variants": {v: {"test": {"accuracy": acc, "accuracy_se": 0.012}, "passed": True}
                           for v, (acc, _, _) in variants.items()}}
    (d / "export_report.json").write_text(json.dumps(report))
    return str(d)


def test_frontier_rows_ratios_and_goal(tmp_path):
    models = {"teacher": {"float32": (0.825, 91.0, 14.0), "dynamic_int8": (0.827, 23.8, 5.4)},
              "small": {"dynamic_int8": (0.818, 4.0, 1.3)},      # 10.8x faster, 22.8x smaller, -0.7: goal
              "tiny": {"dynamic_int8": (0.790, 2.0, 0.9)}}       # fast and small, -3.5 points: not the goal
    exports = [(name, _export(tmp_path, name, v)) for name, v in models.items()]
    results = [{"model": name, "variant": variant, "seq_len": seq, "size_mb": size,
                "p50_ms": ms * (0.5 if seq == 64 else 1.0)}
               for name, v in models.items() for variant, (_, size, ms) in v.items() for seq in (64, 128)]
    rows, seqs, reference = frontier.frontier_rows({"results": results}, exports)
    assert seqs == [64, 128] and reference == ("teacher", "float32")
    by = {(r["model"], r["variant"]): r for r in rows}
    small = by[("small", "dynamic_int8")]
    assert small["speedup"] == pytest.approx(14.0 / 1.3) and small["smaller"] == pytest.approx(91.0 / 4.0)
    assert small["points_vs_reference"] == pytest.approx(-0.7) and small["goal"]
    assert not by[("tiny", "dynamic_int8")]["goal"] and not by[("teacher", "dynamic_int8")]["goal"]
    text = frontier.table(rows, seqs, reference)
    assert "| small | dynamic_int8 | 4.0 | 0.8180 ± 0.0120 | -0.7 | 0.65 | 1.30 | 10.8x | 22.8x | yes |" in text
    frontier.plot(rows, seqs, reference, str(tmp_path / "frontier.png"))
    assert (tmp_path / "frontier.png").stat().st_size > 10_000
