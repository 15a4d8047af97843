"""TinyBERT's data augmentation: word replacement by teacher-MLM candidates or embedding neighbours.

For each example, `num_augmented` copies are made; in each, every word is replaced with
probability `replace_prob` by
- one of the teacher MLM's top-`top_k` predictions for that word masked, when the word is
  a single WordPiece and the teacher has an MLM head (the paper's rule), else
- one of the `top_k` nearest whole-word vocabulary entries to the word's mean WordPiece
  embedding (cosine, in the teacher's input embedding matrix) — the paper uses GloVe
  neighbours here; a teacher without an MLM head (like MiniLM) uses this for every word.
Words are BERT's basic tokens (the tokenizer's own normalizer and pre-tokenizer), so the
augmented text is lower-cased for uncased vocabularies and joined with spaces, as the
official code's output is. As in the official code, stop words are never replaced, the
MLM sees `[CLS] masked sentence [SEP] original sentence [SEP]` and may propose the
original word back (so fewer than `replace_prob` of the words change), and both
sentences of a pair task are augmented. Originals are kept first in the output.
"""

import dataclasses
import json
import logging
import os
import random
import time
from typing import Dict, List, Optional

import numpy as np

from tinybert_tf import data as data_lib
from tinybert_tf import outputs, progress
from tinybert_tf.checkpoint import load_pretrained

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class AugmentConfig:
    """Args:
        teacher: the teacher (directory or short name) whose MLM head / embeddings propose words.
        task: the task whose training split is augmented.
        output_file: JSONL to write (`text`, [`text_pair`,] `label`); reused when it exists
            and was made with the same settings.
        replace_prob: p_t, the probability of replacing each word (paper: 0.4).
        num_augmented: N_a, augmented copies per example (paper: 20).
        top_k: K candidates per word (paper: 15).
        max_examples: augment only the first N training examples.
    """

    teacher: str = "minilm-l6"
    task: str = "fine_foods"
    output_file: str = "runs/augmented/train_augmented.jsonl"
    replace_prob: float = 0.4
    num_augmented: int = 20
    top_k: int = 15
    max_examples: Optional[int] = None
    seed: int = 0
    data_dir: Optional[str] = None


# Examples between two commits of an interrupted augmentation's progress.
_CHUNK = 50


