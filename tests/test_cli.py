"""The CLI's flags and their help come from the config dataclasses."""

import dataclasses

from tinybert_tf import cli, export, teacher


def test_field_docs_cover_every_field_and_multi_name_entries():
    docs = cli._field_docs(teacher.FineTuneConfig.__doc__)
    assert set(docs) == {f.name for f in dataclasses.fields(teacher.FineTuneConfig)}
    assert docs["epochs"] == docs["batch_size"] and "AdamW" in docs["epochs"]  # "batch_size, epochs, ...: ..."


def test_export_help_shows_field_meanings_and_defaults(capsys):
    parser = cli.build_parser()
    try:
        parser.parse_args(["export", "--help"])
    except SystemExit:
        pass
    text = " ".join(capsys.readouterr().out.split())
    assert "--qat-epochs QAT_EPOCHS quantization-aware training" in text
    assert "(default: 0)" in text and "Flags are the fields of ExportConfig" in text
    assert {f.name for f in dataclasses.fields(export.ExportConfig)} <= set(cli._field_docs(
        export.ExportConfig.__doc__)) | {"data_dir"}
