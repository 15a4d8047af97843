"""The CLI's flags and their help come from the config dataclasses."""

import dataclasses

from tinybert_tf import cli, export, teacher


def test_field_docs_cover_every_field_and_multi_name_entries():
    # The config's own docstring and its run-settings base class's document every field.
    assert set(cli._class_docs(teacher.FineTuneConfig)) >= {f.name for f in dataclasses.fields(teacher.FineTuneConfig)}
    docs = cli._field_docs(teacher.FineTuneConfig.__doc__)
    assert docs["epochs"] == docs["learning_rate"] and "AdamW" in docs["epochs"]  # "epochs, learning_rate, ...: ..."
    # ... which the flags' help replaces with each field's own text (the glossary).


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


def test_every_flag_has_its_own_help():
    parser = cli.build_parser("all")
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name, *_ in cli._CONFIG_COMMANDS:
        texts = [a.help.rsplit(" (default", 1)[0] for a in subparsers.choices[name]._actions
                 if a.dest not in ("help", "config")]
        assert all(texts), name
        assert len(texts) == len(set(texts)), (name, [t for t in texts if texts.count(t) > 1])


def _config_from(argv):
    parser = cli.build_parser(argv[0])
    cli._defaults_from_config_file(parser, argv[0], argv)
    module, config_name = next((m, c) for n, _, m, c, _ in cli._CONFIG_COMMANDS if n == argv[0])
    return cli._config_from_args(getattr(cli._lib(module), config_name), parser.parse_args(argv))


def test_config_file_sets_defaults_and_flags_override(tmp_path):
    import json

    (tmp_path / "run.yaml").write_text("preset: full\nnum-augmented: 2\ngeneral_learning_rate: 1e-4\nseed: 3\n")
    config = _config_from(["recipe", "--config", str(tmp_path / "run.yaml"), "--seed", "7"])
    assert (config.preset, config.augment.num_augmented, config.distill.intermediate_epochs) == ("full", 2, 2)
    assert config.general.learning_rate == 1e-4 and isinstance(config.general.learning_rate, float)  # YAML's "1e-4"
    assert config.run.seed == 7  # the flag wins
    # A run's recipe_config.json replays that run's settings exactly.
    (tmp_path / "recipe_config.json").write_text(json.dumps(config.to_dict()))
    assert _config_from(["recipe", "--config", str(tmp_path / "recipe_config.json")]) == config
    # Sections as mappings, dotted paths and flag names all land in the same field.
    (tmp_path / "sections.yaml").write_text("distill:\n  temperature: 2\nprune.heads_fraction: 0.5\n"
                                            "teacher_epochs: 3\nrun:\n  max_length: 64\n")
    config = _config_from(["recipe", "--config", str(tmp_path / "sections.yaml")])
    assert (config.distill.temperature, config.prune.heads_fraction, config.finetune.epochs,
            config.run.max_length) == (2.0, 0.5, 3, 64)


def test_config_file_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("epochs: 2\nbogus: 1\n")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "broken.yaml").write_text("epochs: [2\n")
    for name, words in (("bad.yaml", "bogus is not a finetune setting"), ("list.json", "must hold a mapping"),
                        ("broken.yaml", "is not valid YAML"), ("missing.yaml", "no such file")):
        assert cli.main(["finetune", "--config", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1, err
