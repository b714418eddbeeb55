"""The serve command's pieces that need no running server (the e2e test runs it for real)."""

import shutil
import subprocess

import pytest

from cnnviz import serve
from cnnviz.serve import Backend, haproxy_config


def test_the_proxy_sticks_by_cookie_checks_health_and_keeps_websockets_open():
    text = haproxy_config([Backend("s1", 9001), Backend("s2", 9002)], host="0.0.0.0", port=8501)
    assert "bind 0.0.0.0:8501" in text
    assert f"cookie {serve.SERVER_COOKIE} insert indirect nocache" in text
    assert "server s1 127.0.0.1:9001 cookie s1" in text
    assert "server s2 127.0.0.1:9002 cookie s2" in text
    assert f"http-check send meth GET uri {serve.HEALTH_PATH}" in text
    assert f"timeout tunnel {serve.TUNNEL_TIMEOUT}" in text  # a lesson's websocket stays open


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy is not installed")
def test_haproxy_accepts_the_configuration(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config([Backend("s1", 9001)], host="127.0.0.1", port=8501))
    checked = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "ALERT" not in checked.stderr and "WARNING" not in checked.stderr, checked.stderr


def test_no_backend_is_refused():
    with pytest.raises(ValueError, match="at least one Streamlit process"):
        haproxy_config([], host="127.0.0.1", port=8501)


def test_without_haproxy_the_command_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setattr(serve.shutil, "which", lambda name: None)
    assert serve.main(["--processes", "2"]) == 2
    assert "apt-get install haproxy" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--processes", "0"], ["--port", "70000"]])
def test_bad_arguments_get_a_message_not_a_traceback(argv, capsys):
    assert serve.main(argv) == 2
    assert "must be" in capsys.readouterr().err


def test_free_loopback_ports_are_distinct():
    ports = serve.free_loopback_ports(3)
    assert len(set(ports)) == 3 and all(1024 <= port <= 65535 for port in ports)
