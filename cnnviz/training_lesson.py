"""The teaching text of the Live training page (Topics 2 and 3): the networks and their papers.

The text is Markdown, kept here so the page stays a thin layout script. Every number in it
(parameter counts, output sizes) is checked against the real Keras models in
``tests/test_training_lesson.py``. :data:`MODEL_LESSONS` holds each model tab's text, which
:class:`cnnviz.models.ModelSpec` names by its ``lesson``; the form's help is in
:mod:`cnnviz.training_form`, a run's own sentences in :mod:`cnnviz.training_messages`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cnnviz import ops
from cnnviz.models import MODEL_SPECS, ModelSpec

INTRO = """
Two classic networks learn to read handwritten digits while you watch. Pick a model (or both),
press **Start training**, and see the loss fall and the accuracy climb batch by batch. Click
around as much as you like: the training runs in the background and carries on when you move a
widget or visit another page. "**(seed)**" in a model's name means it is built and trained
exactly as in the *seed notebook*, the class assignment this dashboard grew from; any other
model's name lists in brackets what differs from that recipe, as "LeNet-5 (8 epochs, augmented)"
for the shipped LeNet-5.
"""


READING_THE_CHARTS = """
**Reading the charts.** The *per-batch* chart shows the loss and accuracy that Keras reports
after every batch: the running mean over the epoch so far, which is why it restarts a little
at every dotted epoch line. The *per-epoch* chart sets the whole epoch's training figures against
the validation figures, measured once at the end of the epoch. (The tab "Replay the shipped
models" explains why validation is often the *higher* of the two.)
"""


VALIDATION_IS_TEST = """
**Which images validate.** As in the seed notebook (`validation_data=(x_test, y_test)`), the
validation figures are measured on MNIST's **10,000 test images**. The network never trains on
them, so they are fair as a *report*. But as soon as a class compares settings by that number
and keeps the best one, the test set has helped choose the model, and the winner's test accuracy
is a little optimistic: a fair final test needs images that took no part in any choice. Switch
on **Validate on held-out training images** to keep a slice of the training images apart for
validation; the test accuracy under the results then comes from images nothing was chosen by.
"""


LAYER_TABLE_LEGEND = """
Output size: the formula of the pooling page with this layer's numbers (per side: the maps are
square). Receptive field: how many input pixels one unit of the layer sees (for AlexNet, pixels
of the 64 × 64 image its first convolution reads, and in brackets the most pixels of the 28 × 28
digit one unit reads through the resize: the Draw page gives the count of each unit).
Parameters: a weight for every kernel cell and input channel plus one bias, per filter (per
unit for a dense layer); pooling, flattening and dropout have none.
"""


LENET_OVERVIEW = """
**LeNet-5** (Yann LeCun, Léon Bottou, Yoshua Bengio and Patrick Haffner, *Gradient-Based
Learning Applied to Document Recognition*, 1998) is the network that made convolutional nets
practical: it read handwritten digits, and a cheque-reading system built on it read several
million bank cheques a day. It takes a 32 × 32 grey image (the paper placed each 28 × 28 MNIST
digit in the middle of a 32 × 32 field; the seed notebook stretches it to 32 × 32 instead) and
has seven layers with weights (in the modern form trained here five: its pooling layers have
none):

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


# LeCun et al. (1998), Fig. 9 and Section III.C: LeNet-5's MNIST test error rates.
PAPER_LENET5_ERROR = 0.0095


PAPER_LENET5_DISTORTED_ERROR = 0.008
# LeNet-5's C3 in the paper (Table I): how many of S2's six maps each of its 16 maps reads.
PAPER_C3_INPUTS = (3,) * 6 + (4,) * 9 + (6,)


