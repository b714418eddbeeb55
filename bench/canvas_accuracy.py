"""How well the shipped LeNet-5 reads digits drawn on the canvas, through canvas_to_mnist.

No class of students is at hand, so the test set redraws MNIST test digits the way a canvas
shows them:

1. crop the digit to its ink, enlarge it (bilinear) so its longer side is 80–240 px, and make
   the stroke hard: threshold at half intensity;
2. vary the stroke width, in one of two styles (``--style``):
   - "outline" (the default): thicken the hard digit by dilation with a disk of radius up to 4 %
     of its size, or thin it by erosion of up to 2 % (a 200 px digit: +8 px to −4 px);
   - "pen" (harder): thin the shape to its one-pixel skeleton and redraw that with a round pen
     5 % to 16 % of the digit's size wide, as freehand drawing does;
3. put it anywhere on a 280 × 280 canvas, in one of four colour schemes: white on black, black
   on white, a coloured stroke on a coloured background, and a coloured stroke on a transparent
   background (alpha is the ink, as st_canvas returns it with no background colour).

Each canvas goes through ``canvas_to_mnist`` (and, for contrast, ``naive_resize``) and the model.
The digits, sizes, widths, places and schemes are drawn from a seeded generator: every run builds
the same set.

    python -m bench.canvas_accuracy [--count 2000] [--seed 0] [--style outline|pen]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.morphology import dilation, disk, erosion, skeletonize

from cnnviz import MODELS_DIR
from cnnviz.data import load_mnist, to_model_input
from cnnviz.inference import ModelStatus, load_registry
from cnnviz.models import input_size, shipped_files
from cnnviz.preprocess import canvas_to_mnist, naive_resize

CANVAS_SIZE = 280
DIGIT_SIZES = (80, 240)  # longer side of the redrawn digit, pixels
# Stroke change per style, as a fraction of the digit's longer side: "outline" erodes by up to
# 2 % or dilates by up to 4 % (a 200 px digit: −4 px to +8 px of radius); "pen" draws with a pen
# 5 % to 16 % of the digit's size wide (a thin pen to a fat marker).
STROKES = {"outline": (-0.02, 0.04), "pen": (0.05, 0.16)}
SCHEMES = ("white on black", "black on white", "coloured on colour", "alpha on transparent")
REQUIRED_ACCURACY = 0.98


def enlarge_hard(digit: np.ndarray, size: int) -> np.ndarray:
    """One MNIST digit (28, 28) uint8 cropped to its ink, enlarged (bilinear) so its longer side
    is ``size``, and made hard: bool, True where the enlarged intensity is at least half."""
    inked = digit > 0
    rows, columns = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    crop = digit[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1].astype(np.float32) / 255
    factor = size / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * factor)), max(1, round(crop.shape[1] * factor))
    enlarged = np.asarray(Image.fromarray(crop).resize((width, height), Image.Resampling.BILINEAR))
    return enlarged >= 0.5


def redraw(digit: np.ndarray, size: int, stroke: float, style: str) -> np.ndarray:
    """One MNIST digit as a hard drawing whose longer side is about ``size``: bool (h, w).

    ``style`` "outline": the enlarged hard digit, its strokes thickened (dilation) or thinned
    (erosion) by a disk of radius ``stroke`` × ``size`` (negative ``stroke`` thins).
    ``style`` "pen": the digit's one-pixel skeleton redrawn with a round pen ``stroke`` × ``size``
    wide, as freehand drawing on the canvas makes it.
    """
    shape = enlarge_hard(digit, size)
    radius = round(abs(stroke) * size if style == "outline" else stroke * size / 2)
    shape = np.pad(shape, radius + 1)  # room for the strokes to grow
    if style == "pen":
        shape = skeletonize(shape)
    footprint = disk(max(radius, 1), decomposition="sequence")
    if style == "outline" and stroke < 0:
        return erosion(shape, footprint).astype(bool)
    return dilation(shape, footprint).astype(bool) if radius else shape


def paint(shape: np.ndarray, scheme: str, top: int, left: int, rng: np.random.Generator):
    """The drawing ``shape`` placed at (top, left) on a 280 × 280 RGBA canvas in ``scheme``."""
    canvas = np.zeros((CANVAS_SIZE, CANVAS_SIZE, 4), dtype=np.uint8)
    mask = np.zeros((CANVAS_SIZE, CANVAS_SIZE), dtype=bool)
    height, width = shape.shape
    mask[top : top + height, left : left + width] = shape
    if scheme == "white on black":
        background, stroke = (0, 0, 0), (255, 255, 255)
    elif scheme == "black on white":
        background, stroke = (255, 255, 255), (0, 0, 0)
    elif scheme == "coloured on colour":
        # A dark saturated pen on a pale background, or the other way round.
        pale, dark = rng.integers(170, 256, 3), rng.integers(0, 90, 3)
        background, stroke = (pale, dark) if rng.random() < 0.5 else (dark, pale)
    else:
        canvas[mask, :3] = rng.integers(0, 256, 3)
        canvas[mask, 3] = 255
        return canvas
    canvas[..., :3] = background
    canvas[mask, :3] = stroke
    canvas[..., 3] = 255
    return canvas


def build_set(count: int, seed: int, style: str = "outline"):
    """``count`` canvases from MNIST's test set.

    Returns (canvases, labels, schemes, stroke changes, the original 28 × 28 digits).
    """
    mnist = load_mnist()
    rng = np.random.default_rng(seed)
    indices = rng.choice(len(mnist.x_test), size=count, replace=False)
    canvases, schemes, pens = [], [], []
    for number, index in enumerate(indices):
        size = int(rng.integers(DIGIT_SIZES[0], DIGIT_SIZES[1] + 1))
        stroke = float(rng.uniform(*STROKES[style]))
        shape = redraw(mnist.x_test[index], size, stroke, style)
        # Trim the shape to what fits (a fat pen on a 240 px digit can exceed 280 px).
        shape = shape[:CANVAS_SIZE, :CANVAS_SIZE]
        top = int(rng.integers(0, CANVAS_SIZE - shape.shape[0] + 1))
        left = int(rng.integers(0, CANVAS_SIZE - shape.shape[1] + 1))
        scheme = SCHEMES[number % len(SCHEMES)]
        canvases.append(paint(shape, scheme, top, left, rng))
        schemes.append(scheme)
        pens.append(stroke)
    return canvases, mnist.y_test[indices], np.array(schemes), np.array(pens), mnist.x_test[indices]


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model`` (a shipped model's name) and ``--models-dir``, shared by the bench scripts."""
    parser.add_argument("--model", default="lenet", choices=tuple(shipped_files()))
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR, help="development only")


