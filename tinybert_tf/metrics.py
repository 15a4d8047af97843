"""Task metrics from predictions, through scikit-learn, SciPy and seqeval (SQuAD's
exact match / F1 written out: the official script is a file, not a library)."""

import collections
import re
import string
from typing import Dict, Sequence, Tuple

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


def token_classification_metrics(predicted: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> Dict[str, float]:
    """Tagging metrics over words (`data.tagging.word_predictions` gives `predicted`).

    `accuracy` (share of words tagged right) and `macro_f1` (scikit-learn's macro F1 over
    the gold tags; POS tagging's usual pair); when the tags are BIO/IOB2 chunks (any tag
    starting `B-` or `I-`), also entity-level `entity_precision`, `entity_recall`,
    `entity_f1` by seqeval's default (conlleval) rules: an entity counts only when its
    type and both boundaries are right.
    """
    from sklearn.metrics import f1_score

    if len(predicted) != len(gold) or any(len(p) != len(g) for p, g in zip(predicted, gold)):
        raise ValueError("predicted and gold tags must have the same sentences and lengths.")
    flat_p = [t for tags in predicted for t in tags]
    flat_g = [t for tags in gold for t in tags]
    labels = sorted(set(flat_g))
    result = {
        "accuracy": float(np.mean([p == g for p, g in zip(flat_p, flat_g)])) if flat_g else 0.0,
        "macro_f1": float(f1_score(flat_g, flat_p, labels=labels, average="macro", zero_division=0)),
        "n_words": len(flat_g),
        "n": len(gold),
    }
    if any(t[:2] in ("B-", "I-") for t in flat_g):
        from seqeval.metrics import f1_score as entity_f1, precision_score, recall_score

        predicted, gold = [list(p) for p in predicted], [list(g) for g in gold]
        result.update(entity_precision=float(precision_score(gold, predicted, zero_division=0)),
                      entity_recall=float(recall_score(gold, predicted, zero_division=0)),
                      entity_f1=float(entity_f1(gold, predicted, zero_division=0)))
    return result


_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's evaluation normalisation: lower case, no punctuation, no articles
    (a/an/the), single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _f1(prediction: str, gold: str) -> float:
    predicted, truth = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not truth:  # v2.0: both empty is a match
        return float(predicted == truth)
    common = collections.Counter(predicted) & collections.Counter(truth)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(truth)
    return 2 * precision * recall / (precision + recall)


def squad_scores(predictions: Dict[str, str], examples) -> Tuple[np.ndarray, np.ndarray]:
    """(exact match, F1) of each question of `data.QAExamples`, in [0, 1], against its
    best gold answer (SQuAD v1.1's evaluate script; an unanswerable question's gold
    answer is "", as in v2.0's)."""
    missing = [i for i in examples.ids if i not in predictions]
    if missing:
        raise ValueError(f"No prediction for {len(missing)} questions, e.g. {missing[:3]}.")
    exact, f1 = [], []
    for qid, gold in zip(examples.ids, examples.answers):
        truths = [text for text, _ in gold] or [""]
        exact.append(max(float(normalize_answer(predictions[qid]) == normalize_answer(t)) for t in truths))
        f1.append(max(_f1(predictions[qid], t) for t in truths))
    return np.array(exact), np.array(f1)


def squad_metrics(predictions: Dict[str, str], examples) -> Dict[str, float]:
    """Exact match and F1 in percent (`squad_scores` averaged), with their standard errors
    over questions (`exact_match_se`, `f1_se`: the sample deviation / sqrt(n))."""
    exact, f1 = squad_scores(predictions, examples)
    n = len(exact)

    def se(scores):
        return float(100 * scores.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0

    return {"exact_match": 100 * float(exact.mean()), "f1": 100 * float(f1.mean()), "n": n,
            "exact_match_se": se(exact), "f1_se": se(f1)}
