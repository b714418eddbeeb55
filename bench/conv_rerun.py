"""How long a rerun of the Convolution page takes on a 512 × 512 image (target ≤ 150 ms).

Runs the page headless with Streamlit's AppTest on the 512 × 512 camera-man photograph (the
page's default image), once per setting below, and prints the medians
and 95th percentiles of the timings of `bench.support.page_rerun` (the script's wall and CPU
time, the whole AppTest rerun).

Usage: ``python -m bench.conv_rerun [--runs 30]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.support.page_rerun import print_timings, time_reruns, timed_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PAGE = PROJECT_ROOT / "pages" / "convolution.py"
SAMPLE = "Photo: camera man"  # 512 × 512
TARGET_MS = 150.0
# (label, widget key → value): the default view, then the heaviest settings the controls allow.
SETTINGS = [
    ("Sobel x 3×3, valid", {}),
    (
        "box blur 7×7, same, dilation 2",
        {"conv_preset": "Box blur", "conv_side": 7, "conv_padding": "same", "conv_dilation": 2},
    ),
    (
        "box blur 7×7, full, stride 1",
        {"conv_preset": "Box blur", "conv_side": 7, "conv_padding": "full"},
    ),
]


def _set(app, key: str, value) -> None:
    """Set the widget with ``key`` to ``value``, whatever its kind."""
    for kind in (app.selectbox, app.select_slider, app.slider, app.radio):
        try:
            widget = kind(key=key)
        except KeyError:
            continue
        widget.set_value(value)
        app.run()
        return
    raise SystemExit(f"No widget with key {key!r} on the page.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed reruns per setting")
    arguments = parser.parse_args()
    worst_p95 = 0.0
    for label, widgets in SETTINGS:
        app = timed_app(PAGE)
        app.run()
        _set(app, "conv_sample", SAMPLE)
        for key, value in widgets.items():
            _set(app, key, value)
        timings = time_reruns(app, arguments.runs)
        worst_p95 = max(worst_p95, print_timings(label, timings, f"512×512 '{SAMPLE}'"))
    verdict = "meets" if worst_p95 <= TARGET_MS else "MISSES"
    print(f"worst script p95 {worst_p95:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
