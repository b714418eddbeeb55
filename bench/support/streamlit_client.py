"""A Streamlit session without a browser: the frontend's websocket protocol, spoken from asyncio.

One :class:`StreamlitClient` is one server session, exactly as one browser tab is: it fetches the
XSRF cookie (GET /_stcore/health, /_stcore/host-config), opens ``/_stcore/stream`` with the
subprotocols ``["streamlit", <xsrf token>]`` and an ``Origin`` header, and exchanges binary
protobufs: ``BackMsg`` up, ``ForwardMsg`` down (``streamlit.proto``). What it does like the
frontend (streamlit 1.67, ``frontend/app`` and ``WidgetStateManager``), so the server does the same
work for it as for a real tab:

- on connect it requests the first run with the URL path as ``page_name``;
- it keeps the rendered page as the frontend does (elements by delta path, cleared when the page
  changes, stale elements dropped when a full or fragment run finishes);
- it holds every widget's value as the frontend does: each widget reports its initial value on
  mount (the value in its proto), a change sends a ``rerun_script`` with *all* held values, a
  button is a one-shot trigger, a widget inside an ``st.form`` keeps its change pending until the
  form's submit button is pressed;
- a sidebar-navigation click sends ``rerun_script`` with the page's ``page_script_hash`` and only
  the widgets that survive a page change (those of the main script);
- ``AutoRerun`` messages (``@st.fragment(run_every=...)``) start a timer that re-requests that
  fragment with ``is_auto_rerun`` every interval, until a full run, a page change or
  ``StopAutoRerun`` ends it;
- it keeps the ForwardMsg cache: cacheable messages are stored by hash and their hashes sent with
  each rerun, so the server sends ``ref_hash`` references as it would to a browser, and cached
  entries expire after ``maxCachedMessageAge`` runs.

That behaviour is private to the frontend and may change in any release, so a client refuses to
start under a Streamlit outside :data:`SUPPORTED_STREAMLIT`, the releases
``tests/e2e/test_streamlit_client.py`` checked it against.

Known differences from a browser: no heartbeats (``app_heartbeat``), no reconnects (a dropped
socket is an error here), no HTTP fetches of media or component assets (the canvas's JavaScript
is never downloaded), no rendering, and a component's state (the drawing canvas) is set by
:meth:`StreamlitClient.set_component_state` instead of by its JavaScript.

Every run a request causes is timed from sending the ``BackMsg`` to its ``script_finished``, with
the finish status; errors (an exception element, an ``st.error`` that reads like a crash, a
compile error, a dropped socket, a timeout) are collected in :attr:`StreamlitClient.errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import streamlit
import websockets
from packaging.specifiers import SpecifierSet
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

# The Streamlit releases whose frontend this client copies, as tests/e2e/test_streamlit_client.py
# checked it against their server.
SUPPORTED_STREAMLIT = ">=1.67,<1.68"
XSRF_COOKIE = "_streamlit_xsrf"
DEFAULT_TIMEOUT_S = 60.0
# An auto-rerun tick is waited for this many times the action timeout before it counts as lost.
TICK_TIMEOUT_FACTOR = 5
# The frontend's default when the server does not say (NewSession.config.max_cached_message_age).
DEFAULT_MAX_CACHED_MESSAGE_AGE = 2

# script_finished statuses, named for reports.
FINISH_STATUS = {
    ForwardMsg.FINISHED_SUCCESSFULLY: "success",
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile error",
    ForwardMsg.FINISHED_EARLY_FOR_RERUN: "rerun",
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment success",
}
OK_STATUSES = frozenset({"success", "fragment success", "absorbed by a full run"})

# An st.error whose text reads like a crash rather than a message written for students.
CRASH_TEXT = re.compile(r"(?i)traceback|exception|error:|failed|crash|out of memory")

# Widgets whose proto carries their value, and the WidgetState field the frontend fills.
VALUE_WIDGETS = {
    "radio": "string_value",
    "selectbox": "string_value",
    "slider": "double_array_value",
    "number_input": "double_value",
    "checkbox": "bool_value",
    "text_input": "string_value",
    "text_area": "string_value",
}
TRIGGER_WIDGETS = frozenset({"button"})


def cookie_header(cookies: dict[str, str]) -> str:
    """A ``Cookie`` request header carrying ``cookies``.

    >>> cookie_header({"a": "1", "b": "2"})
    'a=1; b=2'
    """
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


class StreamlitClientError(RuntimeError):
    """The client cannot do what was asked (no such widget or page, not connected, a Streamlit
    release it was not checked against)."""


def check_streamlit_version() -> None:
    """Refuse an installed Streamlit outside :data:`SUPPORTED_STREAMLIT`.

    Raises
    ------
    StreamlitClientError
        When ``streamlit.__version__`` is outside the range, saying what to do about it.
    """
    if streamlit.__version__ not in SpecifierSet(SUPPORTED_STREAMLIT):
        raise StreamlitClientError(
            f"bench/support/streamlit_client.py copies the frontend of Streamlit "
            f"{SUPPORTED_STREAMLIT}, and this is Streamlit {streamlit.__version__}: its "
            "protocol client may send what this release's server ignores. Run "
            "tests/e2e/test_streamlit_client.py against it, bring the client in line with the "
            "new frontend, then widen SUPPORTED_STREAMLIT."
        )


@dataclass
class ClientError:
    """Something a student would have seen go wrong, or that the client could not do."""

    kind: str  # "exception element", "error alert", "compile error", "timeout", ...
    detail: str
    page: str


@dataclass
class RunResult:
    """One request's run: what caused it, how long until its script_finished, how it ended."""

    action: str
    seconds: float
    status: str  # see FINISH_STATUS, or "absorbed by a full run", "timeout", "disconnected"
    reruns: int = 0  # st.rerun() / interrupting reruns it went through before it finished

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES


