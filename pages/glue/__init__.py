"""What every page shares around its own content; a subfolder, so never listed as a page.

Streamlit's legacy multipage mode lists only ``pages/*.py`` (``script_runner._mpa_v1`` globs
that folder, not its subfolders), and ``app.py`` lists the pages itself (``cnnviz.site.PAGES``).

- :mod:`.router`: a page run past ``app.py`` (a deep link on a fresh server) runs it instead.
- :mod:`.class_membership`: this browser's place in a class (teacher, student, or neither).
- :mod:`.class_panel`: the sidebar's class panel (join, follow, poll) and the teacher's
  publishing; ``app.py`` calls them around every page.
- :mod:`.training_claim`: the session's hold on its training jobs.
- :mod:`.figure_cache`: figures and results built once for the whole server.
- :mod:`.uploads`: the image uploader of the Pooling and Convolution pages.
"""
