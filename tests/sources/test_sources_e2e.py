"""End to end through the real flow (Prefect ephemeral server, Dask LocalCluster,
SQLite MLflow, GX): a tidy CSV, a wide Excel sheet with Chinese headers, a GBK
CSV and a URL source in one run; a rerun from the snapshot sha256s reproduces
the projections; a bad source afterwards leaves every artifact untouched."""

import json
from pathlib import Path

import mlflow
import pytest

from peakwatch import cli
from peakwatch.config import PROJECT_ROOT
from tests.sources._sources_helpers import Route, fingerprint, serve, tidy_csv, write_xlsx, yearly_rows

pytestmark = pytest.mark.integration
YEARS = range(2004, 2020)
CEADS = PROJECT_ROOT.parent / "shared" / "data" / "ceads-cities" / (
    "The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019.xlsx"
)
PROJECTION = ("peak_year_median", "peak_year_p10", "peak_year_p90", "p_peak_by_target", "peak_value", "model", "status")


def write_inputs(folder: Path) -> bytes:
    tidy = yearly_rows("湖南岳阳", "co2_emissions", "万吨CO2", 2500.0, YEARS) + yearly_rows(
        "Yueyang", "energy_consumption", "万吨标准煤", 1100.0, YEARS, growth=1.02
    )
    (folder / "tidy.csv").write_text(tidy_csv(tidy), encoding="utf-8")
    header = ["地区", *(f"{y}年" for y in YEARS)]
    write_xlsx(folder / "yearbook.xlsx", {"说明": [["单位：万吨标准煤"]], "能源消费总量": [
        header, ["湖南株洲", *(1500 * 1.01 ** i if i != 3 else None for i in range(len(YEARS)))]]})
    gbk = "地区,年份,二氧化碳排放\n" + "".join(f"耒阳市,{y},{400 * 1.04 ** i:.2f}\n" for i, y in enumerate(YEARS))
    (folder / "leiyang-gbk.csv").write_bytes(gbk.encode("gbk"))
    return tidy_csv(yearly_rows("江永县", "co2_emissions", "MtCO2", 1.2, YEARS)).encode("utf-8")


def write_config(folder: Path, url: str) -> Path:
    config = f"""
run_series: e2e-sources
artifacts_dir: {folder / 'artifacts'}
regions: {PROJECT_ROOT / 'configs' / 'regions.yaml'}
sources:
  - {{name: tidy, kind: tidy, path: tidy.csv, precedence: 0}}
  - name: yearbook
    kind: wide_years
    path: yearbook.xlsx
    sheet: 能源消费总量
    region_column: 地区
    indicator: energy_consumption
    unit: 万吨标准煤
    precedence: 1
  - name: gbk
    kind: tidy
    path: leiyang-gbk.csv
    encoding: auto
    columns: {{region_id: 地区, year: 年份, value: 二氧化碳排放}}
    indicator: co2_emissions
    unit: 万吨CO2
    precedence: 2
  - {{name: web, kind: tidy, url: '{url}', precedence: 3, retries: 2, retry_backoff_seconds: 0.2, timeout_seconds: 5}}
forecast: {{n_paths: 200}}
dask: {{n_workers: 1, partitions_per_worker: 2}}
"""
    path = folder / "e2e.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def summaries(artifacts: Path) -> list[dict]:
    found = [json.loads(p.read_text()) for p in (artifacts / "runs").glob("*/summary.json")]
    return sorted(found, key=lambda s: s["run_date"])


def projections(summary: dict) -> dict:
    return {(r["region_id"], r["indicator"]): tuple(r.get(k) for k in PROJECTION) for r in summary["series"]}


