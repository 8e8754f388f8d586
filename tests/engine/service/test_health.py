"""Health tells a supervisor the truth: NOT_SERVING while the engine cannot take work
(issue 13, item 25), SERVING again once it can."""

from __future__ import annotations

import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from retakes.v1 import engine_pb2, engine_pb2_grpc
from tests.support.engines import running_engine

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def _status(channel: grpc.Channel, service: str = "") -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def _eventually(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_health_says_not_serving_while_every_worker_thread_is_stuck(short_tmp):
    """Every worker thread held by work that does not return (what a FIFO source used to do):
    calls time out, and health, answered on the event loop, says NOT_SERVING over both
    listeners until a thread is free again."""
    release = threading.Event()
    with running_engine(short_tmp / "state", tcp=True, rpc_workers=2, stall_seconds=1.0) as engine, \
            grpc.insecure_channel(engine.unix_target) as channel, \
            grpc.insecure_channel(engine.tcp_target) as tcp:
        assert _status(channel) == SERVING and _status(tcp, "retakes.v1.EngineService") == SERVING
        stuck = [engine.running.pool.submit(release.wait, 60) for _ in range(2)]
        try:
            with pytest.raises(grpc.RpcError) as info:  # the engine really cannot answer
                engine_pb2_grpc.EngineServiceStub(channel).ListJobs(engine_pb2.ListJobsRequest(), timeout=2)
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert _eventually(lambda: _status(channel) == NOT_SERVING)
            assert _status(channel, "retakes.v1.EngineService") == NOT_SERVING
            assert _status(tcp) == NOT_SERVING  # health needs no token, on TCP too
        finally:
            release.set()
        for f in stuck:
            f.result(10)
        assert _eventually(lambda: _status(channel) == SERVING)
        assert not engine_pb2_grpc.EngineServiceStub(channel).ListJobs(engine_pb2.ListJobsRequest(), timeout=5).jobs


def test_busy_but_moving_workers_keep_the_engine_serving(short_tmp):
    """Work that finishes, even a lot of it, is not a stall."""
    with running_engine(short_tmp / "state", rpc_workers=2, stall_seconds=1.0) as engine, \
            grpc.insecure_channel(engine.unix_target) as channel:
        stub = engine_pb2_grpc.EngineServiceStub(channel)
        seen = set()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            futures = [stub.ListJobs.future(engine_pb2.ListJobsRequest(), timeout=5) for _ in range(8)]
            seen.add(_status(channel))
            for f in futures:
                f.result()
        assert seen == {SERVING}
