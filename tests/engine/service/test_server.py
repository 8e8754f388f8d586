"""The engine's listeners: health, reflection, socket permissions, TCP authentication."""

from __future__ import annotations

import stat

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from retakes.engine.client import EngineClient, EngineError
from retakes.engine.service.server import SERVICE_NAME


def test_health_reports_serving_for_the_server_and_the_service(engine):
    with grpc.insecure_channel(engine.unix_target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", SERVICE_NAME):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_engine_service(engine):
    with grpc.insecure_channel(engine.unix_target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = {s.name for r in replies for s in r.list_services_response.service}
    assert "retakes.v1.EngineService" in names
    assert "grpc.health.v1.Health" in names


def test_unix_socket_is_private_to_the_user(engine):
    mode = stat.S_IMODE(engine.running.socket_path.stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)


def test_tcp_without_token_is_unauthenticated(engine):
    with EngineClient(engine.tcp_target) as anonymous, pytest.raises(EngineError) as info:
        anonymous.capabilities()
    assert info.value.code == grpc.StatusCode.UNAUTHENTICATED
    with EngineClient(engine.tcp_target, token="not-the-token") as wrong, pytest.raises(EngineError) as info:
        wrong.list()
    assert info.value.code == grpc.StatusCode.UNAUTHENTICATED
    with EngineClient(engine.tcp_target) as anonymous, pytest.raises(EngineError) as info:
        list(anonymous.watch("anything"))
    assert info.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_tcp_with_token_works_and_listens_on_loopback_only(engine):
    assert engine.running.tcp_port
    with EngineClient(engine.tcp_target, token=engine.running.token) as client:
        caps = client.capabilities()
    assert {op.name for op in caps.ops} >= {"relight", "recolor"}
    assert {c.name for c in caps.codecs} == {"prores_422hq", "prores_4444", "dnxhr_hqx", "h264", "ffv1", "png"}
    assert caps.devices[0].name == "cpu"


def test_capabilities_describe_each_ops_parameters(engine):
    with engine.client() as client:
        caps = client.capabilities()
    recolor = next(op for op in caps.ops if op.name == "recolor")
    names = {p.name for p in recolor.params}
    assert {"color", "hue"} <= names
    groups = {p.exclusive_group for p in recolor.params if p.name in ("color", "hue")}
    assert len(groups) == 1 and groups != {""}