class Augmenter:
    """Proposes replacements for words using a loaded teacher (`PretrainedBert`)."""

    def __init__(self, pretrained, top_k=15, seed=0):
        # scikit-learn's English stop-word list (318 words), imported here: only augmentation needs it.
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self.stop_words = frozenset(ENGLISH_STOP_WORDS)
        self.tokenizer = pretrained.tokenizer
        self.encoder = pretrained.encoder
        self.mlm_head = pretrained.mlm_head
        self.top_k = top_k
        self.rng = random.Random(seed)
        vocab = self.tokenizer.get_vocab()
        self.id_to_token = {i: t for t, i in vocab.items()}
        # Whole words only: no '##' continuation pieces, no [special] tokens, letters only.
        self.word_ids = np.array(sorted(i for t, i in vocab.items() if t.isalpha() and not t.startswith("##")))
        matrix = self.encoder.get_layer("word_embeddings").embeddings.numpy()
        self.embeddings = matrix
        normed = matrix[self.word_ids]
        self.word_matrix = normed / np.linalg.norm(normed, axis=1, keepdims=True).clip(1e-6)
        self._neighbours: Dict[str, List[str]] = {}
        # One compiled graph for the MLM passes (eager dispatch dominated them); lengths vary
        # from sentence to sentence, so the trace is made shape-generic after a few.
        from tinybert_tf.backend import tf

        encoder = self.encoder

        @tf.function(reduce_retracing=True)
        def encode(features):
            return encoder(features, training=False)["sequence_output"]
        self._encode = encode
        backend = self.tokenizer.hf_tokenizer.backend_tokenizer
        self._normalize, self._pre_tokenize = backend.normalizer, backend.pre_tokenizer

    def words(self, text: str) -> List[str]:
        normalized = self._normalize.normalize_str(text) if self._normalize else text
        return [w for w, _ in self._pre_tokenize.pre_tokenize_str(normalized)]

    def prepare_neighbours(self, words, batch=2048):
        """Nearest whole-word neighbours of every word in `words`, computed in batches once."""
        todo = sorted({w for w in words if w.isalpha() and w not in self._neighbours})
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            pieces = self.tokenizer.hf_tokenizer(chunk, add_special_tokens=False)["input_ids"]
            vectors = np.stack([self.embeddings[p].mean(0) for p in pieces])
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-6)
            scores = vectors @ self.word_matrix.T
            # The word itself is usually its own nearest entry: take one extra. A vocabulary
            # with fewer whole words than that gives all of them.
            k = min(self.top_k + 1, scores.shape[1])
            top = (np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < scores.shape[1]
                   else np.tile(np.arange(scores.shape[1]), (len(chunk), 1)))
            for word, row, cand in zip(chunk, scores, top):
                cand = cand[np.argsort(-row[cand])]
                tokens = [self.id_to_token[int(self.word_ids[c])] for c in cand]
                self._neighbours[word] = [t for t in tokens if t != word][: self.top_k]

    def _mlm_candidates(self, words, positions):
        """Top-k MLM predictions for each single-piece word at `positions`, masking one at a
        time; the input is the masked sentence paired with the original, as the official
        code builds it. A [MASK] cut off by the 512-token limit gets no candidates (the
        word falls back to embedding neighbours)."""
        original = " ".join(words)
        texts = [" ".join(words[:p] + [self.tokenizer.hf_tokenizer.mask_token] + words[p + 1:]) for p in positions]
        # Lengths in WordPieces (not words): both sentences plus [CLS] and two [SEP].
        pieces = len(self.tokenizer.hf_tokenizer(original, add_special_tokens=False)["input_ids"])
        batch = self.tokenizer(texts, [original] * len(texts), max_length=min(self.tokenizer.model_max_length,
                                                                              2 * pieces + 3), padding="longest")
        states = self._encode(batch).numpy()
        mask_id = self.tokenizer.hf_tokenizer.mask_token_id
        rows, at = [], []
        for row in range(len(positions)):
            where = np.where(batch["input_ids"][row] == mask_id)[0]
            if len(where):
                rows.append(row)
                at.append(where[0])
        if not rows:
            return {}
        # The vocabulary-sized head only at the [MASK] positions (not every position of every
        # copy: for a 200-token review that is ~400x less work), same logits.
        logits = self.mlm_head(states[rows, at][:, None, :]).numpy()[:, 0]
        out = {}
        for row, scores in zip(rows, logits):
            top = np.argsort(-scores)[: self.top_k + 1]
            tokens = [self.id_to_token[int(t)] for t in top]
            out[positions[row]] = [t for t in tokens if t.isalpha()][: self.top_k]
        return out

    def augment(self, text: str, copies: int, replace_prob: float) -> List[str]:
        words = self.words(text)
        replaceable = [i for i, w in enumerate(words) if w.isalpha() and w.lower() not in self.stop_words]
        mlm = {}
        if self.mlm_head is not None:
            single = [i for i in replaceable
                      if len(self.tokenizer.hf_tokenizer(words[i], add_special_tokens=False)["input_ids"]) == 1]
            if single:
                mlm = self._mlm_candidates(words, single)
        self.prepare_neighbours(words[i] for i in replaceable)
        results = []
        for _ in range(copies):
            new = list(words)
            for i in replaceable:
                if self.rng.random() < replace_prob:
                    candidates = mlm.get(i) or self._neighbours.get(words[i])
                    if candidates:
                        new[i] = self.rng.choice(candidates)
            results.append(" ".join(new))
        return results


