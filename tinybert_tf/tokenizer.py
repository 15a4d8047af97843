"""WordPiece tokenization through Hugging Face `transformers` (Rust `tokenizers` inside)."""

import os
from typing import Dict, Optional, Sequence, Union

import numpy as np

from tinybert_tf.errors import TokenizerError
from tinybert_tf.hub import resolve_model_dir

TextInput = Union[str, Sequence[str]]


class BertTokenizer:
    """BERT WordPiece tokenizer producing the three int32 inputs `BertEncoder` takes.

    Wraps `transformers.BertTokenizerFast` (not hand-written WordPiece). Behaviour on
    odd input, all defined:
    - characters not in the vocabulary become `[UNK]` (never an error); control
      characters are dropped and, for uncased vocabularies, accents stripped, as BERT does;
    - an empty string encodes to `[CLS] [SEP]` (pairs: `[CLS] [SEP] [SEP]`);
    - text longer than `max_length` is truncated (pairs: longest-first);
    - an empty list, a non-string item, or `max_length` above the model's limit raise
      `TokenizerError`.

    Args:
        hf_tokenizer: a `transformers` fast BERT tokenizer.

    Example:
    ```python
    tokenizer = BertTokenizer.from_pretrained("minilm-l6")
    batch = tokenizer(["a great snack", "stale"], max_length=64)
    batch["input_ids"].shape  # (2, 64)
    ```
    """

    def __init__(self, hf_tokenizer):
        self.hf_tokenizer = hf_tokenizer

    @classmethod
    def from_pretrained(cls, name_or_path: str) -> "BertTokenizer":
        """From a model directory (vocab.txt and/or tokenizer.json) or a short name like `minilm-l6`."""
        from transformers import BertTokenizerFast

        directory = resolve_model_dir(name_or_path)
        if not any(os.path.isfile(os.path.join(directory, f)) for f in ("vocab.txt", "tokenizer.json")):
            raise TokenizerError(
                f"{directory} has neither vocab.txt nor tokenizer.json; copy the tokenizer files of the "
                "checkpoint into it (tokenizer.save_pretrained(dir) writes them)."
            )
        try:
            tok = BertTokenizerFast.from_pretrained(directory, local_files_only=True)
        except UnicodeDecodeError as e:
            raise TokenizerError(f"The tokenizer files in {directory} are not UTF-8 ({e}); re-create them.") from e
        except Exception as e:  # transformers raises many types for broken files
            raise TokenizerError(f"Could not read the tokenizer in {directory}: {e}") from e
        return cls(tok)

    @classmethod
    def from_vocab_file(cls, vocab_file: str, do_lower_case: bool = True, model_max_length: int = 512):
        """From a bare `vocab.txt` (one WordPiece a line)."""
        from transformers import BertTokenizerFast

        if not os.path.isfile(vocab_file):
            raise TokenizerError(f"No vocabulary file at {vocab_file!r}.")
        # `vocab=` rather than `vocab_file=`: the latter silently yields a 5-token vocab in transformers 5.
        return cls(BertTokenizerFast(vocab=vocab_file, do_lower_case=do_lower_case,
                                     model_max_length=model_max_length))

    # --- properties --------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return len(self.hf_tokenizer)

    @property
    def do_lower_case(self) -> bool:
        return bool(getattr(self.hf_tokenizer, "do_lower_case", True))

    @property
    def model_max_length(self) -> int:
        return int(self.hf_tokenizer.model_max_length)

    def get_vocab(self) -> Dict[str, int]:
        return self.hf_tokenizer.get_vocab()

    # --- encoding ------------------------------------------------------------------
    @staticmethod
    def _as_list(texts, what):
        if isinstance(texts, str):
            return [texts], True
        if texts is None:
            raise TokenizerError(f"{what} is None; pass a string or a list of strings.")
        texts = list(texts)
        if not texts:
            raise TokenizerError(f"{what} is an empty list; pass at least one string.")
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TokenizerError(
                    f"{what}[{i}] is {type(t).__name__}, not str; convert it (or drop missing rows) first."
                )
        return texts, False

    def __call__(
        self,
        text: TextInput,
        text_pair: Optional[TextInput] = None,
        max_length: int = 128,
        padding: str = "max_length",
        return_tensors: str = "np",
    ) -> Dict[str, np.ndarray]:
        """Encode texts (or pairs) to `input_ids`, `attention_mask`, `token_type_ids`.

        Args:
            text: a string or a list of strings.
            text_pair: optional second segments, same length as `text`.
            max_length: length to truncate to (and pad to, with `padding="max_length"`).
            padding: `"max_length"` (fixed shape) or `"longest"` (pad to the longest in the batch).
            return_tensors: `"np"` (int32 arrays) or `"tf"`.

        Returns:
            dict of int32 arrays of shape (batch, length).
        """
        texts, _ = self._as_list(text, "text")
        pairs = None
        if text_pair is not None:
            pairs, _ = self._as_list(text_pair, "text_pair")
            if len(pairs) != len(texts):
                raise TokenizerError(f"text has {len(texts)} items but text_pair has {len(pairs)}; pair them 1:1.")
        if not 2 <= max_length <= self.model_max_length:
            raise TokenizerError(
                f"max_length={max_length} is outside [2, {self.model_max_length}] "
                "(the model's position limit); choose a length within it."
            )
        if padding not in ("max_length", "longest"):
            raise TokenizerError(f"padding={padding!r}; use 'max_length' or 'longest'.")
        enc = self.hf_tokenizer(
            texts, pairs, max_length=max_length, truncation=True, padding=padding,
            return_token_type_ids=True, return_attention_mask=True,
        )
        out = {k: np.asarray(enc[k], dtype=np.int32) for k in ("input_ids", "attention_mask", "token_type_ids")}
        if return_tensors == "tf":
            from tinybert_tf.backend import tf

            out = {k: tf.constant(v) for k, v in out.items()}
        elif return_tensors != "np":
            raise TokenizerError(f"return_tensors={return_tensors!r}; use 'np' or 'tf'.")
        return out

    def tokenize(self, text: str):
        return self.hf_tokenizer.tokenize(text)

    def convert_ids_to_tokens(self, ids):
        return self.hf_tokenizer.convert_ids_to_tokens([int(i) for i in ids])

    def save_pretrained(self, directory: str):
        """Write vocab.txt, tokenizer.json and tokenizer_config.json (HF layout)."""
        os.makedirs(directory, exist_ok=True)
        self.hf_tokenizer.save_pretrained(directory)
        # transformers 5 writes only tokenizer.json; apps and older tools read vocab.txt.
        vocab = sorted(self.get_vocab().items(), key=lambda kv: kv[1])
        if [i for _, i in vocab] != list(range(len(vocab))):
            raise TokenizerError("The vocabulary ids are not contiguous; cannot write vocab.txt.")
        with open(os.path.join(directory, "vocab.txt"), "w", encoding="utf-8") as f:
            f.write("".join(token + "\n" for token, _ in vocab))
