"""Task metrics from predictions, through scikit-learn and SciPy."""

from typing import Dict

import numpy as np


def compute_metrics(logits: np.ndarray, labels: np.ndarray, is_regression: bool = False) -> Dict[str, float]:
    """GLUE-style metrics.

    Classification: `accuracy`, `f1` (binary F1 of label id 1 for two classes, macro F1
    otherwise) and `mcc` (Matthews correlation, CoLA's metric). Regression (one output):
    `pearson` and `spearman` correlations, and `mse`. Both: `n` (examples) and the
    standard error of each headline number (`accuracy_se`: binomial, sqrt(p(1-p)/n);
    `pearson_se`, `spearman_se`: Fisher's z approximation, (1-r^2) sqrt(c/(n-3)) with
    c = 1 and 1.06 (Fieller, Hartley & Pearson 1957)), so a table can say which
    differences are noise.
    """
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if len(logits) != len(labels):
        raise ValueError(f"{len(logits)} predictions for {len(labels)} labels.")
    if is_regression:
        preds = logits.reshape(-1).astype(np.float64)
        pearson, spearman = float(pearsonr(preds, labels)[0]), float(spearmanr(preds, labels)[0])
        n = len(labels)
        z_se = 1 / np.sqrt(max(n - 3, 1))
        return {
            "pearson": pearson,
            "spearman": spearman,
            "mse": float(np.mean((preds - labels) ** 2)),
            "n": n,
            "pearson_se": float((1 - pearson**2) * z_se),
            "spearman_se": float((1 - spearman**2) * np.sqrt(1.06) * z_se),
        }
    preds = logits.argmax(-1)
    binary = logits.shape[-1] == 2
    accuracy = float(accuracy_score(labels, preds))
    return {
        "accuracy": accuracy,
        "f1": float(f1_score(labels, preds, average="binary" if binary else "macro", zero_division=0)),
        "mcc": float(matthews_corrcoef(labels, preds)),
        "n": len(labels),
        "accuracy_se": float(np.sqrt(accuracy * (1 - accuracy) / max(len(labels), 1))),
    }