def paper_lenet5_parameters() -> dict[str, int]:
    """The trainable parameters of each layer of LeNet-5 as the 1998 paper built it.

    Subsampling layers have one coefficient and one bias per map; C3 follows the sparse table
    (:data:`PAPER_C3_INPUTS`); the RBF output units' parameters were set by hand, not trained.

    Examples
    --------
    >>> counts = paper_lenet5_parameters()
    >>> counts["C3"], sum(counts.values())
    (1516, 60000)
    """
    kernel = 5 * 5
    return {
        "C1": (kernel * 1 + 1) * 6,
        "S2": 2 * 6,
        "C3": kernel * sum(PAPER_C3_INPUTS) + len(PAPER_C3_INPUTS),
        "S4": 2 * 16,
        "C5": (kernel * 16 + 1) * 120,
        "F6": (120 + 1) * 84,
    }


def paper_lesson(shipped_lenet_accuracy: float | None) -> str:
    """The paper's LeNet-5 and its results, reconciled with the one you can train here.

    ``shipped_lenet_accuracy`` is the shipped LeNet-5's test accuracy (from its history file),
    quoted beside the paper's; None leaves that comparison out.

    >>> "makes 1.20% errors" in paper_lesson(0.988)
    True
    """
    paper = paper_lenet5_parameters()
    total = sum(paper.values())
    full_c3 = (5 * 5 * 6 + 1) * 16
    coefficients = paper["S2"] + paper["S4"]
    softmax = (84 + 1) * 10
    modern = total + (full_c3 - paper["C3"]) - coefficients + softmax
    shipped = (
        ""
        if shipped_lenet_accuracy is None
        else " (the shipped LeNet-5, trained with shifts, rotations and zooms, makes "
        f"{1 - shipped_lenet_accuracy:.2%} errors)"
    )
    return f"""
**The paper's numbers.** LeNet-5 has {total:,} trainable parameters in the paper: C1
{paper["C1"]:,}, S2 {paper["S2"]} (a coefficient and a bias per map), C3 {paper["C3"]:,} (its
16 maps read S2's 6 maps through only {sum(PAPER_C3_INPUTS)} of the 96 possible connections),
S4 {paper["S4"]}, C5 {paper["C5"]:,} and F6 {paper["F6"]:,}; the RBF output units were fixed by
hand. The "original" you can train here is that **1998 layout in its modern form**,
{modern:,} parameters: a full C3 (+{full_c3 - paper["C3"]:,}), no subsampling coefficients
(−{coefficients}) and a trained softmax layer instead of the RBF units (+{softmax:,}), so
{total:,} + {full_c3 - paper["C3"]:,} − {coefficients} + {softmax:,} = {modern:,}.

On MNIST the paper reports **{PAPER_LENET5_ERROR:.2%}** test errors
({1 - PAPER_LENET5_ERROR:.2%} accuracy), and **{PAPER_LENET5_DISTORTED_ERROR:.1%}** when the
training set was enlarged with artificially distorted digits: augmentation is as old as
LeNet-5. Compare your runs with those numbers{shipped}.
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


# The paper's stated input and the one its first layer's 55 × 55 maps need.
ALEXNET_224 = ops.output_size_formula(224, 11, 4, "valid")


ALEXNET_OVERVIEW = f"""
**AlexNet** (Alex Krizhevsky, Ilya Sutskever and Geoffrey Hinton, *ImageNet Classification with
Deep Convolutional Neural Networks*, 2012) won the ImageNet challenge of 2012 with a top-5 error
of 15.3%, against 26.2% for the runner-up, and started the deep-learning era in computer vision.
Both figures are on the challenge's test set. The 15.3% came from an *ensemble*, the averaged
predictions of seven CNNs; the paper gives one network's error on the validation set only:
18.2% top-5 there, against 15.4% for the seven together (Table 2). It has **8 layers with
weights: 5 convolutional and 3 fully connected**, about 60 million parameters, and classifies
colour photos into 1,000 classes. The paper says its input is 224 × 224, but its first layer,
11 × 11 filters at stride 4 without padding, gives the 55 × 55 maps the paper describes only
from 227 × 227: {ops.output_size_formula(227, 11, 4, "valid")}, while {ALEXNET_224}.

