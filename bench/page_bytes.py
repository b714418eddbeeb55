"""How many bytes each page's rerun sends to the browser (target ≤ 300 KB per Pooling rerun and
per stroke on the Draw a digit page).

Starts the app on loopback (the e2e harness's launcher) and drives one session through Streamlit's
own websocket protocol (``bench/support/streamlit_client.py``), as a student's browser tab would:
open every page, move every control of the Pooling & padding page once, draw two strokes. For
each run it counts the bytes of the ForwardMsgs that came down the websocket until the run's
``script_finished``: what the tab really receives, after Streamlit's message cache (an element the
tab already holds from the last runs comes as a small reference) and after fragments (a control
inside an ``st.fragment`` reruns only that fragment). The "figures" column is the part of it that
carried Plotly charts.

Not counted: HTTP requests of the page itself (the frontend's JavaScript, loaded once) and of media
files; cnnviz draws its images inside the Plotly figures, so they are counted here.

Usage: ``python -m bench.page_bytes`` (exits 1 when a Pooling run or a stroke is over budget).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass

from bench.support.harness import running_app
from bench.support.streamlit_client import RunResult, StreamlitClient, canvas_drawing

BUDGET_BYTES = 300_000  # per Pooling rerun and per stroke (issue 17)
CANVAS_COMPONENT = "streamlit_drawable_canvas"
# What a student does on the Pooling page, in order: (widget label, new value). Each moves one
# control away from where the previous step left it.
POOLING_ACTIONS = [
    ("Pooling", "Min"),
    ("Pool size (window k × k)", 3),
    ("Stride s", 3),
    ("Padding", "same"),
    ("Step", 2),
    ("Grid", "your image, shrunk to ≤ 8 × 8"),
    ("Convolution kernel", None),  # None: the next option
    ("Show the zero border of", "full"),
    ("Shift the input by (pixels)", 2),
    ("Direction", "down"),
    ("Sample image", "Photo: camera man"),  # a new 512 × 512 image: every chart changes
]


@dataclass
class Measured:
    page: str
    action: str
    total: int
    figures: int
    seconds: float
    status: str

    @property
    def budgeted(self) -> bool:
        return self.page == "Pooling & padding" or self.action.startswith("stroke")


async def measure(
    client: StreamlitClient, page: str, action: str, request: Awaitable[RunResult | None]
) -> Measured:
    before_total = client.bytes_received
    before_figures = client.bytes_by_element.get("plotly_chart", 0)
    result = await request
    if result is None:
        raise RuntimeError(f"{action}: the control is in a form and did not rerun")
    return Measured(
        page=page,
        action=action,
        total=client.bytes_received - before_total,
        figures=client.bytes_by_element.get("plotly_chart", 0) - before_figures,
        seconds=result.seconds,
        status=result.status,
    )


def next_option(client: StreamlitClient, label: str) -> str:
    """The option after the chosen one in the radio or selectbox labelled `label`."""
    element = client.widget(label)
    options = list(getattr(element, element.WhichOneof("type")).options)
    return options[(options.index(client.choice(label)) + 1) % len(options)]


async def drive(base_url: str, timeout_s: float) -> list[Measured]:
    client = StreamlitClient(base_url, name="page-bytes", timeout_s=timeout_s)
    try:
        measured = [await measure(client, "Home", "first load", client.connect())]
        page = "Pooling & padding"
        measured.append(await measure(client, page, "open", client.open_page(page)))
        for label, value in POOLING_ACTIONS:
            value = next_option(client, label) if value is None else value
            action = f"{label} → {value}"
            measured.append(await measure(client, page, action, client.set_value(label, value)))
        for page in ("Live training", "Draw a digit"):
            measured.append(await measure(client, page, "open", client.open_page(page)))
        for index, x_fraction in enumerate((0.4, 0.6), start=1):
            stroke = client.set_component_state(
                CANVAS_COMPONENT, "drawing", canvas_drawing(x_fraction=x_fraction)
            )
            measured.append(await measure(client, "Draw a digit", f"stroke {index}", stroke))
    finally:
        await client.close()
    if client.errors:
        raise RuntimeError(f"the session saw errors: {client.errors}")
    return measured


def print_table(measured: list[Measured]) -> None:
    print(f"{'page':<18} {'action':<46} {'KB':>8} {'figures KB':>11} {'s':>6}  status")
    for row in measured:
        flag = "  OVER BUDGET" if row.budgeted and row.total > BUDGET_BYTES else ""
        print(
            f"{row.page:<18} {row.action:<46} {row.total / 1000:>8.1f} "
            f"{row.figures / 1000:>11.1f} {row.seconds:>6.2f}  {row.status}{flag}"
        )
    budgeted = [row.total for row in measured if row.budgeted]
    print(
        f"largest Pooling run or stroke: {max(budgeted) / 1000:.1f} KB "
        f"(budget {BUDGET_BYTES / 1000:.0f} KB)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run at most")
    arguments = parser.parse_args(argv)
    with running_app() as server:
        measured = asyncio.run(drive(server.url, arguments.timeout))
    print_table(measured)
    over = [row for row in measured if row.budgeted and row.total > BUDGET_BYTES]
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
