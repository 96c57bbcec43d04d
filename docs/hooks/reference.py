"""MkDocs hook: the reference pages, generated from the code at build time
(mkdocs.yml `hooks:`): every config key (the models' field comments), every
CLI command (its --help), the exit codes, the summary.json schema and the
MLflow layout. Nothing here is written by hand twice."""

import dataclasses
import inspect
import re
import typing

from mkdocs.structure.files import File

from peakwatch.config.reference import config_keys, field_comments, type_name

PAGES = {
    "reference/config.md": "config_page",
    "reference/cli.md": "cli_page",
    "reference/exit-codes.md": "exit_codes_page",
    "reference/summary-json.md": "summary_page",
    "reference/mlflow.md": "mlflow_page",
}


# Pages in the nav that another branch brings (a stub until it has landed).
LANDING = {"how-to/team-deployment.md": "Run the monthly job on a team stack"}


def on_files(files, config):
    for path, builder in PAGES.items():
        files.append(File.generated(config, path, content=globals()[builder]()))
    for path, title in LANDING.items():
        if files.get_file_from_path(path) is None:
            files.append(File.generated(config, path, content=f"# {title}\n\nThis guide lands with the team-deployment work.\n"))
    return files


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """Code in a table cell: a `|` cannot be escaped inside backticks, so such text stays plain."""
    return _cell(text) if "|" in text else f"`{text}`"


def config_page() -> str:
    lines = [
        "# Config reference",
        "",
        "Every key of the run config (`configs/peakwatch.yaml` is the embedded default), read from the",
        "pydantic models in `peakwatch/config/` when the site is built. `a[].b` is key `b` of each item of",
        "list `a`. Unknown keys are an error. Environment variables override two keys:",
        "`MLFLOW_TRACKING_URI` (`tracking.uri`) and `PEAKWATCH_DASK_ADDRESS` (`dask.address`).",
        "",
        "| key | type | default | meaning |",
        "|---|---|---|---|",
    ]
    for key in config_keys():
        lines.append(f"| `{key.path}` | {_code(key.type)} | {_code(key.default)} | {_cell(key.doc)} |")
    return "\n".join(lines) + "\n"


def _cli_commands() -> list[tuple[str, str]]:
    """(command, its --help text): typer's app where the CLI is on typer, else argparse's parser."""
    try:
        import typer
        from peakwatch.cli.app import app
    except ImportError:
        from peakwatch.cli import build_parser

        parser = build_parser()
        sub = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
        return [("peakwatch", parser.format_help())] + [
            (f"peakwatch {name}", p.format_help()) for name, p in sub.choices.items()
        ]
    import click

    group = typer.main.get_command(app)
    ctx = click.Context(group, info_name="peakwatch", terminal_width=100)
    found = [("peakwatch", group.get_help(ctx))]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        found.append((f"peakwatch {name}", command.get_help(click.Context(command, parent=ctx, info_name=name))))
    return found