def augment_task(config: AugmentConfig) -> str:
    """Write the augmented training set (originals first, then copies) to
    `config.output_file` and return its path.

    Each example's copies come from their own random stream (seeded by `seed` and the
    example's index), so the work can be cut anywhere: progress is committed every
    `_CHUNK` examples (`<output_file>.partial` + `.progress.json`), an interrupted run
    continues from there, and the result is the file an uninterrupted run writes. A
    finished file made with the same settings is reused; other settings are refused
    (`<output_file>.settings.json`)."""
    if not 0.0 <= config.replace_prob <= 1.0 or config.num_augmented < 0 or config.top_k < 1:
        raise ValueError("Need 0 <= replace_prob <= 1, num_augmented >= 0 and top_k >= 1.")
    outputs.check_not_a_file(os.path.dirname(os.path.abspath(config.output_file)), "output file's folder")
    if os.path.isdir(config.output_file):
        raise outputs.OutputError(f"output_file {config.output_file!r} is a folder; name a .jsonl file.")
    task = data_lib.load_task(config.task, data_dir=config.data_dir, seed=config.seed)
    train = task.train.head(config.max_examples or None)
    settings = {**outputs.settings_of(config), "n_examples": len(train)}
    partial, progress_path = config.output_file + ".partial", config.output_file + ".progress.json"
    folder = os.path.dirname(os.path.abspath(config.output_file))
    if os.path.isdir(folder):
        outputs.remove_stale_partials(folder, suffix=os.path.basename(progress_path))
    rerun = outputs.guard_settings(config.output_file + ".settings.json", "augment", settings, config.output_file)
    if rerun and os.path.isfile(config.output_file):
        logger.info(f"{config.output_file} already holds this augmentation; reusing it.")
        return config.output_file

    done, offset = 0, 0
    if rerun and os.path.isfile(progress_path) and os.path.isfile(partial):
        with open(progress_path, encoding="utf-8") as f:
            committed = json.load(f)
        done, offset = int(committed["examples"]), int(committed["bytes"])
        logger.info(f"Resuming the augmentation after {done} of {len(train)} examples.")
    pretrained = load_pretrained(config.teacher)
    augmenter = Augmenter(pretrained, config.top_k, config.seed)
    total = len(train) * (config.num_augmented + 1)
    begin = time.time()
    augmenter.prepare_neighbours(w for t in train.texts[done:] for w in augmenter.words(t))
    avg_bytes = sum(len(t) for t in train.texts) / len(train) + 40
    logger.info(f"Augmenting {len(train)} examples x {config.num_augmented} copies (+ originals) = {total} rows, "
                f"expected ~{total * avg_bytes / 1e6:.1f} MB ({'MLM head' if augmenter.mlm_head is not None else 'embedding neighbours'}, "
                f"p={config.replace_prob}, K={config.top_k}).")

    label_of = (lambda y: float(y)) if task.is_regression else (lambda y: task.label_names[int(y)])
    shown = progress.bar(len(train), "augment", unit="example", initial=done)
    # Append to the partial file after its last committed byte (a killed run may have written more).
    with open(partial, "r+b" if done else "wb") as f:
        f.truncate(offset)
        f.seek(offset)
        for i in range(done, len(train)):
            text = train.texts[i]
            pair = train.text_pairs[i] if train.text_pairs is not None else None
            augmenter.rng.seed(config.seed * 1_000_003 + i)  # this example's own stream
            copies = augmenter.augment(text, config.num_augmented, config.replace_prob)
            # Pair tasks: both sentences are augmented, copy k with copy k.
            pair_copies = (augmenter.augment(pair, config.num_augmented, config.replace_prob)
                           if pair is not None else [None] * len(copies))
            for new, new_pair in zip([text] + copies, [pair] + pair_copies):
                row = {"text": new, "label": label_of(train.labels[i])}
                if new_pair is not None:
                    row["text_pair"] = new_pair
                f.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
            if (i + 1) % _CHUNK == 0 or i + 1 == len(train):
                f.flush()
                os.fsync(f.fileno())
                outputs.write_json(progress_path, {"examples": i + 1, "bytes": f.tell()})
            outputs.fault_point(f"augment:example:{i + 1}")
            shown.update(1)
    shown.close()
    os.replace(partial, config.output_file)
    os.remove(progress_path)
    logger.info(f"Wrote {total} rows to {config.output_file} in {time.time() - begin:.1f} s.")
    return config.output_file
