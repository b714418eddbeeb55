"""The pages: one thin script per page of the site (``cnnviz.site.PAGES``), and in ``glue/``
what every page shares around its own content (the router check, the class panel, the
server-wide figure caches, the session's hold on its trainings, the image uploader). A package,
not a page: Streamlit never lists ``__init__.py`` as a page, nor anything in a subfolder."""
