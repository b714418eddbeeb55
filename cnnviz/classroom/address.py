"""The address students join at: one their devices can open, not the teacher's ``127.0.0.1``.

A teacher who opened the Local URL (``http://127.0.0.1:8501``) sees that address in the browser,
and no student's device can open it. :func:`student_address` builds the link's base from, in
this order: a public URL configured for a server behind a proxy (``CNNVIZ_PUBLIC_URL``); the
teacher's own address when it is not this machine's loopback (the teacher already reached the
server the way students will); else this machine's network address (:func:`network_address`)
with the port the teacher reached and Streamlit's ``server.baseUrlPath``. When the machine has no
network address the result says so, for the teacher's screen. Nothing here imports streamlit.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "NO_NETWORK",
    "PUBLIC_URL_ENV",
    "StudentAddress",
    "network_address",
    "student_address",
]

PUBLIC_URL_ENV = "CNNVIZ_PUBLIC_URL"  # e.g. https://cnnviz.school.example/ behind a proxy
# A documentation address (RFC 5737, TEST-NET-1), so no real host is named; a UDP connect() to it
# sends nothing, it only asks the routing table which interface would send there.
ROUTE_PROBE = ("192.0.2.1", 9)
NO_NETWORK = (
    "This computer has no network address (only its own loopback, 127.0.0.1): students' "
    "devices cannot open this link. Connect it to the class's network (Wi-Fi or cable) and "
    f"reload this page, or set {PUBLIC_URL_ENV} to the address students use."
)
LISTENS_LOCALLY = (
    "This server listens on this computer only (server.address {address}): students' devices "
    "cannot reach it. Start it without --server.address, or with the machine's network address."
)


@dataclass(frozen=True)
class StudentAddress:
    """The base of the join link (scheme, host, port and base path) and what the teacher must
    know about it: ``warning`` is None when students can open it."""

    base_url: str
    warning: str | None


def _is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only ("localhost", 127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reachable_ipv4(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return parsed.version == 4 and not (parsed.is_loopback or parsed.is_unspecified)


def network_address(
    socket_factory: Callable[..., socket.socket] = socket.socket,
    resolve: Callable[..., list] = socket.getaddrinfo,
    hostname: Callable[[], str] = socket.gethostname,
) -> str | None:
    """This machine's IPv4 address on its network, or None when it has only loopback.

    First the interface of the default route: ``connect()`` on a UDP socket sends no packet (UDP
    has no handshake; it only fixes the socket's destination and, with it, the local address the
    routing table chooses), and ``getsockname()`` reads that address. It is the interface the
    students' devices on the same network reach. A machine on a network without a default route
    (a classroom's own Wi-Fi with no internet) has no route for the probe: then its host name's
    addresses, as the resolver lists them, skipping loopback ones (Debian maps the host name to
    127.0.1.1).

    The three arguments are the socket functions, replaceable in tests.
    """
    probe = socket_factory(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(ROUTE_PROBE)
        local = probe.getsockname()[0]
    except OSError:
        local = None
    finally:
        probe.close()
    if local is not None and _reachable_ipv4(local):
        return local
    try:
        found = resolve(hostname(), None, socket.AF_INET)
    except OSError:
        return None
    for *_, socket_address in found:
        if _reachable_ipv4(socket_address[0]):
            return socket_address[0]
    return None


def _base_path(base_url_path: str) -> str:
    """Streamlit's ``server.baseUrlPath`` ("cnnviz", "/cnnviz/", "") as "/cnnviz" or ""."""
    stripped = base_url_path.strip("/")
    return f"/{stripped}" if stripped else ""


def student_address(
    browser_url: str | None,
    *,
    port: int,
    base_url_path: str = "",
    server_address: str = "",
    local_address: Callable[[], str | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> StudentAddress:
    """The base of the join link that students' devices can open.

    Parameters
    ----------
    browser_url
        The page's address in the teacher's browser (None when unknown).
    port
        Streamlit's ``server.port``: used when the teacher's address names no port.
    base_url_path
        Streamlit's ``server.baseUrlPath``.
    server_address
        Streamlit's ``server.address`` (empty: it listens on every interface).
    local_address
        Finds this machine's network address (:func:`network_address` when None).
    environ
        Where ``CNNVIZ_PUBLIC_URL`` is read (the process environment by default).

    >>> student_address("http://127.0.0.1:8501/classroom", port=8501,
    ...                 local_address=lambda: "10.0.0.5").base_url
    'http://10.0.0.5:8501'
    >>> student_address("http://10.0.0.5:8501/classroom", port=8501, base_url_path="cnnviz",
    ...                 local_address=lambda: None).base_url
    'http://10.0.0.5:8501/cnnviz'
    >>> student_address("http://localhost:8501/", port=8501,
    ...                 local_address=lambda: None).warning == NO_NETWORK
    True
    """
    public = (os.environ if environ is None else environ).get(PUBLIC_URL_ENV, "").strip()
    if public:
        return StudentAddress(public.rstrip("/"), None)
    parts = urlsplit(browser_url or f"http://localhost:{port}/")
    scheme = parts.scheme or "http"
    path = _base_path(base_url_path)
    if server_address and _is_loopback(server_address):
        warning = LISTENS_LOCALLY.format(address=server_address)
        return StudentAddress(f"{scheme}://{parts.netloc}{path}", warning)
    if not _is_loopback(parts.hostname or "localhost"):
        return StudentAddress(f"{scheme}://{parts.netloc}{path}", None)
    # The port the teacher reached (HAProxy's, under `python -m cnnviz.serve`), else Streamlit's.
    reached = parts.port or port
    address = (local_address or network_address)()
    if address is None:
        return StudentAddress(f"{scheme}://{parts.netloc}{path}", NO_NETWORK)
    return StudentAddress(f"{scheme}://{address}:{reached}{path}", None)
