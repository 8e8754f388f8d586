"""`retakes jobs list|watch|cancel`.

`watch` and `cancel` take a job's id or any part of it from the start that only one job's
id begins with (the 8 characters the progress bar shows, say), as git takes a commit's.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from ..engine.client import connect
from ..v1 import engine_pb2
from . import values
from .edit import add_engine_options, report
from .progress import JobProgressBar


def add_jobs_parser(subparsers) -> None:
    p = subparsers.add_parser("jobs", help="list, watch or cancel the engine's jobs")
    sub = p.add_subparsers(dest="jobs_command", required=True, metavar="{list,watch,cancel}")
    ls = sub.add_parser("list", help="jobs, newest first")
    ls.add_argument("--limit", type=values.count, default=20, help="how many jobs to show (default 20)")
    add_engine_options(ls)
    ls.set_defaults(run=run_list)
    for name, fn, helptext in (("watch", run_watch, "follow a job's progress until it ends"),
                               ("cancel", run_cancel, "cancel a job (it stops within one chunk)")):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument("job_id", metavar="JOB_ID", help="the job's id, or the start of it that names one job")
        add_engine_options(cmd)
        cmd.set_defaults(run=fn)


def _state(job: engine_pb2.Job) -> str:
    return engine_pb2.JobState.Name(job.state).removeprefix("JOB_STATE_").lower()


def run_list(args: argparse.Namespace) -> int:
    with connect(args.engine, token=args.token) as engine:
        jobs = engine.list(limit=args.limit)
    if not jobs:
        print("no jobs")
        return 0
    for job in jobs:
        created = datetime.fromtimestamp(job.created_at.ToSeconds()).strftime("%Y-%m-%d %H:%M:%S")
        p = job.progress
        print(f"{job.id}  {_state(job):<9}  {job.request.op:<10} {p.frames_done:>6}/{p.frames_total:<6} "
              f"{created}  {_outputs(job.request)}")
    return 0


def run_watch(args: argparse.Namespace) -> int:
    with connect(args.engine, token=args.token) as engine:
        job_id = engine.find_job(args.job_id).id
        with JobProgressBar(job_id[:8]) as bar:
            job = engine.wait(job_id, bar)
    return report(job)


def run_cancel(args: argparse.Namespace) -> int:
    with connect(args.engine, token=args.token) as engine:
        job_id = engine.find_job(args.job_id).id
        job = engine.cancel(job_id)
        if job.state not in (engine_pb2.JOB_STATE_CANCELLED, engine_pb2.JOB_STATE_SUCCEEDED,
                             engine_pb2.JOB_STATE_FAILED):
            job = engine.wait(job_id)
    print(f"{job.id} {_state(job)}")
    return 0


def _outputs(request) -> str:
    """Where the job writes: its output, or for a batch its variants' outputs."""
    if request.variants:
        first = request.variants[0].output_path
        return f"{first} (+{len(request.variants) - 1} variants)" if len(request.variants) > 1 else first
    return request.output_path