@dataclass
class _PendingRun:
    """A request sent and not finished yet; `run_id` is set once its run has started."""

    action: str
    fragment_id: str  # "" for a full run
    sent_at: float
    done: asyncio.Future[RunResult]
    run_id: str | None = None
    reruns: int = 0


@dataclass
class _Rendered:
    """One element on the page, as the frontend keeps it."""

    element: Element
    run_id: str  # the run that sent it (stale once a later run of its scope finishes)
    fragment_id: str
    script_hash: str  # the script that made it (the main script's survive page changes)


@dataclass
class _CachedMessage:
    payload: bytes
    last_used_run: int
    fragment_id: str


@dataclass
class _AutoRerun:
    interval_s: float
    task: asyncio.Task[None]


@dataclass
class StreamlitClient:
    """One browser-less session of the app at `base_url` (e.g. "http://127.0.0.1:8501").

    Use ``async with StreamlitClient(url) as client:`` or :meth:`connect` / :meth:`close`.
    `on_run` is called with every finished :class:`RunResult` (fragment ticks included).
    """

    base_url: str
    name: str = "client"
    timeout_s: float = DEFAULT_TIMEOUT_S
    # The address's query ("class=ABC123"), sent with every run as the browser sends its URL's;
    # the app changes it (st.query_params) and a page switch clears it, as in the browser.
    query_string: str = ""
    on_run: Callable[[RunResult], None] | None = None
    # The browser's cookie jar: what it starts with (a tab reloaded keeps its cookies), then
    # what the server set on connecting.
    cookies: dict[str, str] = field(default_factory=dict)
    errors: list[ClientError] = field(default_factory=list)
    runs: list[RunResult] = field(default_factory=list)
    session_id: str = ""
    pages: dict[str, Any] = field(default_factory=dict)  # url path ("" for home) → AppPage
    # When each live (run_every) fragment was redrawn (perf_counter of the finish of a run that
    # drew it), by fragment id: how often the user really saw it change.
    fragment_refreshes: dict[str, list[float]] = field(default_factory=dict)
    page_script_hash: str = ""
    main_script_hash: str = ""
    # What came down the websocket: every ForwardMsg's bytes as sent (a message the tab already
    # holds comes as a small ref_hash), in all and by the kind of element a message carried.
    bytes_received: int = 0
    messages_received: int = 0  # ForwardMsgs, however small: a rerun loop shows here first
    bytes_by_element: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_streamlit_version()
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False
        self._pending: list[_PendingRun] = []
        self._rendered: dict[tuple[int, ...], _Rendered] = {}
        self._widget_values: dict[str, WidgetState] = {}  # what the frontend holds
        self._form_pending: dict[str, dict[str, WidgetState]] = {}  # form id → uncommitted
        self._message_cache: dict[str, _CachedMessage] = {}
        self._run_count = 0  # the frontend's script-run counter for cache expiry
        self._max_cached_message_age = DEFAULT_MAX_CACHED_MESSAGE_AGE
        self._auto_reruns: dict[str, _AutoRerun] = {}
        self._tick_watchers: set[asyncio.Task[RunResult]] = set()
        self._current_run_id = ""
        self._current_fragment_ids: tuple[str, ...] = ()
        self._current_run_started = 0.0
        self._path = "/"

    # --- connection --------------------------------------------------------------------------

    async def __aenter__(self) -> StreamlitClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self, path: str = "/") -> RunResult:
        """Open the app at `path` ("/" or a page's URL path) and wait for its first run."""
        self._path = "/" + path.strip("/")
        cookies = self.cookies = await asyncio.to_thread(self._fetch_cookies)
        xsrf_token = cookies.get(XSRF_COOKIE)
        parts = urlsplit(self.base_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        ws_url = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/_stcore/stream"
        # Every cookie back, as a browser does: behind cnnviz.serve's proxy one names the
        # Streamlit process that holds this session.
        headers = {"Cookie": cookie_header(cookies)} if cookies else {}
        self._socket = await asyncio.wait_for(
            websockets.connect(
                ws_url,
                subprotocols=["streamlit", xsrf_token or "PLACEHOLDER_AUTH_TOKEN"],  # type: ignore[list-item]
                additional_headers=headers,
                origin=origin,  # type: ignore[arg-type]
                max_size=None,  # a run's plotly figures come in large frames
                ping_interval=None,  # the browser does not ping either
            ),
            timeout=self.timeout_s,
        )
        self._reader = asyncio.create_task(self._read_forever(), name=f"{self.name}-reader")
        # Like the frontend on load: no page hash yet, the URL path names the page.
        return await self._request_run(
            action="first load", page_name=self._path.strip("/"), widget_states=[]
        )

    def _fetch_cookies(self) -> dict[str, str]:
        """GET /_stcore/health and /_stcore/host-config as the frontend does; the cookies set
        (Streamlit's XSRF cookie, and a proxy's sticky-session cookie when there is one)."""
        cookies = dict(self.cookies)
        for endpoint in ("/_stcore/health", "/_stcore/host-config"):
            request = urllib.request.Request(self.base_url.rstrip("/") + endpoint)
            if cookies:
                request.add_header("Cookie", cookie_header(cookies))
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                response.read()
                for header in response.headers.get_all("Set-Cookie") or []:
                    cookie = SimpleCookie()
                    cookie.load(header)
                    cookies |= {name: morsel.value for name, morsel in cookie.items()}
        return cookies

    async def close(self) -> None:
        """Close the websocket (the server then drops the session) and stop every timer."""
        self._closing = True
        for auto in self._auto_reruns.values():
            auto.task.cancel()
        self._auto_reruns.clear()
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._socket.close(), timeout=5)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        for watcher in list(self._tick_watchers):
            watcher.cancel()
        for pending in self._pending:
            if not pending.done.done():
                pending.done.cancel()
        self._pending.clear()

    @property
    def page(self) -> str:
        """The current page's URL path ("" for the default page)."""
        for path, app_page in self.pages.items():
            if app_page.page_script_hash == self.page_script_hash:
                return path
        return self._path.strip("/")

    # --- actions, as a user does them -------------------------------------------------------

    async def open_page(self, title_or_path: str) -> RunResult:
        """Click the page's link in the sidebar navigation (by its title or URL path)."""
        app_page = self._find_page(title_or_path)
        self._cancel_auto_reruns()
        self.query_string = ""  # the navigation's link is the page's path alone
        # Only the main script's elements survive a page change, and so only their widgets.
        survivors = {
            rendered.element_id
            for rendered in self._rendered_widgets()
            if rendered.script_hash == self.main_script_hash
        }
        self._rendered = {
            path: rendered
            for path, rendered in self._rendered.items()
            if rendered.script_hash == self.main_script_hash
        }
        states = [state for wid, state in self._widget_values.items() if wid in survivors]
        return await self._request_run(
            action=f"open {app_page.page_name}",
            page_script_hash=app_page.page_script_hash,
            widget_states=states,
        )

    async def set_value(self, label: str, value: Any) -> RunResult | None:
        """Change the widget labelled `label` to `value` (an option's label for a radio or a
        selectbox, a number, a bool, a (low, high) pair for a range slider).

        Outside a form this reruns (returns its result); inside a form the change waits for the
        form's submit button, as in the browser (returns None).
        """
        element = self.widget(label)
        kind = element.WhichOneof("type")
        proto = getattr(element, kind)
        state = WidgetState(id=proto.id)
        field_name = VALUE_WIDGETS.get(kind or "")
        if field_name is None:
            raise StreamlitClientError(f"{label!r} is a {kind}, not a value widget")
        if kind in ("radio", "selectbox"):
            if value not in list(proto.options):
                raise StreamlitClientError(f"{label!r} has no option {value!r}: {proto.options}")
            state.string_value = value
        elif kind == "slider":
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            state.double_array_value.data.extend(float(v) for v in values)
        elif kind == "number_input":
            state.double_value = float(value)
        elif kind == "checkbox":
            state.bool_value = bool(value)
        else:
            state.string_value = str(value)
        if proto.form_id:
            self._form_pending.setdefault(proto.form_id, {})[proto.id] = state
            return None
        self._widget_values[proto.id] = state
        return await self._request_run(
            action=f"set {label}",
            widget_states=self._all_widget_states(),
            fragment_id=self._fragment_of(proto.id),
        )

    async def click(self, label: str) -> RunResult:
        """Press the button labelled `label` (a form's submit button submits its form)."""
        element = self.widget(label)
        if element.WhichOneof("type") not in TRIGGER_WIDGETS:
            raise StreamlitClientError(f"{label!r} is not a button")
        button = element.button
        if button.disabled:
            raise StreamlitClientError(f"button {label!r} is disabled")
        trigger = WidgetState(id=button.id, trigger_value=True)
        if button.is_form_submitter:
            # WidgetStateManager.submitForm: the form's pending values become the held values.
            self._widget_values.update(self._form_pending.pop(button.form_id, {}))
        # A trigger is sent once, with every held value, and is not held afterwards.
        states = [s for wid, s in self._widget_values.items() if wid != button.id]
        return await self._request_run(
            action=f"click {label}",
            widget_states=[*states, trigger],
            fragment_id=self._fragment_of(button.id),
        )

    async def set_component_state(self, component_name: str, key: str, value: Any) -> RunResult:
        """What a components-v2 component's ``setStateValue(key, value)`` does: merge `key`
        into the component's JSON state and rerun (e.g. the drawing canvas's "drawing")."""
        for rendered in self._rendered.values():
            element = rendered.element
            if element.WhichOneof("type") != "bidi_component":
                continue
            component = element.bidi_component
            if component_name not in component.component_name:
                continue
            held = self._widget_values.get(component.id)
            current = json.loads(held.json_value) if held and held.json_value else {}
            state = WidgetState(id=component.id, json_value=json.dumps({**current, key: value}))
            if component.form_id:
                self._form_pending.setdefault(component.form_id, {})[component.id] = state
            self._widget_values[component.id] = state
            return await self._request_run(
                action=f"component {key}",
                widget_states=self._all_widget_states(),
                fragment_id=self._fragment_of(component.id),
            )
        raise StreamlitClientError(f"no component {component_name!r} on page {self.page!r}")

    async def wait_auto_reruns(self, count: int) -> list[RunResult]:
        """Wait until `count` more fragment auto-reruns have finished (for a page with a timer)."""
        start = len(self.runs)
        deadline = time.monotonic() + self.timeout_s * max(count, 1)
        while sum(1 for run in self.runs[start:] if run.action.startswith("auto")) < count:
            if not self._auto_reruns:
                break
            if time.monotonic() > deadline:
                raise StreamlitClientError(f"{count} auto-reruns did not come in time")
            await asyncio.sleep(0.1)
        return [run for run in self.runs[start:] if run.action.startswith("auto")]

    # --- what the page shows -----------------------------------------------------------------

    def elements(self, kind: str | None = None) -> list[Element]:
        """The page's elements in page order, optionally only one kind ("metric", "alert"...)."""
        ordered = [self._rendered[path].element for path in sorted(self._rendered)]
        return [e for e in ordered if kind is None or e.WhichOneof("type") == kind]

    def widget(self, label: str) -> Element:
        """The first element on the page with a widget id and this label."""
        for element in self.elements():
            proto = getattr(element, element.WhichOneof("type") or "", None)
            if proto is not None and getattr(proto, "label", None) == label:
                if getattr(proto, "id", ""):
                    return element
        raise StreamlitClientError(f"no widget labelled {label!r} on page {self.page!r}")

    def choice(self, label: str) -> str:
        """The option this tab shows as chosen in the radio or selectbox labelled `label`."""
        element = self.widget(label)
        proto = getattr(element, element.WhichOneof("type"))
        held = self._widget_values.get(proto.id)
        if held is not None and held.HasField("string_value"):
            return held.string_value
        return proto.options[proto.default]

    def metric(self, label: str) -> str | None:
        """The body (value) of the st.metric labelled `label`, or None if there is none."""
        for element in self.elements("metric"):
            if element.metric.label == label:
                return element.metric.body
        return None

    def texts(self) -> list[str]:
        """Markdown, headings, alerts and captions on the page: what a student reads."""
        found = []
        for element in self.elements():
            kind = element.WhichOneof("type")
            if kind in ("markdown", "alert", "heading", "text"):
                found.append(getattr(element, kind).body)
        return found

    @property
    def auto_rerun_fragments(self) -> list[str]:
        return list(self._auto_reruns)

    # --- requests and their runs -------------------------------------------------------------

    async def _request_run(
        self,
        *,
        action: str,
        widget_states: list[WidgetState],
        page_script_hash: str | None = None,
        page_name: str = "",
        fragment_id: str = "",
    ) -> RunResult:
        """Send a rerun request and wait for the run it causes to finish."""
        pending = await self._send_rerun(
            action=action,
            widget_states=widget_states,
            page_script_hash=page_script_hash,
            page_name=page_name,
            fragment_id=fragment_id,
        )
        return await self._await_run(pending)

    async def _send_rerun(
        self,
        *,
        action: str,
        widget_states: list[WidgetState],
        page_script_hash: str | None = None,
        page_name: str = "",
        fragment_id: str = "",
        is_auto_rerun: bool = False,
    ) -> _PendingRun:
        """Send a rerun_script BackMsg the way App.sendRerunBackMsg builds it."""
        if self._socket is None:
            raise StreamlitClientError("not connected")
        if page_script_hash is None:
            page_script_hash = self.page_script_hash
        client_state = ClientState(
            query_string=self.query_string,
            page_script_hash=page_script_hash,
            page_name=page_name,
            fragment_id=fragment_id,
            is_auto_rerun=is_auto_rerun,
            cached_message_hashes=list(self._message_cache),
        )
        client_state.widget_states.widgets.extend(widget_states)
        context = client_state.context_info
        context.timezone = "UTC"
        context.timezone_offset = 0
        context.locale = "en-US"
        context.url = self.base_url.rstrip("/") + self._path
        if self.query_string:
            context.url += "?" + self.query_string
        context.is_embedded = False
        context.color_scheme = "light"
        message = BackMsg()
        message.rerun_script.CopyFrom(client_state)
        pending = _PendingRun(
            action=action,
            fragment_id=fragment_id,
            sent_at=time.perf_counter(),
            done=asyncio.get_running_loop().create_future(),
        )
        self._pending.append(pending)
        try:
            await self._socket.send(message.SerializeToString())
        except websockets.ConnectionClosed as error:
            self._pending.remove(pending)
            self._error("disconnected", f"{action}: websocket closed ({error})")
            self._finish(pending, "disconnected")
        return pending

    async def _await_run(
        self, pending: _PendingRun, timeout_s: float | None = None, timeout_is_error: bool = True
    ) -> RunResult:
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        try:
            return await asyncio.wait_for(asyncio.shield(pending.done), timeout=timeout_s)
        except TimeoutError:
            if pending in self._pending:
                self._pending.remove(pending)
            if timeout_is_error:
                self._error("timeout", f"{pending.action}: no script_finished in {timeout_s} s")
            return self._finish(pending, "timeout")

    def _finish(self, pending: _PendingRun, status: str) -> RunResult:
        result = RunResult(
            action=pending.action,
            seconds=time.perf_counter() - pending.sent_at,
            status=status,
            reruns=pending.reruns,
        )
        if not pending.done.done():
            pending.done.set_result(result)
        self.runs.append(result)
        if self.on_run is not None:
            self.on_run(result)
        if status in ("compile error", "error"):
            self._error(status, f"{pending.action}: the run ended with {status}")
        return result

    # --- the message stream ------------------------------------------------------------------

    async def _read_forever(self) -> None:
        try:
            async for payload in self._socket:
                if isinstance(payload, str):
                    self._error("protocol", "text frame from the server")
                    continue
                self._on_payload(payload)
        except websockets.ConnectionClosed as error:
            if not self._closing:
                self._error("disconnected", f"websocket closed by the server ({error})")
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug here must not pass silently as a timeout
            self._error("client bug", f"{type(error).__name__}: {error}")
        finally:
            if not self._closing:
                for pending in list(self._pending):
                    self._finish(pending, "disconnected")
                self._pending.clear()

    def _on_payload(self, payload: bytes) -> None:
        message = ForwardMsg()
        message.ParseFromString(payload)
        kind = message.WhichOneof("type")
        self.bytes_received += len(payload)
        self.messages_received += 1
        if kind == "ref_hash":  # ForwardMsgCache.processMessagePayload
            cached = self._message_cache.get(message.ref_hash)
            if cached is None:
                self._error("protocol", f"cached message {message.ref_hash} missing")
                return
            cached.last_used_run = self._run_count
            metadata = message.metadata
            message = ForwardMsg()
            message.ParseFromString(cached.payload)
            message.metadata.CopyFrom(metadata)
            kind = message.WhichOneof("type")
        elif message.metadata.cacheable and message.hash not in self._message_cache:
            self._message_cache[message.hash] = _CachedMessage(
                payload, self._run_count, message.delta.fragment_id
            )
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element_kind = message.delta.new_element.WhichOneof("type") or "unknown"
            self.bytes_by_element[element_kind] = self.bytes_by_element.get(element_kind, 0) + len(
                payload
            )
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(message)

    def _on_new_session(self, message: ForwardMsg) -> None:
        new_session = message.new_session
        run_id = message.metadata.run.script_run_id
        fragment_ids = tuple(message.metadata.run.fragment_ids)
        if new_session.HasField("initialize") and new_session.initialize.session_id:
            self.session_id = new_session.initialize.session_id
        self._current_run_id, self._current_fragment_ids = run_id, fragment_ids
        self._current_run_started = time.perf_counter()
        if not fragment_ids:  # a full run: the frontend stops every fragment timer
            self._cancel_auto_reruns()
            if new_session.config.max_cached_message_age:
                self._max_cached_message_age = new_session.config.max_cached_message_age
            self.main_script_hash = new_session.main_script_hash
            if new_session.page_script_hash != self.page_script_hash:
                # Another page: the frontend clears the page (main-script elements stay).
                self._rendered = {
                    path: r
                    for path, r in self._rendered.items()
                    if r.script_hash == self.main_script_hash
                }
            self.page_script_hash = new_session.page_script_hash
        for pending in self._pending:
            if pending.run_id is not None:
                if not fragment_ids:
                    # With runner.fastReruns (the default) a full rerun request stops the
                    # running ScriptRunner and starts a new one; the old run never sends its
                    # script_finished. The user's request is now served by this full run.
                    pending.run_id, pending.fragment_id = run_id, ""
                    pending.reruns += 1
                continue
            if (not fragment_ids and not pending.fragment_id) or (
                pending.fragment_id and pending.fragment_id in fragment_ids
            ):
                pending.run_id = run_id

    def _on_page_info_changed(self, message: ForwardMsg) -> None:
        """The app set its query parameters: the browser's address now carries them."""
        self.query_string = message.page_info_changed.query_string

    def _on_navigation(self, message: ForwardMsg) -> None:
        self.pages = {page.url_pathname: page for page in message.navigation.app_pages}
        if message.navigation.page_script_hash:
            self.page_script_hash = message.navigation.page_script_hash

    def _on_delta(self, message: ForwardMsg) -> None:
        delta = message.delta
        path = tuple(message.metadata.delta_path)
        if delta.WhichOneof("type") != "new_element":
            return  # blocks hold no content of their own; their elements come as deltas
        element = delta.new_element
        self._rendered[path] = _Rendered(
            element=element,
            run_id=self._current_run_id,
            fragment_id=delta.fragment_id,
            script_hash=message.metadata.active_script_hash,
        )
        self._mount_widget(element)
        self._check_element(element)

    def _on_script_finished(self, message: ForwardMsg) -> None:
        status = FINISH_STATUS.get(message.script_finished, "unknown")
        run_id = message.metadata.run.script_run_id
        if not run_id:  # the server failed to handle a request: every waiting run ends
            for pending in list(self._pending):
                self._pending.remove(pending)
                self._finish(pending, "error")
            return
        if status in ("success", "fragment success"):
            self._drop_stale(run_id, status == "fragment success")
            self._age_message_cache()
        # A live fragment is redrawn by its own runs and by every full run (which also starts
        # its timer: the AutoRerun message came during the run).
        redrawn = {
            "fragment success": self._current_fragment_ids,
            "success": tuple(self._auto_reruns),
        }.get(status, ())
        for fragment_id in redrawn:
            self.fragment_refreshes.setdefault(fragment_id, []).append(time.perf_counter())
        for pending in list(self._pending):
            if pending.run_id != run_id:
                continue
            if status == "rerun":
                # The run stopped early for another: the request goes on in the next run that
                # covers it. A full run ends so for st.rerun() (app scope, as this app uses
                # it) or a newer full request: the next full run. A fragment run ends so when
                # newer requests for fragments are queued behind it (auto-rerun ticks that
                # piled up): the next run of that fragment, or a full run (see below).
                pending.run_id = None
                if not self._current_fragment_ids:
                    pending.fragment_id = ""
                pending.reruns += 1
                continue
            self._pending.remove(pending)
            self._finish(pending, status)
        if status == "success":
            # A fragment request sent before this full run began was folded into it (the server
            # merges a queued fragment rerun into a full one); the full run redrew the fragment.
            for pending in list(self._pending):
                if pending.fragment_id and pending.run_id is None:
                    if pending.sent_at < self._current_run_started:
                        self._pending.remove(pending)
                        self._finish(pending, "absorbed by a full run")

    def _on_auto_rerun(self, message: ForwardMsg) -> None:
        """App.handleAutoRerun: a timer re-requests the fragment every interval."""
        fragment_id, interval_s = message.auto_rerun.fragment_id, message.auto_rerun.interval
        if not fragment_id:
            return
        existing = self._auto_reruns.get(fragment_id)
        if existing is not None and existing.interval_s == interval_s:
            return
        if existing is not None:
            existing.task.cancel()
        task = asyncio.create_task(self._auto_rerun_timer(fragment_id, interval_s))
        self._auto_reruns[fragment_id] = _AutoRerun(interval_s, task)

    def _on_stop_auto_rerun(self, message: ForwardMsg) -> None:
        for fragment_id in message.stop_auto_rerun.fragment_ids:
            auto = self._auto_reruns.pop(fragment_id, None)
            if auto is not None:
                auto.task.cancel()

    def _on_session_event(self, message: ForwardMsg) -> None:
        event = message.session_event
        if event.WhichOneof("type") == "script_compilation_exception":
            exception = event.script_compilation_exception
            self._error("compile error", f"{exception.type}: {exception.message}")

    def _on_page_not_found(self, message: ForwardMsg) -> None:
        self._error("page not found", message.page_not_found.page_name)

    # --- helpers -----------------------------------------------------------------------------

    async def _auto_rerun_timer(self, fragment_id: str, interval_s: float) -> None:
        """setInterval(() => widgetMgr.sendUpdateWidgetsMessage(fragmentId, true), interval):
        each tick is sent without waiting for the previous one, as in the browser."""
        while not self._closing:
            await asyncio.sleep(interval_s)
            pending = await self._send_rerun(
                action="auto-rerun (fragment)",
                widget_states=self._all_widget_states(),
                fragment_id=fragment_id,
                is_auto_rerun=True,
            )
            # A tick is a background request, merged by the server with any tick still queued:
            # its latency is recorded however long it takes (up to TICK_TIMEOUT_FACTOR × the
            # action timeout); what a user would see stall is the refresh interval, see
            # `fragment_refreshes`.
            watcher = asyncio.create_task(
                self._await_run(
                    pending, self.timeout_s * TICK_TIMEOUT_FACTOR, timeout_is_error=False
                )
            )
            self._tick_watchers.add(watcher)
            watcher.add_done_callback(self._tick_watchers.discard)

    def _cancel_auto_reruns(self) -> None:
        for auto in self._auto_reruns.values():
            auto.task.cancel()
        self._auto_reruns.clear()

    def _mount_widget(self, element: Element) -> None:
        """A widget reports its value when it mounts (or when the server sets it): hold it."""
        kind = element.WhichOneof("type") or ""
        field_name = VALUE_WIDGETS.get(kind)
        if field_name is None:
            return
        proto = getattr(element, kind)
        if not proto.id or (proto.id in self._widget_values and not proto.set_value):
            return
        state = WidgetState(id=proto.id)
        if kind in ("radio", "selectbox"):
            if proto.set_value and proto.raw_value:
                state.string_value = proto.raw_value
            elif proto.HasField("default") and 0 <= proto.default < len(proto.options):
                state.string_value = proto.options[proto.default]
            else:
                return
        elif kind == "slider":
            values = proto.value if proto.set_value else proto.default
            if proto.type == proto.SELECT_SLIDER:  # the frontend sends its options' labels
                state.string_array_value.data.extend(proto.options[int(v)] for v in values)
            else:
                state.double_array_value.data.extend(values)
        elif kind == "number_input":
            if proto.set_value and proto.HasField("value"):
                state.double_value = proto.value
            elif proto.HasField("default"):
                state.double_value = proto.default
            else:
                return  # no value yet: the frontend holds none either
        elif kind == "checkbox":
            state.bool_value = proto.value if proto.set_value else proto.default
        else:
            value = proto.value if proto.set_value else proto.default
            if not value:
                return
            state.string_value = value
        self._widget_values[proto.id] = state

    def _check_element(self, element: Element) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            exception = element.exception
            detail = f"{exception.type}: {exception.message}".strip()
            self._error("exception element", detail[:500])
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            if CRASH_TEXT.search(element.alert.body):
                self._error("error alert", element.alert.body[:500])

    def _rendered_widgets(self) -> list[Any]:
        found = []
        for rendered in self._rendered.values():
            kind = rendered.element.WhichOneof("type") or ""
            widget_id = getattr(getattr(rendered.element, kind, None), "id", "")
            if widget_id:
                found.append(_WidgetRef(widget_id, rendered.script_hash))
        return found

    def _all_widget_states(self) -> list[WidgetState]:
        return list(self._widget_values.values())

    def _fragment_of(self, widget_id: str) -> str:
        """A widget inside a fragment reruns only that fragment (the frontend sends its id)."""
        for rendered in self._rendered.values():
            kind = rendered.element.WhichOneof("type") or ""
            if getattr(getattr(rendered.element, kind, None), "id", "") == widget_id:
                return rendered.fragment_id
        return ""

    def _drop_stale(self, run_id: str, fragment_run: bool) -> None:
        """clearStaleNodes: after a run, what it did not (re)send is gone; after a fragment
        run, only that fragment's old elements are. Widget values of gone widgets go too."""
        fragment_ids = set(self._current_fragment_ids) if fragment_run else None
        for path, rendered in list(self._rendered.items()):
            if rendered.run_id == run_id:
                continue
            if fragment_ids is None or rendered.fragment_id in fragment_ids:
                del self._rendered[path]
        if not fragment_run:  # WidgetStateManager.removeInactive
            active = {ref.element_id for ref in self._rendered_widgets()}
            self._widget_values = {
                wid: state for wid, state in self._widget_values.items() if wid in active
            }

    def _age_message_cache(self) -> None:
        """ForwardMsgCache.incrementRunCount: forget messages unused for too many runs."""
        self._run_count += 1
        fragment_ids = set(self._current_fragment_ids)
        for message_hash, cached in list(self._message_cache.items()):
            if fragment_ids and cached.fragment_id not in fragment_ids:
                continue
            if self._run_count - cached.last_used_run > self._max_cached_message_age:
                del self._message_cache[message_hash]

    def _find_page(self, title_or_path: str) -> Any:
        wanted = title_or_path.strip("/")
        for path, app_page in self.pages.items():
            if wanted in (path, app_page.page_name):
                return app_page
        raise StreamlitClientError(f"no page {title_or_path!r}: {sorted(self.pages)}")

    def _error(self, kind: str, detail: str) -> None:
        self.errors.append(ClientError(kind=kind, detail=detail, page=self.page))


