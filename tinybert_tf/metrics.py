"""Task metrics from predictions, through scikit-learn and SciPy."""

from typing import Dict

import numpy as np


def compute_metrics(logits: np.ndarray, labels: np.ndarray, is_regression: bool = False) -> Dict[str, float]:
    """GLUE-style metrics.

    Classification: `accuracy`, `f1` (binary F1 of label id 1 for two classes, macro F1
    otherwise) and `mcc` (Matthews correlation, CoLA's metric). Regression (one output):
    `pearson` and `spearman` correlations, and `mse`.
    """
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if len(logits) != len(labels):
        raise ValueError(f"{len(logits)} predictions for {len(labels)} labels.")
    if is_regression:
        preds = logits.reshape(-1).astype(np.float64)
        return {
            "pearson": float(pearsonr(preds, labels)[0]),
            "spearman": float(spearmanr(preds, labels)[0]),
            "mse": float(np.mean((preds - labels) ** 2)),
        }
    preds = logits.argmax(-1)
    binary = logits.shape[-1] == 2
    return {
        "accuracy": float(accuracy_score(labels, preds)),
        "f1": float(f1_score(labels, preds, average="binary" if binary else "macro", zero_division=0)),
        "mcc": float(matthews_corrcoef(labels, preds)),
    }