def load_shipped_model(arguments: argparse.Namespace) -> ModelStatus:
    """Load only the model named by ``--model`` (not every shipped one), as the page does."""
    name = arguments.model
    return load_registry(arguments.models_dir, {name: shipped_files()[name]})[name]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    add_model_arguments(parser)
    parser.add_argument(
        "--style", default="outline", choices=tuple(STROKES), help="how strokes are redrawn"
    )
    arguments = parser.parse_args()

    status = load_shipped_model(arguments)
    if not status.ok:
        print(status.error)
        return 2
    model = status.model
    started = time.perf_counter()
    canvases, labels, schemes, pens, originals = build_set(
        arguments.count, arguments.seed, arguments.style
    )
    print(f"built {len(canvases)} canvases in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    recipe = np.stack([canvas_to_mnist(canvas) for canvas in canvases])  # (N, 28, 28)
    naive = np.stack([naive_resize(canvas) for canvas in canvases])
    print(f"preprocessed in {time.perf_counter() - started:.1f} s")

    size = input_size(model)
    results = {}
    sets = (("canvas_to_mnist", recipe), ("naive_resize", naive), ("originals", originals))
    for name, images in sets:
        probabilities = np.asarray(model.predict(to_model_input(images, size), verbose=0))
        results[name] = probabilities.argmax(axis=1) == labels

    print(
        f"\n{status.label} ({status.path.name}), {len(labels)} MNIST test digits redrawn "
        f"({arguments.style} strokes, seed {arguments.seed})"
    )
    print(f"{'':24s}{'canvas_to_mnist':>16s}{'naive_resize':>14s}")
    groups = [("all", np.ones(len(labels), dtype=bool))]
    groups += [(scheme, schemes == scheme) for scheme in SCHEMES]
    middle = float(np.mean(STROKES[arguments.style]))
    groups += [
        (f"stroke < {middle:+.0%} of size", pens < middle),
        (f"stroke ≥ {middle:+.0%} of size", pens >= middle),
    ]
    for name, members in groups:
        print(
            f"{name:24s}{results['canvas_to_mnist'][members].mean():16.2%}"
            f"{results['naive_resize'][members].mean():14.2%}   (n={members.sum()})"
        )
    print(
        f"(the same {len(labels)} digits as MNIST stores them, no canvas: "
        f"{results['originals'].mean():.2%})"
    )
    accuracy = results["canvas_to_mnist"].mean()
    verdict = "PASS" if accuracy >= REQUIRED_ACCURACY else "FAIL"
    print(
        f"\n{verdict}: {accuracy:.2%} through canvas_to_mnist (required ≥{REQUIRED_ACCURACY:.0%})"
    )
    return 0 if accuracy >= REQUIRED_ACCURACY else 1


if __name__ == "__main__":
    sys.exit(main())
