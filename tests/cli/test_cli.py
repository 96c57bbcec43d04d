"""The CLI's user-facing surface: help that matches the docs (README and the
guides in docs/), one-paragraph errors."""

import io
import logging
import re
from pathlib import Path

from prefect import flow, task

from peakwatch import cli

ROOT = Path(__file__).resolve().parents[2]


def docs_text() -> str:
    """The README and the hand-written docs pages (the generated reference lists every option anyway)."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def subcommands():
    parser = cli.build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return parser, action.choices


def test_every_subcommand_and_option_in_help_is_documented_in_the_readme_or_guides():
    readme = docs_text()
    parser, commands = subcommands()
    for name, sub in commands.items():
        assert f"peakwatch {name}" in readme, f"no guide shows `peakwatch {name}`"
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in readme, f"no guide mentions `{option}` of `peakwatch {name}`"
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


def test_a_bad_run_config_is_a_config_error_before_any_flow_starts(monkeypatch, capsys):
    import flows.monthly

    def must_not_start(**_):
        raise AssertionError("the flow (and its Prefect server) started on a config that does not load")

    monkeypatch.setattr(flows.monthly, "monthly_flow", must_not_start)
    for command in ("run", "sync"):
        assert cli.main([command, "--config", "/nope/peakwatch.yaml"]) == cli.EXIT_CONFIG
        err = capsys.readouterr().err
        assert err == "peakwatch: configuration error: config file not found: /nope/peakwatch.yaml\n"


@task
def _failing_pull():
    raise ValueError("snapshot deadbeef: not in the manifest /x/raw/manifest.jsonl")


@flow
def _failing_flow(config_path=None, artifacts_dir=None, snapshots=None, wait_seconds=0.0):
    _failing_pull()


def test_a_failing_flow_run_shows_no_engine_traceback_without_verbose(monkeypatch, capsys, tmp_path):
    """Prefect's engines log the failure with a traceback from the task and from
    the flow; the console keeps their one-liners and the CLI's paragraph."""
    import flows.monthly
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.logging.handlers import PrefectConsoleHandler

    ensure_logging_setup()
    console = io.StringIO()  # what Prefect's console handler prints (it holds its own stream)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler):
            monkeypatch.setattr(handler.console, "file", console)
    monkeypatch.setattr(flows.monthly, "monthly_flow", _failing_flow)
    assert cli.main(["run", "--artifacts-dir", str(tmp_path)]) == cli.EXIT_ERROR
    logged, err = console.getvalue(), capsys.readouterr().err
    assert "Task run failed with exception: ValueError('snapshot deadbeef" in logged  # the engine's one-liner
    assert "Encountered exception during execution" in logged
    assert "Traceback" not in logged + err and 'File "' not in logged + err
    assert err == (
        "peakwatch: ValueError: snapshot deadbeef: not in the manifest /x/raw/manifest.jsonl "
        "(run with --verbose for the full traceback)\n"
    )
