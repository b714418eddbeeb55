"""Shared test settings: where MNIST is, and the PostgreSQL the database tests may use."""

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The real MNIST sits beside the checkout in this workplace; CI exports the same path.
_SHARED_MNIST = PROJECT_ROOT.parent / "shared" / "data" / "mnist.npz"
if "CNNVIZ_MNIST" not in os.environ and _SHARED_MNIST.is_file():
    os.environ["CNNVIZ_MNIST"] = str(_SHARED_MNIST)

# A SQLAlchemy URL of an empty PostgreSQL database for the tests; .ci/with_postgres sets both.
POSTGRES_URL_ENV = "CNNVIZ_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "CNNVIZ_REQUIRE_POSTGRES"


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
