"""The settings guard (`outputs.prepare_output_dir`)."""

import dataclasses
import json

import pytest

from tinybert_tf import outputs


@dataclasses.dataclass
class _Old:
    epochs: int = 1
    output_dir: str = "out"


@dataclasses.dataclass
class _New(_Old):
    eval_steps: int = 0  # a setting a later version added; 0 is what the old code did


def test_a_setting_added_later_matches_older_records_only_at_its_default(tmp_path):
    out = str(tmp_path / "run")
    assert outputs.prepare_output_dir(out, "stage", _Old(output_dir=out)) is False
    assert "eval_steps" not in json.load(open(f"{out}/run_settings.json"))["settings"]
    assert outputs.prepare_output_dir(out, "stage", _New(output_dir=out)) is True  # same run, newer code
    with pytest.raises(outputs.OutputError, match=r"other settings \(eval_steps: None -> 100\)"):
        outputs.prepare_output_dir(out, "stage", _New(eval_steps=100, output_dir=out))
    with pytest.raises(outputs.OutputError, match=r"epochs: 1 -> 2"):
        outputs.prepare_output_dir(out, "stage", _New(epochs=2, output_dir=out))


def test_fingerprint_covers_the_links_to_the_teacher(tmp_path):
    """A student's projection and head map shape what distilling it does: changing either
    changes its fingerprint, so a rerun on a changed folder is refused, not reused."""
    from tinybert_tf import outputs

    (tmp_path / "config.json").write_text("{}")
    before = outputs.fingerprint(str(tmp_path))
    (tmp_path / "distill_heads.json").write_text('{"heads": [[0, 1]]}')
    with_heads = outputs.fingerprint(str(tmp_path))
    (tmp_path / "distill_heads.json").write_text('{"heads": [[1, 0]]}')
    assert len({before, with_heads, outputs.fingerprint(str(tmp_path))}) == 3
    (tmp_path / "distill_projections.safetensors").write_bytes(b"x")
    with_projection = outputs.fingerprint(str(tmp_path))
    assert with_projection != with_heads
    (tmp_path / "metrics.json").write_text("{}")  # run records are not inputs
    assert outputs.fingerprint(str(tmp_path)) == with_projection


def test_fingerprint_covers_tagging_and_qa_data(tmp_path):
    """CoNLL and SQuAD task folders and the Brown corpus files are inputs: a rerun on
    changed data is refused, not reused."""
    from tinybert_tf import outputs

    seen = set()
    for name, text in (("train.conll", "a\tX\n"), ("train.conll", "a\tY\n"), ("dev.json", '{"data": []}'),
                       ("train-v1.1.json", '{"data": []}'), ("ca01", "The/at jury/nn"), ("ca01", "The/at"),
                       ("BROWN_README", "not an input")):
        (tmp_path / name).write_text(text)
        seen.add(outputs.fingerprint(str(tmp_path)))
    assert len(seen) == 6  # every change but the README's moved the fingerprint
