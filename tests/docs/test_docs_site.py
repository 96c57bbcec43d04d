"""The docs site: every config key is documented (its model field has a
comment, which the generated reference prints), and `mkdocs build --strict`
passes (no broken link, no page left out of the nav)."""

import subprocess
import sys
from pathlib import Path

import pytest

from peakwatch.config.reference import config_keys, undocumented_keys

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "hooks"))
import reference as docs_reference  # noqa: E402  (the mkdocs hook)


def test_every_config_key_is_documented():
    assert undocumented_keys() == [], "add a comment above these fields in peakwatch/config/"


def test_the_config_reference_lists_every_key_with_its_comment():
    page = docs_reference.config_page()
    keys = config_keys()
    assert len(keys) > 100
    for key in keys:
        assert f"| `{key.path}` |" in page and key.doc.replace("|", "\\|") in page
    assert "| `tracking.watch` |" in page and "`config_hash`" not in page


def test_the_reference_pages_name_every_command_exit_code_and_watched_metric():
    cli = docs_reference.cli_page()
    for command in ("run", "sync", "serve", "compare", "report", "validate", "evaluate", "bench"):
        assert f"## `peakwatch {command}`" in cli
    assert "| 4 | `EXIT_PENDING` |" in docs_reference.exit_codes_page()
    assert "| `series[].p_peak_by_target` |" in docs_reference.summary_page()
    assert "`yueyang.co2.peak_year`" in docs_reference.mlflow_page()


@pytest.mark.slow
def test_mkdocs_build_strict_passes(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site" / "reference" / "config" / "index.html").exists()
