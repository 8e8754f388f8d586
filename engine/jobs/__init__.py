"""Durable jobs: the SQLite job table (`store`), the executors that run its jobs
(`executor`), and an asyncio watcher for WatchJob (`watch`). Nothing here imports
protobuf: the store keeps requests and results as opaque bytes, and
`engine.service.convert` turns records into `retakes.v1.Job`.
"""

from .executor import Executor, Interrupted, JobRunContext, LeaseLost, LocalExecutor, new_owner_id
from .store import SCHEMA_VERSION, ChunkRecord, JobRecord, JobState, JobStore, migrate
from .watch import watch_job

__all__ = [
    "SCHEMA_VERSION",
    "ChunkRecord",
    "Executor",
    "Interrupted",
    "JobRecord",
    "JobRunContext",
    "JobState",
    "JobStore",
    "LeaseLost",
    "LocalExecutor",
    "migrate",
    "new_owner_id",
    "watch_job",
]
