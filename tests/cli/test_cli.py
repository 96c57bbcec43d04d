"""The CLI's user-facing surface: help that matches the docs (README and the
guides in docs/), one-paragraph errors."""

import io
import logging
import re
from pathlib import Path

import typer
from typer.core import TyperOption
from prefect import flow, task

from peakwatch import cli
from peakwatch.cli.app import app

ROOT = Path(__file__).resolve().parents[2]


def docs_text() -> str:
    """The README and the hand-written docs pages (the generated reference lists every option anyway)."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def subcommands() -> dict:
    return typer.main.get_command(app).commands


def test_every_subcommand_and_option_in_help_is_documented_in_the_readme_or_guides():
    readme = docs_text()
    for name, command in subcommands().items():
        assert f"peakwatch {name}" in readme, f"no guide shows `peakwatch {name}`"
        for param in command.params:
            for option in param.opts if isinstance(param, TyperOption) else ():
                if option not in ("-h", "--help"):
                    assert option in readme, f"no guide mentions `{option}` of `peakwatch {name}`"
        with typer.Context(command, info_name=name) as ctx:
            assert command.get_help(ctx)  # every help renders
    assert "--verbose" in readme


def test_verbose_is_accepted_before_and_after_every_subcommand():
    for name in subcommands():
        assert cli.parse(["--verbose", name]).verbose, name
        assert cli.parse([name, "--verbose"]).verbose, name
        assert not cli.parse([name]).verbose, name


def test_a_misspelt_option_or_command_is_a_usage_error_with_a_suggestion(capsys):
    assert cli.main(["run", "--detials"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "No such option: --detials (Possible options: --details)" in err
    assert "Traceback" not in err
    assert cli.main(["rnu"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "No such command 'rnu'" in err and "Did you mean 'run'?" in err


def test_options_taking_several_values_take_them_after_one_flag():
    assert cli.parse(["bench", "--sizes", "10", "20", "--workers", "1"]).sizes == [10, 20]
    assert cli.parse(["evaluate", "--cuts", "2008", "2010"]).cuts == [2008, 2010]


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
    log, paragraph = err.splitlines()
    assert paragraph == (
        "peakwatch: ValueError: snapshot deadbeef: not in the manifest /x/raw/manifest.jsonl "
        "(run with --verbose for the full traceback)"
    )
    assert log.startswith(f"peakwatch: the libraries' log of this run: {tmp_path / 'logs'}/run-") and log.endswith(".log")
