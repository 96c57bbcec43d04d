"""Input values are escaped in every Data Docs page: a region named
``<script>alert(1)</script>`` (a wide_years source with
``regions.unmatched: derive``) was written raw into the validation page, which
the console links and MLflow stores."""

import html

import polars as pl
import yaml

from peakwatch import cli
from peakwatch.config import DEFAULT_CONFIG, PROJECT_ROOT
from peakwatch import contract as c
from validation.gate import validate_panel

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(2)>'


def raw_markup(docs) -> list[str]:
    """Pages holding a payload as markup rather than as escaped text."""
    return [str(p) for p in docs.rglob("*.html") if "<script>alert(" in (t := p.read_text()) or "<img src=x" in t]


def shown_as_text(docs, payload: str) -> bool:
    """Whether a page shows ``payload`` (escaped): the values did reach the pages."""
    return any(html.escape(payload, quote=False) in p.read_text() for p in docs.rglob("*.html"))


def test_a_derived_region_name_is_text_in_the_validation_pages(tmp_path, capsys):
    yearbook = tmp_path / "yearbook.csv"
    years = list(range(2005, 2021))
    rows = [["地区", *map(str, years)], [SCRIPT, *("1.5" for _ in years)], ["株洲市", *("20" for _ in years)]]
    yearbook.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw.pop("scenarios")
    raw.update(
        regions=str(PROJECT_ROOT / "configs" / "regions.yaml"),
        artifacts_dir=str(tmp_path / "artifacts"),
        sources=[{"name": "yearbook", "kind": "wide_years", "path": str(yearbook), "region_column": "地区",
                  "indicator": "co2_emissions", "unit": "MtCO2", "regions": {"unmatched": "derive"}}],
    )
    config = tmp_path / "peakwatch.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    docs = tmp_path / "docs"

    cli.main(["validate", "--config", str(config), "--docs-dir", str(docs)])
    assert f"unlisted.{SCRIPT}" in capsys.readouterr().out  # it reached the gate (and was quarantined)
    assert shown_as_text(docs, SCRIPT)
    assert raw_markup(docs) == []


def test_hostile_text_in_every_column_is_escaped(tmp_path):
    """Each text column of the contract, in rows every suite blames, so that
    each value lands in some page (unexpected values, offending rows)."""
    rows = []
    for y in range(2005, 2021):
        rows.append((SCRIPT, y, c.CO2, 0.0, "MtCO2", IMAGE))  # rows.region_id_safe, rows.positive
        rows.append(("hunan.zhuzhou", y, SCRIPT, 1.0, IMAGE, SCRIPT))  # rows.known_indicator, rows.indicator_unit
        rows.append((IMAGE, y, c.ENERGY, 1.0 if y % 2 else 100.0, "Mtce", IMAGE))  # jumps, intensity
    panel = pl.DataFrame(rows, schema=c.COLUMNS, orient="row")
    docs = tmp_path / "docs"
    report = validate_panel(panel, docs_dir=docs)
    assert {SCRIPT, IMAGE, "hunan.zhuzhou"} <= set(report.quarantined) | set(report.warned)
    assert shown_as_text(docs, SCRIPT) and shown_as_text(docs, IMAGE.removeprefix('"'))  # its quote: &quot; or &#x27;
    assert raw_markup(docs) == []
