"""Shared test settings: which MNIST the tests read, and the PostgreSQL they may use.

MNIST: the full data set when one is found — ``CNNVIZ_MNIST``, else the copy beside the checkout
in this workplace (``../shared/data/mnist.npz``, what CI exports too), else ``data/mnist.npz`` or
keras' cache — and otherwise the small sample the repository ships (``tests/data/mnist-sample``),
so that the tests pass on a machine with no MNIST and no network. The run's header says which.
Tests marked ``full_mnist`` need all 60,000 training images and are skipped with the sample.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.support.mnist_sample import SAMPLE_DIR, write_sample_npz
from cnnviz import data

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_SHARED_MNIST = PROJECT_ROOT.parent / "shared" / "data" / "mnist.npz"

# A SQLAlchemy URL of an empty PostgreSQL database for the tests; .ci/with_postgres sets both.
POSTGRES_URL_ENV = "CNNVIZ_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "CNNVIZ_REQUIRE_POSTGRES"


def _full_mnist_problem() -> str | None:
    """Why no full MNIST can be read (None when one can), after the workplace default."""
    if data.MNIST_ENV_VAR not in os.environ and _SHARED_MNIST.is_file():
        os.environ[data.MNIST_ENV_VAR] = str(_SHARED_MNIST)
    try:
        return None if data.find_mnist_file() is not None else "no MNIST file was found"
    except data.MnistNotFoundError:
        return f"{data.MNIST_ENV_VAR}={os.environ[data.MNIST_ENV_VAR]} names no file"


def pytest_configure(config: pytest.Config) -> None:
    problem = _full_mnist_problem()
    config.stash[_SAMPLE_FOLDER] = None
    if problem is None:
        config.stash[_MNIST_NOTE] = f"MNIST: the full data set, {data.find_mnist_file()}"
        return
    # Every reader (the pages in-process, the servers the e2e tests start) follows CNNVIZ_MNIST.
    folder = Path(tempfile.mkdtemp(prefix="cnnviz-mnist-sample-"))
    os.environ[data.MNIST_ENV_VAR] = str(write_sample_npz(folder / "mnist.npz"))
    config.stash[_SAMPLE_FOLDER] = folder
    config.stash[_MNIST_NOTE] = (
        f"MNIST: the shipped sample ({SAMPLE_DIR.relative_to(PROJECT_ROOT)}), because {problem};"
        " tests marked full_mnist are skipped"
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_SAMPLE_FOLDER, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash.get(_MNIST_NOTE, "MNIST: not configured")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash.get(_SAMPLE_FOLDER, None) is None:
        return
    reason = "needs the full MNIST (60,000 training, 10,000 test images); see README"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "full_mnist" in item.keywords:
            item.add_marker(skip)


_SAMPLE_FOLDER = pytest.StashKey[Path | None]()
_MNIST_NOTE = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL URL to test against (``postgresql+psycopg://...``).

    Skips the test without one, unless CNNVIZ_REQUIRE_POSTGRES=1 (CI): then it fails. Run the
    PostgreSQL tests locally with ``.ci/with_postgres pytest tests/...``.
    """
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if url:
        return url
    reason = (
        f"no PostgreSQL to test against: {POSTGRES_URL_ENV} is not set "
        "(run `.ci/with_postgres pytest ...` to start a throwaway cluster)"
    )
    if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
        pytest.fail(f"PostgreSQL tests are required ({REQUIRE_POSTGRES_ENV}=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no other test sees, once on each engine: a new SQLite file, then a new schema
    in the PostgreSQL of ``postgres_url`` (skipped locally without one, required in CI)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    import sqlalchemy as sa  # only the database tests pay for it

    base_url = request.getfixturevalue("postgres_url")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
