"""Figures and results built once for the whole server, not once per session.

**Shared figures and results** (:func:`shared_figure`, :func:`shared_result`): a class on the
same settings (students following their teacher, or simply on the defaults) would otherwise
build the very same figures once per student on every rerun. The caches find a function again
by its module and name, so only module-level functions can be shared.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

# How many built figures (and computed results) the server keeps for every session: a Pooling
# rerun draws about ten, a stroke on the Draw page about ten more. Bounded, so the memory of a
# day of classes levels off (a figure holds its picture: a few to ~250 KB).
SHARED_FIGURE_ENTRIES = 256
SHARED_RESULT_ENTRIES = 128

Result = TypeVar("Result")


def _function(name: str) -> Callable[..., Any]:
    module, _, qualname = name.partition(":")
    return getattr(importlib.import_module(module), qualname)


def _name(function: Callable[..., Any]) -> str:
    if "." in function.__qualname__ or function.__module__.startswith("__"):
        raise ValueError(f"{function.__qualname__} is not a module-level function of a module.")
    return f"{function.__module__}:{function.__qualname__}"


@st.cache_resource(show_spinner=False, max_entries=SHARED_FIGURE_ENTRIES)
def _built_figure(builder: str, args: tuple, kwargs: dict) -> Any:
    return _function(builder)(*args, **kwargs)


@st.cache_data(show_spinner=False, max_entries=SHARED_RESULT_ENTRIES)
def _computed_result(function: str, args: tuple, kwargs: dict) -> Any:
    return _function(function)(*args, **kwargs)


def shared_figure(builder: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """``builder(*args, **kwargs)``, built once for the whole server on these arguments.

    ``builder`` is a pure chart builder of :mod:`cnnviz.charts` (same arguments, same figure).
    Building a figure costs far more (plotly's validation) than sending a built one, and a class
    on the same settings asks for the same figures (the figures: bench/README.md).
    The figure is one object for every session (``st.cache_resource``): pages hand it to
    ``st.plotly_chart``, which only reads it, and never change it. Streamlit hashes the
    arguments (arrays by their bytes); a session building a figure another is building waits
    for that one instead of building it twice.
    """
    return _built_figure(_name(builder), args, kwargs)


def shared_result(function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """``function(*args, **kwargs)`` computed once for the whole server on these arguments; each
    caller gets its own copy (``st.cache_data``). For pure cnnviz computations worth caching
    (the translation measure on a photo, say)."""
    return _computed_result(_name(function), args, kwargs)
