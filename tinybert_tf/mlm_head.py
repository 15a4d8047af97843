"""Give any BERT encoder a masked-LM head, so TinyBERT's augmentation can ask it for words.

The paper's augmentation proposes replacements for single-piece words from the teacher's
MLM; MiniLM (the offline teacher) ships without one. This stage trains HF's
`cls.predictions` (dense + GELU + LayerNorm, decoder tied to the word embeddings, bias)
on unlabelled text with the encoder frozen, and saves encoder + head as a
`BertForMaskedLM` checkpoint that `augment --teacher <dir>` uses.

Because the encoder is frozen, it runs once: every window is masked (15% of its word
pieces, all replaced by [MASK], the form augmentation asks about), and only the masked
positions' encoder outputs are kept. The head then trains on those features with
`fit` (sparse cross-entropy over the vocabulary): minutes on a CPU. The last
`holdout_fraction` of the windows measures top-1 / top-15 accuracy at masked positions.
"""

import dataclasses
import logging
import os
import time
from typing import Dict, Optional

import numpy as np

from tinybert_tf import data as data_lib
from tinybert_tf import progress, stage
from tinybert_tf.backend import keras
from tinybert_tf.checkpoint import load_pretrained, save_pretrained
from tinybert_tf.models import BertMaskedLMHead
from tinybert_tf.training import read_metrics, write_json

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class MlmHeadConfig:
    """Args:
        model: the encoder (directory or short name) that gets the head; frozen.
        corpus: unlabelled text, one segment a line (default: the shipped Brown + Austen).
        max_segments: use only the first N corpus lines.
        max_length: tokens per window.
        mask_prob: share of word pieces masked in each window.
        epochs, batch_size, learning_rate: the head's training (Adam) on the masked positions.
        holdout_fraction: the last windows kept out of training to measure accuracy.
        output_dir: where encoder + head are saved (`BertForMaskedLM` layout).
        log_dir: TensorBoard logs of the head's training.
    """

    model: str = "minilm-l6"
    corpus: Optional[str] = None
    max_segments: Optional[int] = 20000
    max_length: int = 128
    mask_prob: float = 0.15
    epochs: int = 3
    batch_size: int = 256
    learning_rate: float = 1e-3
    holdout_fraction: float = 0.05
    output_dir: str = "runs/mlm"
    seed: int = 0
    log_dir: Optional[str] = None


def masked_features(encoder, tokenizer, texts, max_length, mask_prob, seed, batch_size=32):
    """(features at masked positions (n, hidden), original ids (n,), window index (n,))."""
    rng = np.random.default_rng(seed)
    special = set(tokenizer.hf_tokenizer.all_special_ids)
    mask_id = tokenizer.hf_tokenizer.mask_token_id
    feats, targets, windows = [], [], []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start:start + batch_size], max_length=max_length)
        ids = batch["input_ids"].copy()
        candidates = (batch["attention_mask"] == 1) & ~np.isin(ids, list(special))
        chosen = candidates & (rng.random(ids.shape) < mask_prob)
        batch["input_ids"] = np.where(chosen, mask_id, ids).astype(np.int32)
        output = encoder(batch, training=False)["sequence_output"].numpy()
        rows, cols = np.nonzero(chosen)
        feats.append(output[rows, cols])
        targets.append(ids[rows, cols])
        windows.append(rows + start)
    return np.concatenate(feats), np.concatenate(targets).astype(np.int64), np.concatenate(windows)


class _HeadOnly(keras.Model):
    """The head as a trainable model over cached encoder features (the tied decoder frozen)."""

    def __init__(self, head):
        super().__init__()
        self.head = head

    def call(self, features):
        return self.head(features[:, None, :])[:, 0, :]


def train_mlm_head(config: MlmHeadConfig) -> Dict:
    """Train and save the head; returns the metrics written to `output_dir/metrics.json`."""
    stage.begin(config)
    if not 0.0 < config.mask_prob < 1.0 or not 0.0 < config.holdout_fraction < 0.5:
        raise ValueError("Need 0 < mask_prob < 1 and 0 < holdout_fraction < 0.5.")
    pretrained = load_pretrained(config.model)
    encoder, tokenizer = pretrained.encoder, pretrained.tokenizer
    if stage.reuse(config, "mlm-head", "MLM head"):
        return read_metrics(config.output_dir)
    lines = data_lib.load_general_corpus(config.corpus, config.max_segments)
    texts = data_lib.pack_segments(lines, tokenizer, config.max_length)
    start = time.time()
    logger.info(f"MLM head: encoding {len(texts)} masked windows once (encoder frozen) ...")
    feats, targets, windows = masked_features(encoder, tokenizer, texts, config.max_length, config.mask_prob,
                                              config.seed)
    split = len(texts) - max(1, int(round(config.holdout_fraction * len(texts))))
    train, held = windows < split, windows >= split
    encode_seconds = time.time() - start

    head = BertMaskedLMHead(encoder.config, encoder.get_layer("word_embeddings"), name="mlm_head")
    head.build((None, None, encoder.config.hidden_size))
    model = _HeadOnly(head)
    encoder.trainable = False  # the decoder is the (frozen) word-embedding matrix
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseTopKCategoricalAccuracy(1, name="top1"),
                           keras.metrics.SparseTopKCategoricalAccuracy(15, name="top15")])
    model.fit(feats[train], targets[train], batch_size=config.batch_size, epochs=config.epochs, shuffle=True,
              validation_data=(feats[held], targets[held]), verbose=2,
              callbacks=progress.tensorboard(config.log_dir, ""))
    scores = model.evaluate(feats[held], targets[held], batch_size=config.batch_size, verbose=0, return_dict=True)
    metrics = {"windows": len(texts), "masked_train": int(train.sum()), "masked_holdout": int(held.sum()),
               "holdout_top1": scores["top1"], "holdout_top15": scores["top15"], "holdout_loss": scores["loss"],
               "encode_seconds": round(encode_seconds, 1), "seconds": round(time.time() - start, 1)}
    save_pretrained(encoder, config.output_dir, tokenizer=tokenizer, mlm_head=head)
    write_json(os.path.join(config.output_dir, "metrics.json"), metrics)  # last: marks it finished
    logger.info(f"MLM head saved to {config.output_dir}: held-out masked top-1 {scores['top1']:.3f}, "
                f"top-15 {scores['top15']:.3f}.")
    return metrics