None of its ingredients was new on its own: ReLU units, dropout, training on distorted images
(LeNet-5 already did) and CNNs trained on GPUs all came before it. AlexNet **combined them and
scaled them up** to 1.2 million images:

- **ReLU** (max(0, x)) instead of tanh: it does not saturate for positive inputs, so gradients
  stay large; in the paper a four-layer network reached 25% training error on CIFAR-10 six
  times faster with ReLU than with tanh.
- **Dropout** (p = 0.5) in the first two fully connected layers: every step trains a random half
  of the units, so no unit can rely on particular others, which fights overfitting.
- **Data augmentation**: random 224 × 224 crops of 256 × 256 images, their mirror images, and
  small changes of colour intensity — many more distinct training images for free. The seed's
  AlexNet recipe, and the AlexNet shipped here, use no augmentation; the training page's
  **Augment** option adds small shifts, rotations and zooms (not mirror images: a mirrored 2
  is not a 2), and the shipped LeNet-5 was trained with it.
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


SHIPPED_REPLAY = """
The models shipped with cnnviz were trained on all 60,000 training images before class with
`python -m cnnviz.train`. Their recorded histories replay here without any waiting.
"""


def _value(record: Any, name: str) -> float:
    """A field of an epoch record, whether it is an ``EpochRecord`` or its dict."""
    return float(record[name] if isinstance(record, dict) else getattr(record, name))


def epochs_validation_above(records: Sequence[Any]) -> list[int]:
    """The epochs whose validation accuracy is above their training accuracy.

    Examples
    --------
    >>> epochs_validation_above([{"epoch": 1, "accuracy": 0.9, "val_accuracy": 0.95},
    ...                          {"epoch": 2, "accuracy": 0.97, "val_accuracy": 0.96}])
    [1]
    """
    return [
        int(_value(record, "epoch"))
        for record in records
        if _value(record, "val_accuracy") > _value(record, "accuracy")
    ]


def validation_dips(records: Sequence[Any]) -> list[tuple[int, float, float, float]]:
    """Epochs whose validation accuracy fell and rose above its old level in the next epoch.

    Returns ``(epoch, accuracy before, accuracy then, accuracy in the next epoch)`` per dip.

    Examples
    --------
    >>> validation_dips([{"epoch": 1, "val_accuracy": 0.9783}, {"epoch": 2, "val_accuracy": 0.9738},
    ...                  {"epoch": 3, "val_accuracy": 0.9846}])
    [(2, 0.9783, 0.9738, 0.9846)]
    """
    values = [_value(record, "val_accuracy") for record in records]
    dips = []
    for index in range(1, len(values) - 1):
        before, then, after = values[index - 1], values[index], values[index + 1]
        if then < before < after:
            dips.append((int(_value(records[index], "epoch")), before, then, after))
    return dips


def _epochs_text(count: int, total: int) -> str:
    if count == total:
        return f"in every one of its {total} epochs"
    return f"in {count} of its {total} epochs"


