"""Home: what cnnviz teaches, links to the three parts, and how to use it in class.

No TensorFlow here: the first page a class opens must appear at once.
"""

import streamlit as st

PARTS = [
    (
        "pages/pooling.py",
        "Pooling & padding",
        "🔲",
        "Max, min and average pooling and valid/same/full padding on photos, digits and "
        "patterns; the output-size formula with real numbers; a window you step through by "
        "hand; why pooling shrugs off small shifts.",
    ),
    (
        "pages/training.py",
        "Live training",
        "📈",
        "Train LeNet-5 and an AlexNet adapted to MNIST while you watch: loss and accuracy "
        "update live, then a confusion matrix and a gallery of the digits the network got "
        "wrong.",
    ),
    (
        "pages/draw.py",
        "Draw a digit",
        "✏️",
        "Draw a digit and let a trained network read it: every preprocessing step, the ten "
        "probabilities, and what each layer sees.",
    ),
]

st.title("cnnviz: convolutional neural networks you can see")
st.markdown(
    "A convolutional neural network (CNN) reads an image through small windows: "
    "**convolutions** slide learned filters over it, **pooling** shrinks what they find, and "
    "a few **dense layers** turn the result into an answer. cnnviz lets a class watch each "
    "of these steps on real images, with the exact arithmetic Keras and TensorFlow use."
)

for column, (path, title, icon, summary) in zip(st.columns(len(PARTS)), PARTS, strict=True):
    with column.container(border=True):
        st.subheader(f"{icon} {title}")
        st.markdown(summary)
        st.page_link(path, label=f"Open {title}", icon="➡️")

st.subheader("Using cnnviz in class")
st.markdown(
    "- **Project it, and let students follow on their own devices**: everyone opens the "
    "same address; each browser has its own controls, so students can explore while you "
    "present.\n"
    "- **Start with Pooling & padding** (about 15 minutes): pick the checkerboard, switch "
    "between max, min and average, then ask the class to predict the output size before "
    "you move the pool-size slider; check with the formula under the images.\n"
    "- **Start a training run early**: LeNet-5 needs a few minutes for its five epochs on a "
    "laptop and keeps training while you switch pages. Ready-trained models are included, "
    "so nobody has to wait.\n"
    "- **Finish with Draw a digit**: let students try to fool the network, then look at "
    "the mistakes gallery on the training page to see which digits it confuses.\n"
    "- Everything on screen is computed live from the same formulas as Keras, so any "
    "number a student doubts can be checked by hand in the step-through."
)
