"""The retention benchmark's paired bootstrap (synthetic per-example scores; the models
and tasks it scores are tested elsewhere)."""

import importlib.util
import os

import numpy as np

_PATH = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks", "retention.py")
spec = importlib.util.spec_from_file_location("retention", _PATH)
retention = importlib.util.module_from_spec(spec)
spec.loader.exec_module(retention)


def test_paired_bootstrap_of_the_retention_ratio():
    rng = np.random.default_rng(0)
    teacher = (rng.random(400) < 0.8).astype(float)
    same = teacher.copy()
    worse = teacher * (rng.random(400) < 0.9)  # loses ~10% of the teacher's right answers
    independent = (rng.random(400) < 0.8).astype(float)  # as good on average, uncorrelated
    rows = {r["model"]: r for r in retention.retention_rows(
        ("mean", teacher), [("same", ("mean", same)), ("worse", ("mean", worse)),
                            ("independent", ("mean", independent))], resamples=500, goal=0.97)}
    assert rows["same"]["ratio"] == 1.0 and rows["same"]["low"] == rows["same"]["high"] == 1.0
    assert rows["same"]["p_goal"] == 1.0
    assert rows["worse"]["ratio"] == worse.mean() / teacher.mean() < rows["worse"]["high"] < 0.97
    assert rows["worse"]["p_goal"] == 0.0
    # Pairing: a correlated student's interval is narrower than an independent one's.
    width = {name: r["high"] - r["low"] for name, r in rows.items()}
    assert width["worse"] < width["independent"] / 2
    text = retention.table(list(rows.values()), "accuracy", 0.97)
    assert "| worse |" in text and "400 test examples" in text


def test_tagging_and_regression_statistics():
    words = (np.array([9, 4, 10]), np.array([10, 5, 10]))
    assert retention.statistic("ratio", words, np.arange(3)) == 23 / 25
    assert retention.statistic("ratio", words, np.array([1, 1, 2])) == 18 / 20
    ranked = (np.array([0.1, 0.4, 0.2, 0.9]), np.array([1.0, 3.0, 2.0, 5.0]))
    assert retention.statistic("spearman", ranked, np.arange(4)) == 1.0
