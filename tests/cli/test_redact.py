"""Credentials in tracking URIs and source URLs never reach what is printed or
stored: messages, artifacts/raw (manifest, HTTP cache), the pull report."""

import io
import json
import logging
import traceback
import warnings

import pytest
import yaml

from peakwatch import cli, redact
from peakwatch.config import DEFAULT_CONFIG, PROJECT_ROOT, load_config
from peakwatch.redact import describe_exception, redact_text, redact_url, redacted_traceback
from peakwatch.sources import SourceError
from peakwatch.sources.pull import pull_all
from peakwatch.store.catalog import Catalog
from tests.sources._sources_helpers import REGISTRY, Route, make_source, serve, tidy_csv, yearly_rows

SECRET = "s3cret"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:s3cret@host:5000", "http://host:5000"),
        ("https://token-s3cret@host/mlflow/", "https://host/mlflow/"),
        ("postgresql://mlflow:s3cret@db:5432/mlflow", "postgresql://db:5432/mlflow"),
        ("https://h/x.csv?year=2020&token=s3cret&API_KEY=s3cret", "https://h/x.csv?year=2020&token=***&API_KEY=***"),
        ("https://h/x.csv?X-Amz-Signature=s3cret&sig=s3cret#part", "https://h/x.csv?X-Amz-Signature=***&sig=***#part"),
        ("http://u:s3cret@host:5000/#/experiments/1/runs/abc", "http://host:5000/#/experiments/1/runs/abc"),
        ("sqlite:////tmp/artifacts/mlflow.db", "sqlite:////tmp/artifacts/mlflow.db"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("/data/yearbook.csv", "/data/yearbook.csv"),
        ("http://u:s3cret@[::1", "http://[::1"),  # unparsable, still no userinfo
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown


def test_an_exception_and_its_traceback_are_described_without_the_password():
    try:
        try:
            raise ConnectionError("refused by http://u:s3cret@h:5000/api")
        except ConnectionError as cause:
            raise RuntimeError("API request to http://u:s3cret@h:5000/api failed\nsecond line") from cause
    except RuntimeError as exc:
        described, logged = describe_exception(exc), redacted_traceback(exc)
    assert described == "RuntimeError: API request to http://h:5000/api failed"
    assert "ConnectionError: refused by http://h:5000/api" in logged and "Traceback" in logged
    assert SECRET not in described + logged


def test_redact_text_finds_every_url_in_a_message():
    message = "no experiment at http://u:s3cret@h:5000 (tried https://h/d.csv?token=s3cret, then sqlite:///x.db)"
    assert redact_text(message) == "no experiment at http://h:5000 (tried https://h/d.csv?token=***, then sqlite:///x.db)"


def test_config_shows_source_and_tracking_locations_without_credentials(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://analyst:s3cret@127.0.0.1:5000")
    config = load_config()
    assert config.tracking_uri == "http://analyst:s3cret@127.0.0.1:5000"  # what connects
    assert config.tracking_uri_redacted == "http://127.0.0.1:5000"  # what summary.json and the CLI show
    source = make_source(url="https://u:s3cret@host/data.csv?token=s3cret")
    assert source.location == "https://host/data.csv?token=***"
    assert source.url.endswith("token=s3cret")  # fetching still uses the real URL


def test_a_pulled_url_leaves_no_secret_in_artifacts_or_the_report(tmp_path):
    body = tidy_csv(yearly_rows("hunan.yueyang", "co2_emissions", "MtCO2", 30.0)).encode()
    route = Route(body, etag='"v1"')
    with serve({f"/data.csv?token={SECRET}": route}) as base:  # only the real URL is answered
        source = make_source(name="remote", url=f"{base}/data.csv?token={SECRET}")
        catalog = Catalog(tmp_path / "artifacts")
        catalog.raw_dir.mkdir(parents=True)  # an HTTP cache from before redaction, keyed by the full URL
        (catalog.raw_dir / "http-cache.json").write_text(json.dumps({f"{base}/old.csv?token={SECRET}": {}}))
        pulled = pull_all([source], REGISTRY, catalog)
        again = pull_all([source], REGISTRY, catalog)  # the redacted key still finds the cache entry
    assert route.full_responses == 1 and route.not_modified == 1 and again.sources[0].fetched == "not-modified"
    assert SECRET not in json.dumps(pulled.as_dict())
    for path in catalog.raw_dir.iterdir():
        if path.suffix in (".json", ".jsonl"):
            assert SECRET not in path.read_text(encoding="utf-8"), path.name
    assert f"{base}/data.csv?token=***" in (catalog.raw_dir / "http-cache.json").read_text(encoding="utf-8")


def test_a_failing_url_source_names_it_without_the_secret(tmp_path):
    with serve({}) as base:
        source = make_source(name="remote", url=f"http://u:{SECRET}@{base.removeprefix('http://')}/gone.csv?key={SECRET}")
        with pytest.raises(SourceError) as err:
            pull_all([source], REGISTRY, Catalog(tmp_path / "artifacts"))
    assert "HTTP 404" in str(err.value) and "/gone.csv?key=***" in str(err.value) and SECRET not in str(err.value)


def test_cli_errors_print_urls_without_credentials(tmp_path, capsys):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw.update(regions=str(PROJECT_ROOT / "configs" / "regions.yaml"), artifacts_dir=str(tmp_path / "art"),
               sources=[{"name": "x", "kind": "tidy", "url": f"ftp://u:{SECRET}@host/x.csv?token={SECRET}"}])
    raw.pop("scenarios", None)
    path = tmp_path / "peakwatch.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert cli.main(["validate", "--config", str(path)]) == cli.EXIT_CONFIG
    err = capsys.readouterr().err
    assert "url must start with http:// or https://" in err and "ftp://host/x.csv" in err
    assert SECRET not in err


def test_cli_paragraph_redacts_any_url_it_prints():
    assert cli.paragraph("no experiment at\n  http://u:s3cret@h:5000.") == "no experiment at http://h:5000."


def failing_call():
    """An error as MLflow raises it: its message, and its cause's, quote the URL it called."""
    try:
        raise ConnectionError(f"refused: http://u:{SECRET}@h:5000/api")
    except ConnectionError as cause:
        raise RuntimeError(f"API request to http://u:{SECRET}@h:5000/api failed") from cause


@pytest.fixture
def captured(monkeypatch):
    """Every record a library logger emits, formatted (message and traceback) as a handler writes it."""
    monkeypatch.setattr(logging, "_logRecordFactory", logging.getLogRecordFactory())  # undone after the test
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    library = logging.getLogger("tests.some_library")
    library.addHandler(handler)
    library.propagate, library.level = False, logging.INFO
    yield stream
    library.removeHandler(handler)


def test_every_log_record_is_redacted_once_installed(captured):
    """A library's own log of a failure (MLflow's, httpx's, Prefect's engine
    logging a flow's exception to its API table) quoted the tracking password."""
    redact.install()
    library = logging.getLogger("tests.some_library")
    library.warning("retrying %s", f"http://u:{SECRET}@h:5000/api")
    try:
        failing_call()
    except RuntimeError:
        library.exception("flow run failed")
    library.info("a %s message with nothing to hide", "plain")
    text = captured.getvalue()
    assert SECRET not in text
    assert "retrying http://h:5000/api" in text and "Traceback" in text and "ConnectionError: refused: http://h:5000/api" in text
    assert "a plain message with nothing to hide" in text


def test_warnings_are_printed_without_the_password(monkeypatch):
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # undone after the test
    redact.install()
    printed = warnings.formatwarning(f"cannot reach http://u:{SECRET}@h", UserWarning, "x.py", 1)  # what showwarning writes
    assert "cannot reach http://h" in printed and SECRET not in printed


def test_an_exception_leaving_a_flow_or_task_is_scrubbed_with_its_causes():
    """What Prefect makes a state message of (``type: str(exc)``), and what a traceback shows."""
    with pytest.raises(RuntimeError) as caught:
        with redact.redacted_errors():
            failing_call()
    shown = f"{caught.value} {caught.value!r} {caught.value.__cause__}" + "".join(traceback.format_exception(caught.value))
    assert SECRET not in shown and "http://h:5000/api" in shown


def test_an_mlflow_error_is_scrubbed_message_and_all():
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as caught:
        with redact.redacted_errors():
            raise MlflowException(f"API request to http://u:{SECRET}@h:5000/api failed")
    assert SECRET not in str(caught.value) + caught.value.message
