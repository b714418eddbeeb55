"""How long a rerun of the Pooling & padding page takes on a 512 × 512 image (target ≤ 150 ms).

Runs the page headless with Streamlit's AppTest on the 512 × 512 camera-man photograph, once
per setting below, and prints the medians
and 95th percentiles of the timings of `bench.support.page_rerun` (the script's wall and CPU
time, the whole AppTest rerun).

Usage: ``python -m bench.pool_rerun [--runs 30]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.support.page_rerun import print_timings, time_reruns, timed_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PAGE = PROJECT_ROOT / "pages" / "pooling.py"
SAMPLE = "Photo: camera man"  # 512 × 512
TARGET_MS = 150.0
# (label, widget key → value): the default view, then the heaviest common setting.
SETTINGS = [
    ("max 2×2, stride 2, valid", {}),
    ("avg 3×3, stride 1, same", {"mode": "avg", "pool_size": 3, "stride": 1, "padding": "same"}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed reruns per setting")
    arguments = parser.parse_args()
    worst_p95 = 0.0
    for label, widgets in SETTINGS:
        app = timed_app(PAGE)
        app.run()
        app.selectbox(key="sample").set_value(SAMPLE)
        for key, value in widgets.items():
            kind = app.radio if key in ("mode", "padding") else app.slider
            kind(key=key).set_value(value)
        app.run()
        timings = time_reruns(app, arguments.runs)
        worst_p95 = max(worst_p95, print_timings(label, timings, f"512×512 '{SAMPLE}'"))
    verdict = "meets" if worst_p95 <= TARGET_MS else "MISSES"
    print(f"worst script p95 {worst_p95:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