def test_four_source_kinds_run_end_to_end_and_rerun_from_snapshots(tmp_path):
    web = write_inputs(tmp_path)
    route = Route(web, etag='"w1"', fail_first=1)  # the first request fails: Prefect retries it
    artifacts = tmp_path / "artifacts"
    with serve({"/jiangyong.csv": route}) as base:
        config = write_config(tmp_path, f"{base}/jiangyong.csv")
        assert cli.main(["run", "--config", str(config)]) == cli.EXIT_OK
    assert route.requests == 2 and route.full_responses == 1

    [first] = summaries(artifacts)
    forecast = {key for key, p in projections(first).items() if p[0] is not None}
    assert {
        ("hunan.yueyang", "co2_emissions"),  # tidy CSV, 万吨CO2
        ("hunan.yueyang", "energy_consumption"),
        ("hunan.zhuzhou", "energy_consumption"),  # wide Excel, Chinese headers, a gap
        ("hunan.hengyang.leiyang", "co2_emissions"),  # GBK CSV
        ("hunan.yongzhou.jiangyong", "co2_emissions"),  # URL
    } <= forecast
    zhuzhou = next(r for r in first["series"] if r["region_id"] == "hunan.zhuzhou")
    assert zhuzhou["unit"] == "Mtce" and zhuzhou["filled_years"] == [2007]
    shas = [d["sha256"] for d in first["data"]]
    assert [d["fetched"] for d in first["data"]] == ["file", "file", "file", "downloaded"]
    assert all((artifacts / "raw").glob(f"{sha}*") for sha in shas)
    client = mlflow.MlflowClient(first["tracking_uri"])
    assert client.get_run(first["run_id"]).data.tags["data_sha256"] == ",".join(shas)

    # The inputs change (and the URL is gone); the rerun uses exactly the stored bytes.
    # A run killed mid-pull had left its scratch copies: the next run removes them.
    killed = artifacts / ".pull-killed"
    killed.mkdir()
    (killed / "0").write_bytes(web)
    (tmp_path / "tidy.csv").write_text(tidy_csv(yearly_rows("岳阳", "co2_emissions", "MtCO2", 99.0, YEARS)))
    assert cli.main(["run", "--config", str(config), "--snapshot", ",".join(shas[:2]), "--snapshot", shas[2],
                     "--snapshot", shas[3]]) == cli.EXIT_OK
    second = summaries(artifacts)[1]
    assert [d["sha256"] for d in second["data"]] == shas
    assert [d["fetched"] for d in second["data"]] == ["snapshot"] * 4
    assert projections(second) == projections(first)
    assert not list(artifacts.glob(".pull-*"))

    # A bad source afterwards: a specific error, and nothing under artifacts/ changes.
    (tmp_path / "leiyang-gbk.csv").write_bytes((tmp_path / "leiyang-gbk.csv").read_bytes()[:-9])
    before = fingerprint(artifacts)
    experiment = client.get_experiment_by_name("e2e-sources").experiment_id
    n_runs = len(client.search_runs([experiment]))
    (tmp_path / "tidy.csv").write_text(tidy_csv(yearly_rows("岳阳", "co2_emissions", "MtCO2", 30.0, YEARS)))
    assert cli.main(["run", "--config", str(config)]) == cli.EXIT_ERROR
    assert fingerprint(artifacts) == before
    assert len(client.search_runs([experiment])) == n_runs


@pytest.mark.slow
def test_ceads_cities_every_city_accounted_for(tmp_path):
    config = PROJECT_ROOT / "configs" / "ceads-cities.yaml"
    assert CEADS.exists(), f"the CEADs file is expected at {CEADS} (../shared, not copied into the repo)"
    assert cli.main(["run", "--config", str(config), "--artifacts-dir", str(tmp_path / "art")]) == cli.EXIT_OK
    [summary] = summaries(tmp_path / "art")
    forecast = {r["region_id"] for r in summary["series"] if r["error"] is None}
    reported = {r["region_id"]: r["error"] for r in summary["series"] if r["error"]}
    quarantined = {k: ", ".join(v) for k, v in summary["validation"]["quarantined"].items()}
    no_data = set(summary["pull"]["sources"][0]["no_data"])
    reasons = {**reported, **quarantined}
    assert len(forecast | set(reasons) | no_data) == 290  # every city accounted for
    assert all(reasons.values())  # each one not forecast says why
    assert not summary["pull"]["sources"][0]["unmatched"]
    assert len(summary["pull"]["sources"][0]["derived"]) == 286
    # the registry's Hunan cities are matched by name (湖南岳阳 -> hunan.yueyang), not derived
    assert {"hunan.yueyang", "hunan.zhuzhou", "hunan.hengyang", "hunan.yongzhou"} <= forecast | set(reasons)
    assert {r["indicator"] for r in summary["series"]} == {"co2_emissions"}
