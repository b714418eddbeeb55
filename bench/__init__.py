"""cnnviz's benchmarks, run from the repository root as ``python -m bench.<name>``.

Each module measures one thing and prints what it measured; ``bench/README.md`` holds the figures
and the commands that reproduced them. ``bench.support`` holds what the benchmarks share with the
tests.
"""
