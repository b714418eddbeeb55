"""``python -m cnnviz.classroom``: keep a class's work, or the whole class database, in files.

- ``export CODE [--out DIR]`` writes the class's drawings (``class-CODE-drawings.npz`` in
  MNIST's layout with their ids, ``class-CODE-drawings.csv``) and every answer to every question
  (``class-CODE-answers.csv``) into ``DIR`` (default: the current folder);
- ``backup [--out FILE]`` copies the SQLite class database consistently, even while a server
  writes to it (PostgreSQL: use ``pg_dump``).

Both read the class database of ``CNNVIZ_DATABASE_URL`` (by default the SQLite file under the
data folder), or ``--database URL``. Whoever can run this on the server can read the database
anyway, so no teacher secret is asked.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from cnnviz.classroom import exports
from cnnviz.classroom.errors import ClassroomError
from cnnviz.classroom.store import ClassroomStore
from cnnviz.database import backup_sqlite, default_database_url


def export_class(store: ClassroomStore, code: str, out: Path) -> list[Path]:
    """Write the class's drawings and answers into ``out``; returns the files written."""
    state = store.state(code)  # an unknown code raises before any file is made
    drawings = store.drawings(state.code)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        out / f"class-{state.code}-drawings.npz": exports.drawings_npz(drawings),
        out / f"class-{state.code}-drawings.csv": exports.drawings_csv(drawings).encode(),
        out / f"class-{state.code}-answers.csv": exports.answers_csv(
            store.answer_records(state.code)
        ).encode(),
    }
    for path, data in files.items():
        path.write_bytes(data)
    return list(files)


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="python -m cnnviz.classroom", description=__doc__)
    parse.add_argument("--database", help="an SQLAlchemy URL (default: CNNVIZ_DATABASE_URL)")
    commands = parse.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="a class's drawings and answers, as files")
    export.add_argument("code", help="the class's join code")
    export.add_argument("--out", type=Path, default=Path("."), help="the folder to write into")
    backup = commands.add_parser("backup", help="a consistent copy of the SQLite database")
    backup.add_argument("--out", type=Path, help="the copy (default: classroom-<time>.sqlite)")
    return parse


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    url = arguments.database or default_database_url()
    try:
        if arguments.command == "backup":
            out = arguments.out or Path(f"classroom-{time.strftime('%Y%m%d-%H%M%S')}.sqlite")
            print(f"Backed up to {backup_sqlite(url, out)}")
            return 0
        store = ClassroomStore(url)
        try:
            written = export_class(store, arguments.code, arguments.out)
        finally:
            store.dispose()
    except (ClassroomError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
