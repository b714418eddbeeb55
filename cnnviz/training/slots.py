"""Which training queue this server uses: the in-process one, or leases in the class database.

One concept: the choice between :class:`cnnviz.training.queue.TrainingSlots` (one server process)
and :class:`cnnviz.training.leases.DatabaseTrainingSlots` (several processes behind
``python -m cnnviz.serve``), made once when the server starts, and the queue it chose
(:data:`TRAINING_SLOTS`). It sits above both so that neither imports the other. No TensorFlow here.
"""

from __future__ import annotations

import os

from cnnviz.training.leases import DatabaseTrainingSlots
from cnnviz.training.queue import TrainingSlots

# "1": the queue is shared by every server process on the class database (cnnviz.serve sets it).
SHARED_SLOTS_ENV_VAR = "CNNVIZ_SHARED_TRAINING_SLOTS"


def training_slots() -> TrainingSlots | DatabaseTrainingSlots:
    """This server's queue: the in-process one, or with ``CNNVIZ_SHARED_TRAINING_SLOTS=1`` (set
    by ``python -m cnnviz.serve`` for its several processes) leases in the class database, so
    the cap holds across every process that shares it (:mod:`cnnviz.training.leases`)."""
    if os.environ.get(SHARED_SLOTS_ENV_VAR, "").strip() == "1":
        return DatabaseTrainingSlots()
    return TrainingSlots()


TRAINING_SLOTS = training_slots()
