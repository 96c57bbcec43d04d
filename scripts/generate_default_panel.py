"""Regenerate data/default_panel.csv, the embedded default (synthetic, not official statistics).

Usage: python scripts/generate_default_panel.py [--out data/default_panel.csv]
"""

import argparse
from pathlib import Path

from forecasting.synthetic import simulate_panel

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "default_panel.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    panel = simulate_panel()
    tmp = args.out.with_suffix(".tmp")
    panel.write_csv(tmp)
    tmp.replace(args.out)
    print(f"wrote {len(panel)} rows to {args.out}")


if __name__ == "__main__":
    main()
