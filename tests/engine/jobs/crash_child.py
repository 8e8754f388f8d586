"""An engine in a child process, for the SIGKILL test: argv = db, workdir, log, lease."""

import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[3]))  # run as a script: the checkout, for tests.support

from retakes.engine.jobs import JobStore, LocalExecutor  # noqa: E402
from tests.support.jobs_fakes import ChunkedJob  # noqa: E402

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    db, workdir, log, lease = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])
    runner = ChunkedJob(workdir, log)
    store = JobStore(db)
    executor = LocalExecutor(store, runner, lease_seconds=lease, heartbeat_interval=0.1, poll_interval=0.05)
    executor.start()
    print("started", executor.owner, flush=True)
    time.sleep(60)
