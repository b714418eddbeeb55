"""What one move of a Pooling & padding control costs on a 512 × 512 image, as a browser sees it.

Starts the app, opens the pooling page through Streamlit's websocket protocol (the messages a
browser tab sends, see bench/support/streamlit_client.py), picks the 512 × 512 camera-man
photograph and moves one control at a time, timing each move from the request to the server's
``script_finished``. A control inside an ``st.fragment`` reruns only its fragment; any other
control reruns the whole page (pooling the photograph three times, the translation section, every
figure). ``python -m bench.page_rerun --page pooling`` times the whole page's script; this times
the moves a student makes.

Usage: ``python -m bench.pool_step [--moves 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

from bench.support.harness import start_app_server
from bench.support.stats import percentile
from bench.support.streamlit_client import StreamlitClient

SAMPLE = "Photo: camera man"  # 512 × 512
# (label of the control, the values it cycles through): the step-through's Step slider (7 × 7
# grid, 2 × 2 windows at stride 2: 9 steps), the padding section's kernel and border radios, and
# for comparison the Pool size slider, which must rerun the whole page.
MOVES = [
    ("Step", [2, 3, 4, 5, 6, 7, 8, 9, 1]),
    ("Show the zero border of", ["full", "same"]),
    ("Convolution kernel", ["Box blur 5×5", "Box blur 3×3"]),
    ("Pool size (window k × k)", [3, 2]),
]


async def time_moves(url: str, moves: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    async with StreamlitClient(url, timeout_s=120) as client:
        await client.open_page("pooling")
        await client.set_value("Sample image", SAMPLE)
        for label, values in MOVES:
            await client.set_value(label, values[-1])  # warm-up: caches, first figure
            seconds = timings.setdefault(label, [])
            for index in range(moves):
                result = await client.set_value(label, values[index % len(values)])
                if result is None or not result.ok:
                    raise SystemExit(f"moving {label!r} failed: {result}")
                seconds.append(result.seconds * 1000)
        if client.errors:
            raise SystemExit(f"the page reported errors: {client.errors}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30, help="timed moves per control")
    arguments = parser.parse_args()
    server = start_app_server()
    try:
        timings = asyncio.run(time_moves(server.url, arguments.moves))
    finally:
        server.stop()
    for label, values in timings.items():
        print(
            f"{label:26s} median {statistics.median(values):6.1f} ms   "
            f"p95 {percentile(values, 0.95):6.1f} ms   ({len(values)} moves, 512×512 '{SAMPLE}')"
        )


if __name__ == "__main__":
    main()