def replay_lesson(histories: dict[str, dict[str, Any]]) -> str:
    """Why the shipped models' validation curves sit where they do, from their own histories.

    ``histories`` maps "lenet" and "alexnet" to their shipped history (``load_shipped_history``).
    """
    lenet, alexnet = histories["lenet"]["epochs"], histories["alexnet"]["epochs"]
    above = epochs_validation_above(lenet)
    first = lenet[0]
    alexnet_above = epochs_validation_above(alexnet)
    text = (
        "**Why validation is above training here.** The shipped LeNet-5's validation accuracy "
        f"is above its training accuracy {_epochs_text(len(above), len(lenet))} (epoch 1: "
        f"{_value(first, 'accuracy'):.1%} training, {_value(first, 'val_accuracy'):.1%} "
        "validation), the shipped AlexNet's "
        f"{_epochs_text(len(alexnet_above), len(alexnet))}. Nothing is wrong; three things "
        "make the training figure lower:\n\n"
        "- **A running mean over improving weights.** The training figure is averaged over the "
        "whole epoch, batch by batch, much of it with the weaker weights of the epoch's start; "
        "validation is measured once, with the weights at its end. Epoch 1 shows it most: its "
        "mean starts from random weights.\n"
        "- **Dropout is on only while training** (AlexNet): half of the units of fc1 and fc2 are "
        "switched off at random for every training batch, so the training figures come from a "
        "handicapped network; validation uses every unit.\n"
        "- **Augmentation** (the shipped LeNet-5, trained with `--augment`): it learns from "
        "randomly shifted, rotated and zoomed digits, harder than the plain test digits it is "
        "validated on.\n\n"
        "**What overfitting looks like.** Training accuracy keeps rising while validation "
        "accuracy stalls or falls, so the gap between them *widens over several epochs*, and "
        "the validation loss rises. One dip is not that"
    )
    dips = validation_dips(alexnet)
    if dips:
        epoch, before, then, later = dips[0]
        text += (
            f": the shipped AlexNet's validation accuracy falls from {before:.2%} to "
            f"{then:.2%} in epoch {epoch} and recovers to {later:.2%} in the next, the noise of "
            "one epoch's weights."
        )
    else:
        text += ": a single epoch's weights are noisy, so judge the trend, not one point."
    return text


def alexnet_padding_lesson(model: Any) -> str:
    """AlexNet-for-MNIST's own numbers as a padding lesson: its 3 × 3 "same" convolutions run
    on 2 × 2 maps, so most of each window is padding and conv3's field outgrows the input."""
    from keras import layers

    from cnnviz.layer_table import padding_share
    from cnnviz.receptive_field import receptive_fields

    small = [
        layer
        for layer in model.layers
        if isinstance(layer, layers.Conv2D)
        and layer.padding == "same"
        and int(layer.input.shape[1]) < layer.kernel_size[0]
    ]
    if not small:
        return ""
    first = small[0]
    side, kernel = int(first.input.shape[1]), first.kernel_size[0]
    share = padding_share(side, kernel, 1, "same")
    real = round((1 - share) * kernel * kernel)
    field = next(field for field in receptive_fields(model) if field.layer == first.name)
    names = ", ".join(layer.name for layer in small)
    return (
        f"**A padding lesson in AlexNet's own numbers.** {names} are {kernel} × {kernel} "
        f'"same" convolutions on {side} × {side} maps. Each window covers {kernel * kernel} '
        f"cells, of which only {real} are real: **{share:.0%} of what they multiply is zero "
        "padding**. And the receptive field grows by "
        f"({kernel} − 1) × {field.jump[0]} = {(kernel - 1) * field.jump[0]} pixels at each of "
        f"them ({field.jump[0]} pixels lie between neighbouring units there): a unit of "
        f"{first.name} already spans {field.size[0]} × {field.size[1]} pixels"
        + (
            f", more than the whole {field.input_shape[0]} × {field.input_shape[1]} image the "
            "first convolution sees; the rest of its field is padding."
            if field.larger_than_input
            else "."
        )
    )


def paper_comparison(model_key: str, test_accuracy: float) -> str:
    """The paper's result beside a run's, for the LeNet-5 models ("" for the others).

    Examples
    --------
    >>> paper_comparison("lenet", 0.9875)
    'Test error 1.25%; LeNet-5 in the 1998 paper: 0.95%, and 0.8% trained on distorted digits.'
    >>> paper_comparison("alexnet", 0.98)
    ''
    """
    if not model_key.startswith("lenet"):
        return ""
    return (
        f"Test error {1 - test_accuracy:.2%}; LeNet-5 in the 1998 paper: "
        f"{PAPER_LENET5_ERROR:.2%}, and {PAPER_LENET5_DISTORTED_ERROR:.1%} trained on "
        "distorted digits."
    )


