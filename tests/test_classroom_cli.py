"""``python -m cnnviz.classroom``: a class's export and a backup of the database, from files."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from cnnviz import PROJECT_ROOT
from cnnviz.classroom import ClassroomStore
from cnnviz.classroom.__main__ import main


@pytest.fixture
def database(tmp_path):
    return f"sqlite:///{tmp_path / 'class.sqlite'}"


def a_lesson(url: str) -> str:
    store = ClassroomStore(url)
    code, secret = store.create_class("Period 3")
    student = store.join(code, "Ada")
    store.start_round(code, secret, "Draw a 7")
    store.add_drawing(code, student, 7, np.full((28, 28), 0.5), predictions={"lenet": 7})
    question = store.ask(code, secret, "Which is bigger?", ["2", "3"], 1)
    store.answer(code, student, question, 1)
    store.dispose()
    return code


def test_export_writes_the_drawings_with_ids_and_every_answer(database, tmp_path, capsys):
    code = a_lesson(database)
    out = tmp_path / "kept"
    assert main(["--database", database, "export", code.lower(), "--out", str(out)]) == 0
    names = sorted(path.name for path in out.iterdir())
    assert names == [f"class-{code}-{n}" for n in ("answers.csv", "drawings.csv", "drawings.npz")]
    with np.load(out / f"class-{code}-drawings.npz") as drawings:
        assert drawings["y_test"].tolist() == [7] and drawings["student_number"].tolist() == [1]
        assert drawings["drawing_id"].tolist() == [1]
    with open(out / f"class-{code}-answers.csv", newline="") as answers:
        (row,) = list(csv.DictReader(answers))
    assert (row["prompt"], row["choice"], row["right"], row["student"]) == (
        "Which is bigger?",
        "3",
        "yes",
        "1",
    )
    assert f"Wrote {out / f'class-{code}-answers.csv'}" in capsys.readouterr().out


def test_an_unknown_code_is_refused_and_writes_nothing(database, tmp_path, capsys):
    a_lesson(database)
    out = tmp_path / "kept"
    assert main(["--database", database, "export", "XXXXXX", "--out", str(out)]) == 2
    assert "There is no class with the code XXXXXX" in capsys.readouterr().err
    assert not out.exists()


def test_backup_copies_the_database_while_it_is_open(database, tmp_path):
    code = a_lesson(database)
    live = ClassroomStore(database)  # a server still holds it
    copy = tmp_path / "backup.sqlite"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "cnnviz.classroom",
            "--database",
            database,
            "backup",
            "--out",
            str(copy),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"Backed up to {copy}"
    assert ClassroomStore(f"sqlite:///{copy}").state(code).title == "Period 3"
    live.dispose()
