"""Shared test settings: where MNIST is."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The real MNIST sits beside the checkout in this workplace; CI exports the same path.
_SHARED_MNIST = PROJECT_ROOT.parent / "shared" / "data" / "mnist.npz"
if "CNNVIZ_MNIST" not in os.environ and _SHARED_MNIST.is_file():
    os.environ["CNNVIZ_MNIST"] = str(_SHARED_MNIST)