@dataclass(frozen=True)
class ModelLesson:
    """The text of one model tab of the training page, around the layer tables of its models."""

    tab: str  # the tab's title
    overview: str  # Markdown above the tables
    tables_title: str | None = None  # a heading over the tables, when the tab compares models
    # Markdown computed from a built model, shown under its table ("" when it has nothing to say).
    from_model: Callable[[Any], str] | None = None
    # Markdown under all the tables, given the test accuracy of the tab's first model as shipped
    # (None when it is not shipped, or its history file is missing).
    closing: Callable[[float | None], tuple[str, ...]] | None = None


def _lenet_closing(shipped_accuracy: float | None) -> tuple[str, ...]:
    return PADDING_LESSON, paper_lesson(shipped_accuracy)


MODEL_LESSONS: dict[str, ModelLesson] = {
    "lenet": ModelLesson(
        tab="LeNet-5",
        overview=LENET_OVERVIEW,
        tables_title=PADDING_LESSON_TITLE,
        closing=_lenet_closing,
    ),
    "alexnet": ModelLesson(
        tab="AlexNet", overview=ALEXNET_OVERVIEW, from_model=alexnet_padding_lesson
    ),
}


def lesson_tabs() -> dict[str, tuple[ModelSpec, ...]]:
    """Each model lesson's key → the models its tab shows, in the order of the specs.

    >>> {key: [spec.key for spec in specs] for key, specs in lesson_tabs().items()}
    {'lenet': ['lenet', 'lenet_original'], 'alexnet': ['alexnet']}
    """
    tabs: dict[str, tuple[ModelSpec, ...]] = {}
    for spec in MODEL_SPECS.values():
        if spec.lesson not in MODEL_LESSONS:
            raise ValueError(
                f"Model '{spec.key}' names the lesson '{spec.lesson}', which MODEL_LESSONS lacks; "
                f"add its text there (known: {sorted(MODEL_LESSONS)})."
            )
        tabs[spec.lesson] = (*tabs.get(spec.lesson, ()), spec)
    return tabs


def download_note(model: str, file_name: str) -> str:
    """What sits beside a trained model's download: the input it takes, and the lines that
    load it and feed it MNIST's ``x_test`` ((N, 28, 28), uint8) the way cnnviz does
    (:func:`cnnviz.data.to_model_input`: scaled to [0, 1], resized bilinearly when the model's
    input is not 28 × 28), so a student's first prediction raises no shape error.

    >>> print(download_note("alexnet", "alexnet.keras"))  # doctest: +ELLIPSIS
    It takes 28 × 28 grey images scaled to [0, 1], shaped (N, 28, 28, 1)...
    """
    height, width = MODEL_SPECS[model].recipe.input_size
    size = f"{height} × {width}"
    lines = ["import keras", f'model = keras.saving.load_model("{file_name}")']
    if (height, width) == (28, 28):
        sentence = (
            f"It takes {size} grey images scaled to [0, 1], shaped (N, 28, 28, 1): MNIST's own."
        )
        lines.append("x = x_test[..., None] / 255.0  # (N, 28, 28, 1)")
    else:
        sentence = (
            f"It takes {size} grey images scaled to [0, 1], shaped (N, {height}, {width}, 1): "
            f"MNIST's 28 × 28 digits raise a shape error until they are resized to {size} "
            "(bilinear, as cnnviz trained it; zero padding instead feeds it digits it never saw)."
        )
        lines[0] = "import keras, tensorflow as tf"
        lines.append(
            f"x = tf.image.resize(x_test[..., None] / 255.0, ({height}, {width}))"
            f"  # (N, {height}, {width}, 1)"
        )
    lines.append("probabilities = model.predict(x)  # (N, 10)")
    code = "\n".join(lines)
    return f"{sentence}\n\n```python\n{code}\n```"
