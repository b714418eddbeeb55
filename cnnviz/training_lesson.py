"""The teaching text of the Live training page (Topics 2 and 3), and small display helpers.

The text is Markdown, kept here so the page stays a thin layout script. Every number in it
(parameter counts, output sizes) is checked against the real Keras models in
``tests/test_training_lesson.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

INTRO = """
Two classic networks learn to read handwritten digits while you watch. Pick a model (or both),
press **Start training**, and see the loss fall and the accuracy climb batch by batch. Click
around as much as you like: the training runs in the background and carries on when you move a
widget or visit another page.
"""

ONE_AT_A_TIME = """
This server trains **one model at a time**, so each run gets every CPU core. With both models
selected, AlexNet waits in the queue ("busy, you are next") and starts as soon as LeNet-5 is
done: they run one after the other, and each chart fills in when its turn comes.
"""

READING_THE_CHARTS = """
**Reading the charts.** The *per-batch* chart shows the loss and accuracy that Keras reports
after every batch: the running mean over the epoch so far, which is why it restarts a little
at every dotted epoch line. The *per-epoch* chart sets the whole epoch's training figures against
the validation figures on the 10,000 test images the network never trains on. Validation
accuracy that stalls while training accuracy keeps rising means the network has started to
memorise rather than learn.
"""

LENET_OVERVIEW = """
**LeNet-5** (Yann LeCun, Léon Bottou, Yoshua Bengio and Patrick Haffner, *Gradient-Based
Learning Applied to Document Recognition*, 1998) is the network that made convolutional nets
practical: it read handwritten digits, and a cheque-reading system built on it read several
million bank cheques a day. It takes a 32 × 32 grey image (the paper placed each 28 × 28 MNIST
digit in the middle of a 32 × 32 field; the seed notebook stretches it to 32 × 32 instead) and
has seven layers with weights:

- **C1**, convolution: 6 filters of 5 × 5 slide over the image → six 28 × 28 feature maps
  (edges, stroke ends).
- **S2**, subsampling: the four values of each 2 × 2 block are summed, multiplied by a
  *trainable* coefficient, shifted by a trainable bias and squashed → 6 × 14 × 14.
- **C3**, convolution: 16 filters of 5 × 5 → 16 × 10 × 10. Each map reads only *some* of S2's
  maps, following a fixed sparse table: fewer weights, and it forces the maps to differ.
- **S4**, subsampling: as S2 → 16 × 5 × 5.
- **C5**, convolution: 120 filters of 5 × 5; on a 5 × 5 input each sees the whole map, leaving
  120 × 1 × 1.
- **F6**, fully connected: 84 units.
- **Output**: 10 radial-basis-function (RBF) units. Each measures the squared distance between
  F6's 84 values and a fixed pattern for its digit (a stylised 7 × 12 bitmap); the nearest
  pattern wins.

Every hidden unit squashes its weighted sum with a sigmoid-shaped function, in the paper a
scaled tanh, 1.7159 · tanh(2a/3). The version you train here is the **modern form** that most
courses teach, and the seed notebook's: plain average pooling without coefficients, C3 connected
to all of S2's maps, and a softmax output trained with cross-entropy.

**Why it mattered.** Weight sharing (one small filter reused at every position) and local
receptive fields give it few parameters, so it learns from 60,000 images and runs on a CPU; the
subsampling makes it tolerant of small shifts and distortions; and it is trained end to end by
back-propagation instead of using hand-made features. Its conv → pool → … → fully connected
layout is still the skeleton of today's CNNs.

**Its limits.** It was built for small, centred, grey images; natural photographs need far more
capacity than ~60,000 weights. Saturating tanh and sigmoid units pass back ever smaller gradients
through each layer, so making it much deeper stalls training (the *vanishing gradient*), and it
has no regulariser such as dropout. Scaling it up had to wait for ReLU, dropout, big datasets and
GPUs — which is AlexNet's story.
"""

PADDING_LESSON_TITLE = "The seed's LeNet-5 next to LeCun's original"

PADDING_LESSON = """
Both tables hold the same layers; the only change is C1's padding. The seed pads C1 with zeros
("same"), so its maps stay 32 × 32 instead of shrinking to 28 × 28. That extra border travels
down the network: S4 leaves **6 × 6 × 16 = 576** values instead of **5 × 5 × 16 = 400**.

The convolutions cost exactly the same in both (156 parameters in C1, 2,416 in C3): a filter's
weights do not depend on the size of the map it slides over. The difference is all in the layer
that turns the maps into 120 units. In the original, C5 is a 5 × 5 convolution over a 5 × 5
map, so each of its 120 filters sees all 400 values: 400 × 120 weights + 120 biases =
**48,120** parameters, exactly what a dense layer would have. In the seed, a dense layer reads
the 576 flattened values: 576 × 120 + 120 = **69,240**. Those 176 × 120 = **21,120** extra
weights are the whole gap between the two totals: **82,826 − 61,706 = 21,120**.
"""

ALEXNET_OVERVIEW = """
**AlexNet** (Alex Krizhevsky, Ilya Sutskever and Geoffrey Hinton, *ImageNet Classification with
Deep Convolutional Neural Networks*, 2012) won the ImageNet challenge of 2012 with a top-5 error
of 15.3%, against 26.2% for the runner-up, and started the deep-learning era in computer vision.
It has **8 layers with weights: 5 convolutional and 3 fully connected**, about 60 million
parameters, and classifies 224 × 224 colour photos into 1,000 classes. Its new ideas:

- **ReLU** (max(0, x)) instead of tanh: it does not saturate for positive inputs, so gradients
  stay large and training went several times faster.
- **Dropout** (p = 0.5) in the first two fully connected layers: every step trains a random half
  of the units, so no unit can rely on particular others, which fights overfitting.
- **Data augmentation**: random 224 × 224 crops of 256 × 256 images, their mirror images, and
  small changes of colour intensity — many more distinct training images for free. (On digits
  we shift, rotate and zoom a little instead: a mirrored 2 is not a 2.)
- **Overlapping pooling**: 3 × 3 max-pooling windows with stride 2, so neighbouring windows
  share a row or column; it lowered the error slightly compared with 2 × 2 windows.
- **Two GPUs**: the network was split across two 3 GB GTX 580 cards, with some layers only
  talking to the half on their own card; training took five to six days.
- **Local response normalisation** (LRN) after the first two convolutions made neighbouring maps
  compete; later networks dropped it.

**Roles of the layers.** The *convolutional layers* learn filters shared across the whole
image: the first ones respond to edges, colours and blobs, the deeper ones combine those into
textures and object parts. The *pooling layers* shrink the maps, cutting computation and making
the features tolerant of small shifts, while max pooling keeps the strongest response of each
window. The *fully connected layers* combine features from the whole image into a decision,
one score per class; they hold most of the weights.

**The version you train here** keeps the shape of the idea for 28 × 28 digits: the image is
resized to 64 × 64 inside the model, the five convolutions have half the paper's filters
(48, 128, 192, 192, 128: one of the paper's two GPU halves), the fully connected layers 1,024
units instead of 4,096, one grey channel, no LRN and one device. Its 2,126,186 parameters are
about 26 times LeNet-5's; the three fully connected layers hold 1,191,946 of them (56%).
"""

PRECISION_LABELS = {
    "float32": "float32 (as the seed)",
    "mixed_bfloat16": "Mixed bfloat16",
}
PRECISION_HELP = """
How precisely the network computes. **float32**, the seed's arithmetic, keeps 24 significant
bits (about 7 decimal digits) of every number. **Mixed bfloat16** passes the numbers between
layers, and the copies of the weights they are multiplied with, with 8 significant bits (about
3 digits) but float32's range, so nothing overflows. The weights themselves, Adam's updates and
the output probabilities stay float32. Gradient steps are noisy anyway: over four random seeds
AlexNet reached 98.2% in float32 and 98.3% in mixed bfloat16 on average. On CPUs with bfloat16
instructions it trains about 1.4× faster. The trained model is handed over and saved in float32.
"""


def precision_help(native: bool | None) -> str:
    """The help text of the arithmetic choice, with what this server's CPU can do."""
    text = PRECISION_HELP
    if native is True:
        return text + "\nThis server's CPU has bfloat16 instructions."
    if native is False:
        return text + "\nThis server's CPU has no bfloat16 instructions: it would be *slower*."
    return text


SHIPPED_REPLAY = """
The models shipped with cnnviz were trained on all 60,000 training images before class with
`python -m cnnviz.train`. Their recorded histories replay here without any waiting.
"""


def format_duration(seconds: float | None) -> str:
    """A duration the way a person says it: "45 s", "3 min 05 s", "1 h 02 min"; "—" if unknown.

    Examples
    --------
    >>> format_duration(5.4), format_duration(185), format_duration(3725), format_duration(None)
    ('5 s', '3 min 05 s', '1 h 02 min', '—')
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def queue_message(queue_position: int | None) -> str:
    """What a student whose run waits for the server's training slot reads.

    Examples
    --------
    >>> queue_message(1)
    'Busy, you are next (queue position 1): your training starts by itself.'
    >>> queue_message(3)
    'Busy, 2 trainings are ahead of you (queue position 3): your training starts by itself.'
    """
    position = max(queue_position or 1, 1)
    ahead = "you are next" if position == 1 else f"{position - 1} trainings are ahead of you"
    return f"Busy, {ahead} (queue position {position}): your training starts by itself."


def progress_text(snapshot: Any) -> str:
    """The line under a job's progress bar, e.g. "Running · epoch 2/5 · batch 900/9375 · ETA 41 s".

    ``snapshot`` is a ``cnnviz.training.JobSnapshot``.
    """
    return (
        f"{snapshot.status.capitalize()} · epoch {snapshot.epoch}/{snapshot.total_epochs} · "
        f"batch {snapshot.batches_done}/{snapshot.total_batches} · "
        f"ETA {format_duration(snapshot.eta_s)}"
    )


def epoch_rows(records: Sequence[Any]) -> list[dict[str, Any]]:
    """Epoch records (``cnnviz.training.EpochRecord``) as table rows with readable headings."""
    return [
        {
            "Epoch": record.epoch,
            "Loss": record.loss,
            "Accuracy": record.accuracy,
            "Validation loss": record.val_loss,
            "Validation accuracy": record.val_accuracy,
            "Seconds": record.seconds,
        }
        for record in records
    ]
