"""Why the training engine compiles without XLA: one training step with and without ``jit_compile``.

Builds each seed model as the engine does (``cnnviz.models.build_model``, batch 32, the engine's
``steps_per_execution``), trains it on random MNIST-shaped batches with ``jit_compile`` off and
on, alternating the two within one process, and prints the median time per step of each round
after a warm-up epoch (which absorbs tracing and XLA's compilation). Random pixels cost the same
arithmetic as digits, so no MNIST is needed.

    python -m bench.xla_step [--model lenet|alexnet|both] [--steps 192] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from cnnviz.models import TrainingConfig, build_model, input_size

BATCH_SIZE = 32
# The engine's steps per call (cnnviz.training): LeNet 16, AlexNet 4.
STEPS_PER_EXECUTION = {"lenet": 16, "alexnet": 4}


def seconds_per_step(model_name: str, jit_compile: bool, steps: int) -> float:
    config = TrainingConfig(model=model_name)
    model = build_model(
        config, jit_compile=jit_compile, steps_per_execution=STEPS_PER_EXECUTION[model_name]
    )
    height, width = input_size(model)
    rng = np.random.default_rng(0)
    images = rng.random((steps * BATCH_SIZE, height, width, 1), dtype=np.float32)
    labels = rng.integers(0, 10, steps * BATCH_SIZE).astype(np.int32)
    model.fit(images, labels, batch_size=BATCH_SIZE, epochs=1, verbose=0)  # trace and compile
    started = time.perf_counter()
    model.fit(images, labels, batch_size=BATCH_SIZE, epochs=1, verbose=0)
    return (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["lenet", "alexnet", "both"], default="both")
    parser.add_argument("--steps", type=int, default=192, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    names = ["lenet", "alexnet"] if arguments.model == "both" else [arguments.model]
    for name in names:
        timings: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(arguments.rounds):
            for jit_compile in (False, True):
                timings[jit_compile].append(seconds_per_step(name, jit_compile, arguments.steps))
        plain, xla = (statistics.median(timings[flag]) * 1000 for flag in (False, True))
        print(
            f"{name}: median step without XLA {plain:.2f} ms, with XLA {xla:.2f} ms "
            f"({xla / plain:.2f}× the time; {arguments.rounds} rounds of {arguments.steps} steps)"
        )


if __name__ == "__main__":
    main()
