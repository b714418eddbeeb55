"""The image uploader of the Pooling and Convolution pages: the widget, and its decoded file.

The decoding is ``cnnviz.images.decode_upload`` (in memory, never on disk); this module only
wraps the widget: it decodes each file once per session, and says in the page why a file
cannot be used, or what was done to it (scaled down, cropped).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from cnnviz import images


def uploaded_image(
    container: DeltaGenerator, key: str, instead: str
) -> tuple[str, np.ndarray] | None:
    """The uploader, in ``container``; the uploaded file as (name, grey image), or None.

    Parameters
    ----------
    container
        Where the uploader and its messages go (a column of the page).
    key
        The uploader's widget key; ``key + "_id"`` and ``key + "_result"`` keep the decoded file.
    instead
        What the page shows when the file cannot be used, for the message ("the sample").

    Returns
    -------
    tuple or None
        None when there is no file, or when it cannot be used (the message then says why).
    """
    state = st.session_state
    # Any file is accepted here and checked by cnnviz.images: a file the browser refused would get
    # Streamlit's own message beside the previous file's note; ours replaces it, in plain words.
    upload = container.file_uploader(f"…or upload your own ({images.UPLOAD_FORMATS_TEXT})", key=key)
    id_key, result_key = f"{key}_id", f"{key}_result"
    if upload is None:  # no file, or it was removed: let its decoded image go
        state.pop(result_key, None)
        state.pop(id_key, None)
        return None
    if state.get(id_key) != upload.file_id:  # decode once per file, in this session's memory
        try:
            state[result_key] = images.decode_upload(upload.getvalue())
        except images.ImageError as error:
            state[result_key] = error
        state[id_key] = upload.file_id
    result = state[result_key]
    if isinstance(result, images.ImageError):
        container.error(f"{result} Showing {instead} instead.")
        return None
    if result.note:
        container.info(result.note)
    return upload.name, result.image