@dataclass(frozen=True)
class _WidgetRef:
    element_id: str
    script_hash: str


# --- a drawn digit, as the canvas sends it ---------------------------------------------------


def stroke_png_data_url(
    size: int = 280, x_fraction: float = 0.5, width: int = 20, background: str = "#000000"
) -> str:
    """A PNG data URL of a thick white vertical stroke (a "1") on an opaque `background`, as
    fabric's ``canvas.toDataURL({format: "png"})`` returns it for the "White on black" ink."""
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), background)
    draw = ImageDraw.Draw(image)
    x = round(size * x_fraction)
    top, bottom = round(size * 0.2), round(size * 0.8)
    draw.line([(x, top), (x, bottom)], fill="#FFFFFF", width=width)
    for y in (top, bottom):  # round caps, like fabric's freedraw brush
        draw.ellipse([x - width // 2, y - width // 2, x + width // 2, y + width // 2], "#FFFFFF")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def stroke_fabric_json(
    size: int = 280, x_fraction: float = 0.5, width: int = 20, background: str = "#000000"
) -> dict[str, Any]:
    """The fabric.js JSON (``canvas.toObject()``) of the same stroke: one freedraw Path."""
    x = size * x_fraction
    top, bottom = size * 0.2, size * 0.8
    return {
        "version": "6.7.1",
        "objects": [
            {
                "type": "Path",
                "version": "6.7.1",
                "originX": "left",
                "originY": "top",
                "left": x - width / 2,
                "top": top - width / 2,
                "width": 0,
                "height": bottom - top,
                "fill": None,
                "stroke": "#FFFFFF",
                "strokeWidth": width,
                "strokeLineCap": "round",
                "strokeLineJoin": "round",
                "path": [["M", x, top], ["Q", x, (top + bottom) / 2, x, bottom], ["L", x, bottom]],
            }
        ],
        "background": background,
    }


def canvas_drawing(x_fraction: float = 0.5, width: int = 20) -> dict[str, Any]:
    """The value streamlit-drawable-canvas 0.13 stores under its "drawing" state key."""
    return {
        "raw": stroke_fabric_json(x_fraction=x_fraction, width=width),
        "data": stroke_png_data_url(x_fraction=x_fraction, width=width),
    }
