"""The Pooling & padding page in Chromium: move a control, see the output shape follow.

The expected sizes are recomputed here from the input size shown on the page with the valid
formula ⌊(n − k) / s⌋ + 1, independently of cnnviz.ops.
"""

from __future__ import annotations

import re

import pytest

from bench.support.harness import (
    ARTIFACTS_DIR,
    exception_texts,
    open_app_page,
    playwright_expect,
    rerun_after,
)

pytestmark = pytest.mark.e2e
expect = playwright_expect()

# "Rows: ⌊(451 − 2) / 2⌋ + 1 = 225": input size, window, stride, output size.
VALID_FORMULA = re.compile(r"⌊\((\d+) − (\d+)\) / (\d+)⌋ \+ 1 = (-?\d+)")


def formula_numbers(page, axis: str) -> tuple[int, int, int, int]:
    """(n, k, s, output) from the page's "Rows:" or "Columns:" formula line."""
    line = page.locator("[data-testid='stMarkdownContainer'] p", has_text=f"{axis}:").first
    match = VALID_FORMULA.search(line.inner_text())
    assert match is not None, f"no valid-padding formula in {line.inner_text()!r}"
    n, kernel, stride, output = (int(group) for group in match.groups())
    return n, kernel, stride, output


def press_slider(page, label: str, key: str) -> float:
    """Move the slider labelled `label` one step with the keyboard; return the rerun's seconds."""
    thumb = page.get_by_role("slider", name=label)

    def press() -> None:
        thumb.focus()
        thumb.press(key)

    return rerun_after(page, press)


def test_changing_stride_and_pool_size_changes_the_output_shape(page, app_url, console_errors):
    open_app_page(page, app_url, "/pooling")
    rows, kernel, stride, out_rows = formula_numbers(page, "Rows")
    cols, *_, out_cols = formula_numbers(page, "Columns")
    # The page's defaults: a 2 × 2 window with stride 2, valid padding.
    assert (kernel, stride) == (2, 2)
    assert (out_rows, out_cols) == ((rows - 2) // 2 + 1, (cols - 2) // 2 + 1)

    press_slider(page, "Stride s", "ArrowRight")

    rows_line = page.locator("[data-testid='stMarkdownContainer'] p", has_text="Rows:").first
    expect(rows_line).to_contain_text(f"/ 3⌋ + 1 = {(rows - 2) // 3 + 1}")
    assert formula_numbers(page, "Columns") == (cols, 2, 3, (cols - 2) // 3 + 1)
    expect(page.get_by_text("Max pooling, 2×2, stride 3, valid").first).to_be_visible()

    press_slider(page, "Pool size (window k × k)", "ArrowRight")

    expect(rows_line).to_contain_text(f"⌊({rows} − 3) / 3⌋ + 1 = {(rows - 3) // 3 + 1}")
    assert formula_numbers(page, "Columns") == (cols, 3, 3, (cols - 3) // 3 + 1)
    assert exception_texts(page) == []
    assert console_errors == []
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS_DIR / "pooling-stride3-pool3.png"))
