"""What a figure costs the server: building it vs handing a built one to the browser.

Times, in CPU seconds of this process, each Pooling-page figure on the default photo and a few
Draw-page figures: building it with its cnnviz.charts builder, and what ``st.plotly_chart`` does
with a figure it is given (``to_dict`` and the JSON). The difference is what ``shared_figure``
(pages/glue/figure_cache.py) saves every session that asks for a figure already built for the
same arguments. Also times the translation measure (``shared_result``). No server, no Streamlit.

    python -m bench.figure_cost [--repeats 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.io as pio

from cnnviz import charts, images, ops, shift_accuracy, shifts
from cnnviz.charts import draw as draw_charts
from cnnviz.charts import network as network_charts
from cnnviz.charts import pooling as pooling_charts


def cpu_ms(work: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median CPU milliseconds of ``work()`` over ``repeats`` calls (after one warm-up)."""
    result = work()
    times = []
    for _ in range(repeats):
        started = time.process_time()
        result = work()
        times.append((time.process_time() - started) * 1000)
    return float(np.median(times)), result


def figures() -> dict[str, Callable[[], Any]]:
    """The figures timed, each as a builder call on the page's default inputs."""
    photo = images.load_sample(images.sample_names()[0])
    pooled = {mode: ops.pool2d(photo, 2, 2, "valid", mode) for mode in ops.POOL_MODES}
    rng = np.random.default_rng(0)
    curves = shift_accuracy.load_curves()
    return {
        "pooling: input photo": lambda: charts.heatmap(photo, "Input", zmin=0, zmax=1),
        "pooling: pooled photo": lambda: charts.heatmap(pooled["max"], "Max", zmin=0, zmax=1),
        "pooling: three modes": lambda: charts.image_row(pooled, zmin=0, zmax=1),
        "pooling: shifted-digit curves": lambda: pooling_charts.shift_accuracy_curves(
            {key: (curve.shifts, curve.accuracy) for key, curve in curves.items()}, title="t"
        ),
        "draw: probabilities": lambda: draw_charts.probability_bars(
            rng.dirichlet(np.ones(10)), title="p"
        ),
        "draw: 6 maps of 28 × 28": lambda: network_charts.feature_maps(
            rng.random((28, 28, 6), dtype=np.float32), "C1"
        ),
        "draw: 16 maps of 10 × 10": lambda: network_charts.feature_maps(
            rng.random((10, 10, 16), dtype=np.float32), "C3"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if not 1 <= args.repeats <= 100:
        parser.error("--repeats must be between 1 and 100")
    print(f"{'figure':<32}{'build ms':>10}{'send ms':>10}{'JSON KB':>10}")
    for label, build in figures().items():
        build_ms, figure = cpu_ms(build, args.repeats)
        send_ms, spec = cpu_ms(
            lambda figure=figure: (figure.to_dict(), pio.to_json(figure, validate=False))[1],
            args.repeats,
        )
        print(f"{label:<32}{build_ms:>10.1f}{send_ms:>10.1f}{len(spec) / 1000:>10.0f}")
    photo = images.load_sample(images.sample_names()[0])
    measure_ms, _ = cpu_ms(
        lambda: shifts.measure_translation(photo, (0, 1), 2, 2, "valid", "max"),
        args.repeats,
    )
    print(f"translation measure on the photo: {measure_ms:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
