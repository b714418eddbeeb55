"""CI's own scripts: .ci/with_postgres gives the command a working database and cleans up;
.ci/run's pytest lists the slowest tests, and a hung test fails with its name."""

import glob
import json
import os
import shlex
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from tests.e2e.test_class_training_e2e import TRAINING_TIMEOUT_MS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WITH_POSTGRES = PROJECT_ROOT / ".ci" / "with_postgres"
CI_RUN = PROJECT_ROOT / ".ci" / "run"
PYPROJECT = PROJECT_ROOT / "pyproject.toml"
# The longest a legitimate test waits: a class training in Chromium allows this for each of its
# two runs; pyproject's per-test timeout must stay above it.
LONGEST_LEGITIMATE_TEST_S = 2 * TRAINING_TIMEOUT_MS / 1000
PROBE = """
import json, os, sqlalchemy as sa
url = os.environ["CNNVIZ_TEST_POSTGRES_URL"]
with sa.create_engine(url).begin() as connection:
    connection.execute(sa.text("CREATE TABLE probe (x integer)"))
    connection.execute(sa.text("INSERT INTO probe VALUES (41), (1)"))
    total = connection.execute(sa.text("SELECT sum(x) FROM probe")).scalar()
print(json.dumps({"url": url, "total": total, "require": os.environ["CNNVIZ_REQUIRE_POSTGRES"]}))
"""


@pytest.mark.slow
@pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/initdb"), reason="no PostgreSQL")
def test_with_postgres_runs_the_command_against_a_throwaway_cluster():
    env = {key: value for key, value in os.environ.items() if not key.startswith("CNNVIZ_")}
    result = subprocess.run(
        [str(WITH_POSTGRES), sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["total"] == 42 and seen["require"] == "1"
    assert seen["url"].startswith("postgresql+psycopg://")
    cluster_dir = Path(seen["url"].split("host=")[1])
    assert not cluster_dir.exists()  # stopped and deleted after the command


@pytest.mark.slow
@pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/initdb"), reason="no PostgreSQL")
def test_with_postgres_passes_the_commands_failure_on_and_still_cleans_up():
    result = subprocess.run(
        [str(WITH_POSTGRES), "bash", "-c", 'echo "${CNNVIZ_TEST_POSTGRES_URL#*host=}"; exit 3'],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 3, result.stderr[-2000:]
    assert not Path(result.stdout.splitlines()[-1]).exists()


def test_ci_runs_pytest_listing_its_25_slowest_tests():
    calls = [
        shlex.split(line)
        for line in CI_RUN.read_text().splitlines()
        if line.startswith(".ci/with_postgres pytest")
    ]
    assert len(calls) == 1, calls
    assert "--durations=25" in calls[0]


def test_every_test_has_a_time_limit_above_the_slowest_legitimate_one():
    options = tomllib.loads(PYPROJECT.read_text())["tool"]["pytest"]["ini_options"]
    assert options["timeout"] > LONGEST_LEGITIMATE_TEST_S


def test_a_hung_test_fails_with_its_name(tmp_path):
    (tmp_path / "test_hang.py").write_text(
        textwrap.dedent(
            """
            import time

            def test_that_hangs():
                time.sleep(60)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "timeout=2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-2000:]
    assert "Timeout" in result.stdout
    assert "FAILED test_hang.py::test_that_hangs" in result.stdout
