"""CI's own scripts: .ci/with_postgres gives the command a working database and cleans up."""

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WITH_POSTGRES = PROJECT_ROOT / ".ci" / "with_postgres"
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
