"""The join link's address (cnnviz.classroom.address): reachable, found without traffic."""

from __future__ import annotations

import socket

import pytest

from cnnviz.classroom import address


class RecordingSocket:
    """A socket that records what is done to it and sends nothing (any send would fail the test)."""

    def __init__(self, calls: list, local: str | None, family: int, kind: int) -> None:
        self.calls, self.local = calls, local
        calls.append(("socket", family, kind))

    def connect(self, destination) -> None:
        self.calls.append(("connect", destination))
        if self.local is None:
            raise OSError(101, "Network is unreachable")

    def getsockname(self):
        self.calls.append(("getsockname",))
        return (self.local, 40000)

    def close(self) -> None:
        self.calls.append(("close",))

    def __getattr__(self, name):
        raise AssertionError(f"network_address used socket.{name}: it must send nothing")


def recording(calls: list, local: str | None):
    return lambda family, kind: RecordingSocket(calls, local, family, kind)


def no_resolver(*_):
    raise AssertionError("the resolver is not needed when the route gives an address")


def test_the_network_address_is_the_default_routes_interface_and_no_packet_is_sent():
    calls: list = []
    found = address.network_address(recording(calls, "192.168.1.23"), resolve=no_resolver)
    assert found == "192.168.1.23"
    assert calls == [
        ("socket", socket.AF_INET, socket.SOCK_DGRAM),  # UDP: connect() has no handshake
        ("connect", address.ROUTE_PROBE),
        ("getsockname",),
        ("close",),
    ]
    # The probe names no real host: a documentation address (RFC 5737's TEST-NET-1).
    assert address.ROUTE_PROBE[0].startswith("192.0.2.")


def test_without_a_default_route_the_host_names_non_loopback_address_is_used():
    resolved = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.1.1", 0)),  # Debian's /etc/hosts
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.0.7", 0)),
    ]
    found = address.network_address(
        recording([], None), resolve=lambda *_: resolved, hostname=lambda: "classroom-pc"
    )
    assert found == "10.20.0.7"


def test_a_machine_with_only_loopback_has_no_network_address():
    only_loopback = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.1.1", 0))]
    calls: list = []
    found = address.network_address(
        recording(calls, "127.0.0.1"), resolve=lambda *_: only_loopback, hostname=lambda: "pc"
    )
    assert found is None
    assert [call[0] for call in calls] == ["socket", "connect", "getsockname", "close"]

    def unresolvable(*_):
        raise socket.gaierror("no such host")

    assert address.network_address(recording([], None), resolve=unresolvable) is None


def test_a_teacher_on_the_local_url_gets_the_machines_address_with_the_port_and_base_path():
    link = address.student_address(
        "http://127.0.0.1:8501/classroom",
        port=8501,
        base_url_path="/cnnviz/",
        local_address=lambda: "192.168.1.23",
        environ={},
    )
    assert link == address.StudentAddress("http://192.168.1.23:8501/cnnviz", None)
    # Under python -m cnnviz.serve the teacher reached HAProxy's port, not the process's own.
    served = address.student_address(
        "http://localhost:8600/", port=9001, local_address=lambda: "10.0.0.5", environ={}
    )
    assert served.base_url == "http://10.0.0.5:8600"


@pytest.mark.parametrize(
    "teacher_url", ["http://10.0.0.5:8501/classroom", "https://class.example/"]
)
def test_a_teacher_who_reached_the_server_over_the_network_keeps_that_address(teacher_url):
    link = address.student_address(
        teacher_url, port=8501, local_address=lambda: pytest.fail("not needed"), environ={}
    )
    assert link.base_url == teacher_url.rsplit("/", 1)[0].rstrip("/")
    assert link.warning is None


def test_a_configured_public_url_wins_behind_a_proxy():
    link = address.student_address(
        "http://127.0.0.1:8501/",
        port=8501,
        local_address=lambda: "10.0.0.5",
        environ={address.PUBLIC_URL_ENV: "https://cnnviz.school.example/lesson/"},
    )
    assert link == address.StudentAddress("https://cnnviz.school.example/lesson", None)


def test_only_loopback_keeps_the_link_and_says_students_cannot_open_it():
    link = address.student_address(
        "http://127.0.0.1:8501/", port=8501, local_address=lambda: None, environ={}
    )
    assert link.base_url == "http://127.0.0.1:8501"
    assert link.warning == address.NO_NETWORK
    assert "no network address" in link.warning and address.PUBLIC_URL_ENV in link.warning


def test_a_server_listening_on_loopback_only_says_so():
    link = address.student_address(
        "http://127.0.0.1:8501/",
        port=8501,
        server_address="127.0.0.1",
        local_address=lambda: "10.0.0.5",
        environ={},
    )
    assert "listens on this computer only" in link.warning
