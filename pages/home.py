"""Home: what cnnviz teaches, a card for each part (cnnviz.site.PAGES), and how to use it in class.

No TensorFlow here: the first page a class opens must appear at once.
"""

import streamlit as st

from cnnviz.site import lesson_pages
from pages.glue.router import through_the_router

through_the_router()  # a deep link on a fresh server ran this page past app.py

CARDS_PER_ROW = 3  # wider cards on a projector; more pages wrap onto a new row


def introduction() -> None:
    st.title("cnnviz: convolutional neural networks you can see")
    st.markdown(
        "A convolutional neural network (CNN) reads an image through small windows: "
        "**convolutions** slide learned filters over it, **pooling** shrinks what they find, and "
        "a few **dense layers** turn the result into an answer. cnnviz lets a class watch each "
        "of these steps on real images, with the exact arithmetic Keras and TensorFlow use."
    )


def page_cards() -> None:
    """One card per lesson page (cnnviz.site.PAGES), in rows of CARDS_PER_ROW."""
    pages = lesson_pages()
    for first in range(0, len(pages), CARDS_PER_ROW):
        row = pages[first : first + CARDS_PER_ROW]
        for column, page in zip(st.columns(min(len(pages), CARDS_PER_ROW)), row, strict=False):
            with column.container(border=True):
                st.subheader(f"{page.icon} {page.title}")
                st.markdown(page.summary)
                st.page_link(page.path, label=f"Open {page.title}", icon="➡️")


def in_class() -> None:
    st.subheader("Using cnnviz in class")
    st.markdown(
        "- **Project it, and let students follow on their own devices**: everyone opens the "
        "same address; each browser has its own controls, so students can explore while you "
        "present.\n"
        "- **Start with Pooling & padding** (about 15 minutes): pick the checkerboard, switch "
        "between max, min and average, then ask the class to predict the output size before "
        "you move the pool-size slider; check with the formula under the images.\n"
        "- **Start a training run early**: LeNet-5's five epochs took 27.5 s on the 2-core "
        "laptop-class CPU cnnviz is measured on (AlexNet's three about 2 minutes, see the "
        "README), and training carries on while you switch pages. Ready-trained models are "
        "included, so nobody has to wait.\n"
        "- **Finish with Draw a digit**: let students try to fool the network, then look at "
        "the mistakes gallery on the training page to see which digits it confuses.\n"
        "- The convolutions, poolings, output sizes and predictions on screen are computed live "
        "from the same formulas as Keras, so any number a student doubts can be checked by hand "
        "in the step-through. Computed in advance and shipped: the trained models and their "
        "learned filters (`models/*.keras`), their learning curves and test accuracy "
        "(`models/*.history.json`) and their accuracy on shifted digits on the Pooling page "
        "(`models/shift_accuracy.json`)."
    )


introduction()
page_cards()
in_class()
