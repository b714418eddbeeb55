"""`python -m cnnviz.train` on a tiny subset: it writes a loadable model and its history."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from cnnviz import PROJECT_ROOT
from cnnviz import train as train_module
from cnnviz.models import shipped_files
from cnnviz.train import default_output, main, progress_line
from cnnviz.training import JobSnapshot, load_shipped_history


@pytest.mark.slow
def test_cli_trains_and_saves_model_and_history(tmp_path):
    out = tmp_path / "tiny" / "lenet5.keras"
    command = [sys.executable, "-m", "cnnviz.train", "lenet", "--subset", "256", "--epochs", "1"]
    command += ["--batch-size", "16", "--out", str(out)]
    completed = subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
        capture_output=True,
        timeout=120,
    )
    # Bytes, not text: text mode would turn the progress bar's carriage returns into newlines.
    stdout = completed.stdout.decode()
    assert completed.returncode == 0, completed.stderr.decode()[-2000:]
    assert "Test accuracy" in stdout
    assert "\r[" in stdout  # the progress bar redraws in place

    model = keras.models.load_model(out, safe_mode=True, compile=False)
    assert model.count_params() == 82_826
    assert getattr(model, "optimizer", None) is None
    assert np.asarray(model(np.zeros((1, 32, 32, 1), np.float32))).shape == (1, 10)

    history = json.loads((out.parent / "lenet5.history.json").read_text())
    assert history["command"] == "python -m cnnviz.train " + " ".join(command[3:])
    assert history["config"]["subset"] == 256 and history["config"]["batch_size"] == 16
    assert len(history["epochs"]) == 1 and history["epochs"][0]["val_accuracy"] is not None
    assert len(history["batch_steps"]) >= 8  # 16 batches: a point at least every 2
    assert 0.0 < history["test_accuracy"] <= 1.0
    assert history["test_accuracy"] == pytest.approx(history["epochs"][0]["val_accuracy"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["lenet", "--batch-size", "0"], "batch_size"),
        (["alexnet", "--epochs", "0"], "epochs"),
        (["lenet", "--out", "model.h5"], ".keras"),
    ],
)
def test_cli_rejects_bad_options_before_training(arguments, message, capsys):
    assert main(arguments) == 2
    assert message in capsys.readouterr().err


def test_cli_passes_the_precision_and_refuses_unknown_ones(capsys):
    assert train_module.parse_args(["alexnet"]).precision == "float32"
    assert train_module.parse_args(["alexnet", "--precision", "mixed_bfloat16"]).precision == (
        "mixed_bfloat16"
    )
    with pytest.raises(SystemExit):
        train_module.parse_args(["alexnet", "--precision", "float16"])
    assert "invalid choice" in capsys.readouterr().err


def test_default_output_is_the_shipped_file():
    assert default_output("lenet").name == "lenet5.keras"
    assert default_output("alexnet").name == "alexnet.keras"
    assert default_output("lenet").parent == PROJECT_ROOT / "models"


@pytest.mark.parametrize("name", sorted(shipped_files()))
def test_the_docstring_quotes_the_command_that_made_each_shipped_model(name):
    # The shipped LeNet is not the plain recipe (8 epochs, augmented): the docs must not drift.
    assert load_shipped_history(name)["command"] in train_module.__doc__


def test_progress_line_shows_bar_epoch_and_eta():
    from cnnviz.models import TrainingConfig

    snapshot = JobSnapshot(
        status="running",
        config=TrainingConfig(),
        batch_steps=(10,),
        batch_loss=(0.5,),
        batch_accuracy=(0.875,),
        epochs=(),
        epoch=1,
        total_epochs=5,
        batches_done=10,
        total_batches=40,
        progress=0.25,
        elapsed_s=2.0,
        images_per_second=160.0,
        eta_s=6.0,
        error=None,
        queue_position=None,
    )
    line = progress_line(snapshot)
    assert line.startswith("[" + "#" * 8 + "-" * 22 + "]")  # 25 % of 30 characters, rounded
    assert "epoch 1/5" in line and "batch 10/40" in line and "acc 0.8750" in line
    assert "ETA" in line and "160 img/s" in line
