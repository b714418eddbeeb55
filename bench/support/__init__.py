"""What the tests and the benchmarks share, imported as a package (pytest puts the repository
root on ``sys.path`` through ``pythonpath`` in pyproject.toml; ``python -m bench.<name>`` does
the same).

- ``harness``: start the app, launch Chromium, wait for a rerun (the e2e fixtures and the load
  test);
- ``streamlit_client``: a Streamlit session spoken over the websocket protocol, without a browser;
- ``seed_notebook``: the seed notebook's two models, verbatim, the reference cnnviz is checked
  against;
- ``stats``: the one percentile definition every benchmark reports.
"""
