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
