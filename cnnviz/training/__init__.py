"""The training engine: ``model.fit`` in the background, watched by a web page.

The package is split along the line TensorFlow draws:

* :mod:`cnnviz.training.records` — statuses, the live stream's records, snapshots, results and
  history files (no TensorFlow);
* :mod:`cnnviz.training.queue` — the server-wide limit on trainings at once (no TensorFlow);
* :mod:`cnnviz.training.leases` — the same limit for several processes, as leases in the class
  database; :mod:`cnnviz.training.slots` picks which of the two this server uses;
* :mod:`cnnviz.training.job` — :class:`TrainingJob`, what a page holds (no TensorFlow);
* :mod:`cnnviz.training.worker` — the worker processes jobs train in (no TensorFlow on the
  server's side);
* :mod:`cnnviz.training.fitting` — datasets, the live-metrics callback, evaluation and the fit
  itself; it imports TensorFlow at its top and only a job that starts training imports it.

Importing this package is cheap: it never imports TensorFlow.
"""

from cnnviz.training.job import TrainingJob
from cnnviz.training.queue import MAX_TRAININGS_ENV_VAR, max_concurrent_trainings
from cnnviz.training.records import (
    BatchPoint,
    EpochRecord,
    EpochStarted,
    JobSnapshot,
    JobStatus,
    TrainingPlan,
    TrainingResult,
    epochs_to_csv,
    history_path,
    load_shipped_history,
    save_without_optimizer,
)
from cnnviz.training.slots import TRAINING_SLOTS
from cnnviz.training.snapshots import FilterSnapshot
from cnnviz.training.worker import prewarm_worker

__all__ = [
    "MAX_TRAININGS_ENV_VAR",
    "TRAINING_SLOTS",
    "BatchPoint",
    "EpochRecord",
    "EpochStarted",
    "FilterSnapshot",
    "JobSnapshot",
    "JobStatus",
    "TrainingJob",
    "TrainingPlan",
    "TrainingResult",
    "epochs_to_csv",
    "history_path",
    "load_shipped_history",
    "max_concurrent_trainings",
    "prewarm_worker",
    "save_without_optimizer",
]