def cli_page() -> str:
    lines = ["# Command reference", "", "Every `peakwatch` command with its `--help`, generated from the CLI.", ""]
    for name, text in _cli_commands():
        lines += [f"## `{name}`", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(lines)


EXIT_MEANINGS = {
    "EXIT_OK": "the command did what it was asked",
    "EXIT_ERROR": "it failed (the message names the file, region or field); nothing half-written is left",
    "EXIT_CONFIG": "the config (or a command-line option) is invalid",
    "EXIT_USAGE": "an unknown command or option, or a bad value",
    "EXIT_LOCKED": "another run holds the artifacts folder (`--wait SECONDS` to wait for it)",
    "EXIT_PENDING": "the run's results are kept in `artifacts/pending/`: MLflow did not take them; `peakwatch sync` later",
}


def exit_codes_page() -> str:
    from peakwatch.cli import errors

    codes = {name: value for name, value in vars(errors).items() if name.startswith("EXIT_")}
    lines = ["# Exit codes", "", "Read from `peakwatch/cli/errors.py`.", "", "| code | name | meaning |", "|---|---|---|"]
    for name, value in sorted(codes.items(), key=lambda item: item[1]):
        lines.append(f"| {value} | `{name}` | {EXIT_MEANINGS.get(name, '')} |")
    return "\n".join(lines) + "\n"


def _dataclass_of(annotation) -> type | None:
    if dataclasses.is_dataclass(annotation):
        return annotation
    return next((d for a in typing.get_args(annotation) if (d := _dataclass_of(a))), None)


def _schema_rows(cls: type, prefix: str, seen: set) -> list[str]:
    rows = []
    comments = field_comments(cls)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        annotation = hints.get(f.name, f.type)
        path = f"{prefix}{f.name}"
        rows.append(f"| `{path}` | {_code(type_name(annotation))} | {_cell(comments.get(f.name, ''))} |")
        inner = _dataclass_of(annotation)
        if inner is not None and inner not in seen:
            many = typing.get_origin(annotation) in (tuple, list)
            rows += _schema_rows(inner, f"{path}[]." if many else f"{path}.", seen | {inner})
    return rows


def summary_page() -> str:
    from peakwatch.results.summary import RunSummary

    lines = [
        "# summary.json",
        "",
        "Each run writes `artifacts/runs/<run>/summary.json` and logs it to its MLflow parent run.",
        "Its fields, read from `peakwatch.results.summary.RunSummary` and the dataclasses under it",
        "(`a[].b`: field `b` of each item of list `a`; every field may be `null` where not known).",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
    ]
    return "\n".join(lines + _schema_rows(RunSummary, "", {RunSummary})) + "\n"


def mlflow_page() -> str:
    from peakwatch.store.pending import PENDING_ID_TAG
    from peakwatch.tracking import layout, watch

    child_tags = re.findall(r'^\s*"(\w+)":', inspect.getsource(layout.series_tags), re.M)
    artifacts = [v for k, v in vars(layout).items() if k.endswith(("_JSON", "_CSV"))]
    lines = [
        "# MLflow tags, metrics and artifacts",
        "",
        "Read from `peakwatch/tracking/layout.py` and `peakwatch/tracking/watch.py`. One experiment per",
        "run series (`run_series`), a **parent run** per monthly run, **child runs** per series.",
        "",
        "## Parent run",
        "",
        f"- tag `{layout.KIND_TAG}` = `{layout.PARENT_KIND}`; tag `{PENDING_ID_TAG}` (the payload it was published from);",
        "  tags and params `run_date`, `data_sha256`, `config_hash`, `code_version`, `prefect_flow_run_id`.",
        "- metrics: counters (`series_forecast`, `series_failed`, `warnings`, `changes`, `validation_*`, `seconds_<stage>`),",
        "  and per **watched series** (`tracking.watch`, default: the registry's regions with a plan target;",
        "  at most `tracking.max_watched_series`) the keys `<region>.<indicator>.<statistic>`, e.g.",
        "  `yueyang.co2.peak_year`. `<region>` is the last part of the region id (the whole id where two",
        "  watched regions share it); `<indicator>` is "
        + ", ".join(f"`{v}` ({k})" for k, v in watch.INDICATOR_LABELS.items()) + ".",
        "",
        "| statistic | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{suffix}` | {_cell(text)} |" for suffix, (_, text) in watch.WATCHED_STATISTICS.items()]
    lines += [
        "",
        "- artifacts: " + ", ".join(f"`{a}`" for a in artifacts) + " (`series.csv`: every series' peak numbers,",
        "  one row each, also those without a child run), and `report.html`.",
        "",
        "## Child runs",
        "",
        f"One per series (region x indicator, and scenario) for a panel of at most `tracking.all_child_runs_up_to`",
        "series; for a larger panel only for the watched series and the charted ones (`tracking.max_fan_charts`).",
        "",
        f"- tag `{layout.KIND_TAG}` = `{layout.CHILD_KIND}`; tags " + ", ".join(f"`{t}`" for t in child_tags) + ".",
        "- metrics: " + ", ".join(f"`{m}`" for m in layout.SERIES_METRICS) + ", `n_observed_years`, `last_observed_year`.",
        "",
    ]
    return "\n".join(lines)
