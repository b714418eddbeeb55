"""The training package's records and its TensorFlow line: statuses, CSV, cheap imports."""

import json

import pytest

from bench.support.fresh_python import run_fresh_python
from cnnviz.training import EpochRecord, JobStatus, epochs_to_csv, history_path


def test_statuses_read_and_serialise_as_plain_strings():
    assert JobStatus.FINISHED == "finished" and f"{JobStatus.QUEUED}" == "queued"
    assert json.dumps({"status": JobStatus.STOPPED}) == '{"status": "stopped"}'
    assert JobStatus("failed") is JobStatus.FAILED
    assert [status for status in JobStatus if status.ended] == ["finished", "stopped", "failed"]


def test_epochs_to_csv_leaves_missing_validation_empty():
    text = epochs_to_csv([EpochRecord(1, 0.5, 0.8, None, None, 1.25)])
    assert text.splitlines() == [
        "epoch,loss,accuracy,val_loss,val_accuracy,seconds",
        "1,0.500000,0.800000,,,1.250",
    ]


def test_a_history_lives_beside_its_model(tmp_path):
    assert history_path(tmp_path / "alexnet.keras") == tmp_path / "alexnet.history.json"


@pytest.mark.parametrize(
    "module", ["cnnviz.training", "cnnviz.training.job", "cnnviz.training.queue", "cnnviz.train"]
)
def test_the_job_side_of_the_package_imports_without_tensorflow(module):
    """A page that holds a job must not pay TensorFlow's seconds until a job trains."""
    code = f"import sys, {module}; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    assert run_fresh_python(code).split() == ["False", "False"]


def test_the_fitting_module_is_where_tensorflow_comes_in():
    code = "import sys, cnnviz.training.fitting; print('tensorflow' in sys.modules)"
    assert run_fresh_python(code).split()[-1] == "True"
