"""cnnviz: the engine behind the dashboard that teaches convolutional neural networks.

Every page of the app sits on this package. It never imports streamlit, and it imports
TensorFlow only inside the functions that need it (importing TensorFlow costs seconds and
hundreds of megabytes, which the pooling page should never pay).
"""

from pathlib import Path

from cnnviz.parallel import set_thread_defaults

# TensorFlow reads its thread-pool sizes once, when it starts: set them before any page or test
# can import it (see cnnviz.parallel for why one thread per operation is faster here).
set_thread_defaults()

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The only directory models are ever loaded from (never a user-supplied path).
MODELS_DIR = PROJECT_ROOT / "models"
DATA_DIR = PROJECT_ROOT / "data"
