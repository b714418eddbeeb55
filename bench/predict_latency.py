"""Server-side latency of one canvas prediction: preprocessing, the model call, and both.

Draws MNIST test digits as 280 × 280 canvases (as bench/canvas_accuracy.py does), warms the
model up, then times ``canvas_to_mnist`` and ``predict_digit`` for each and prints p50/p95 in
milliseconds (nearest-rank percentiles, ``bench.support.stats``). The budget is 30 ms at the
95th percentile for the total.

    python -m bench.predict_latency [--model lenet] [--repeats 200]
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.canvas_accuracy import add_model_arguments, build_set, load_shipped_model
from bench.support.stats import percentile
from cnnviz.inference import activation_maps, predict_digit
from cnnviz.preprocess import canvas_to_mnist

BUDGET_MS = 30.0
WARM_UP = 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_arguments(parser)
    parser.add_argument("--repeats", type=int, default=200)
    arguments = parser.parse_args()
    status = load_shipped_model(arguments)
    if not status.ok:
        print(status.error)
        return 2
    canvases, *_ = build_set(arguments.repeats, seed=1)
    for canvas in canvases[:WARM_UP]:  # traces the forward pass and builds the sub-model
        digit = canvas_to_mnist(canvas)
        predict_digit(status.model, digit)
        activation_maps(status.model, digit)

    timings = {"preprocess": [], "model call": [], "total": [], "activation maps": []}
    for canvas in canvases:
        started = time.perf_counter()
        digit = canvas_to_mnist(canvas)
        preprocessed = time.perf_counter()
        predict_digit(status.model, digit)
        predicted = time.perf_counter()
        activation_maps(status.model, digit)
        mapped = time.perf_counter()
        timings["preprocess"].append(preprocessed - started)
        timings["model call"].append(predicted - preprocessed)
        timings["total"].append(predicted - started)
        timings["activation maps"].append(mapped - predicted)

    print(f"{status.label}: {len(canvases)} canvases of 280 × 280, after {WARM_UP} warm-up calls")
    print(f"{'':18s}{'p50 ms':>9s}{'p95 ms':>9s}")
    for name, values in timings.items():
        milliseconds = [value * 1000 for value in values]
        p50, p95 = percentile(milliseconds, 0.50), percentile(milliseconds, 0.95)
        print(f"{name:18s}{p50:9.1f}{p95:9.1f}")
    p95_total = percentile([value * 1000 for value in timings["total"]], 0.95)
    verdict = "PASS" if p95_total <= BUDGET_MS else "FAIL"
    print(f"{verdict}: total p95 {p95_total:.1f} ms (budget {BUDGET_MS:.0f} ms)")
    return 0 if p95_total <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
