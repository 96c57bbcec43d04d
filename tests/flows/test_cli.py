"""The CLI's user-facing surface: help that matches the README, one-paragraph errors."""

import re
from pathlib import Path

from flows import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def subcommands():
    parser = cli.build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return parser, action.choices


def test_every_subcommand_and_option_in_help_is_documented_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    parser, commands = subcommands()
    for name, sub in commands.items():
        assert f"peakwatch {name}" in readme, f"README does not show `peakwatch {name}`"
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in readme, f"README does not mention `{option}` of `peakwatch {name}`"
        assert sub.format_help()  # every help renders
    assert "--verbose" in readme


def test_verbose_is_accepted_before_and_after_every_subcommand():
    parser, commands = subcommands()
    for name in commands:
        assert parser.parse_args(["--verbose", name]).verbose, name
        assert parser.parse_args([name, "--verbose"]).verbose, name
        assert not parser.parse_args([name]).verbose, name


def test_errors_are_one_paragraph_without_a_traceback(tmp_path, capsys):
    code = cli.main(["report", "--artifacts-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_ERROR
    assert "Traceback" not in err
    assert re.fullmatch(r"peakwatch: no MLflow store at \S+mlflow\.db; run `peakwatch run` first\n", err)


def test_a_multiline_message_becomes_one_paragraph():
    text = cli.paragraph("peakwatch: bad config\n  regions.0.id: field required\n\n  sources: empty")
    assert text == "peakwatch: bad config regions.0.id: field required sources: empty"
