"""cnnviz: the router. Each page lives in pages/ and sits on the cnnviz package."""

import streamlit as st

st.set_page_config(page_title="cnnviz — CNNs you can see", page_icon="🧠", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/pooling.py", title="Pooling & padding", icon="🔲"),
        st.Page("pages/training.py", title="Live training", icon="📈"),
        st.Page("pages/draw.py", title="Draw a digit", icon="✏️"),
    ]
)
navigation.run()
