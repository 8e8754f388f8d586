import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from retakes.v1 import engine_pb2 as _engine_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Clip(_message.Message):
    __slots__ = ("name", "media_path", "source_rate", "source_range", "timeline_name", "timeline_rate", "drop_frame", "timeline_start_frame", "track", "record", "item_id", "host")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MEDIA_PATH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_RATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_RANGE_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_RATE_FIELD_NUMBER: _ClassVar[int]
    DROP_FRAME_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_START_FRAME_FIELD_NUMBER: _ClassVar[int]
    TRACK_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    name: str
    media_path: str
    source_rate: str
    source_range: _engine_pb2.FrameRange
    timeline_name: str
    timeline_rate: str
    drop_frame: bool
    timeline_start_frame: int
    track: int
    record: _engine_pb2.FrameRange
    item_id: str
    host: str
    def __init__(self, name: _Optional[str] = ..., media_path: _Optional[str] = ..., source_rate: _Optional[str] = ..., source_range: _Optional[_Union[_engine_pb2.FrameRange, _Mapping]] = ..., timeline_name: _Optional[str] = ..., timeline_rate: _Optional[str] = ..., drop_frame: _Optional[bool] = ..., timeline_start_frame: _Optional[int] = ..., track: _Optional[int] = ..., record: _Optional[_Union[_engine_pb2.FrameRange, _Mapping]] = ..., item_id: _Optional[str] = ..., host: _Optional[str] = ...) -> None: ...

class SubmitClipRequest(_message.Message):
    __slots__ = ("clip", "edit", "idempotency_key")
    CLIP_FIELD_NUMBER: _ClassVar[int]
    EDIT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    clip: Clip
    edit: _engine_pb2.EditRequest
    idempotency_key: str
    def __init__(self, clip: _Optional[_Union[Clip, _Mapping]] = ..., edit: _Optional[_Union[_engine_pb2.EditRequest, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class RecordVersionRequest(_message.Message):
    __slots__ = ("job_id", "clip")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CLIP_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    clip: Clip
    def __init__(self, job_id: _Optional[str] = ..., clip: _Optional[_Union[Clip, _Mapping]] = ...) -> None: ...

class Placement(_message.Message):
    __slots__ = ("host", "timeline", "mode", "item_id", "track", "record", "at")
    HOST_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    TRACK_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    host: str
    timeline: str
    mode: str
    item_id: str
    track: int
    record: _engine_pb2.FrameRange
    at: _timestamp_pb2.Timestamp
    def __init__(self, host: _Optional[str] = ..., timeline: _Optional[str] = ..., mode: _Optional[str] = ..., item_id: _Optional[str] = ..., track: _Optional[int] = ..., record: _Optional[_Union[_engine_pb2.FrameRange, _Mapping]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Version(_message.Message):
    __slots__ = ("id", "label", "number", "source_key", "clip_name", "source_path", "source_range", "source_rate", "op", "params", "seed", "model", "engine_version", "output_path", "output_sha256", "output_frames", "output_start_timecode", "handle_head", "parent_id", "job_id", "created_at", "status", "placements")
    ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_KEY_FIELD_NUMBER: _ClassVar[int]
    CLIP_NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PATH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_RANGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_RATE_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ENGINE_VERSION_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_SHA256_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FRAMES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_START_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    HANDLE_HEAD_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    id: int
    label: str
    number: int
    source_key: str
    clip_name: str
    source_path: str
    source_range: _engine_pb2.FrameRange
    source_rate: str
    op: str
    params: _struct_pb2.Struct
    seed: int
    model: str
    engine_version: str
    output_path: str
    output_sha256: str
    output_frames: int
    output_start_timecode: str
    handle_head: int
    parent_id: int
    job_id: str
    created_at: _timestamp_pb2.Timestamp
    status: str
    placements: _containers.RepeatedCompositeFieldContainer[Placement]
    def __init__(self, id: _Optional[int] = ..., label: _Optional[str] = ..., number: _Optional[int] = ..., source_key: _Optional[str] = ..., clip_name: _Optional[str] = ..., source_path: _Optional[str] = ..., source_range: _Optional[_Union[_engine_pb2.FrameRange, _Mapping]] = ..., source_rate: _Optional[str] = ..., op: _Optional[str] = ..., params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., seed: _Optional[int] = ..., model: _Optional[str] = ..., engine_version: _Optional[str] = ..., output_path: _Optional[str] = ..., output_sha256: _Optional[str] = ..., output_frames: _Optional[int] = ..., output_start_timecode: _Optional[str] = ..., handle_head: _Optional[int] = ..., parent_id: _Optional[int] = ..., job_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., placements: _Optional[_Iterable[_Union[Placement, _Mapping]]] = ...) -> None: ...

class VersionList(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[Version]
    def __init__(self, versions: _Optional[_Iterable[_Union[Version, _Mapping]]] = ...) -> None: ...

class Lineage(_message.Message):
    __slots__ = ("chain",)
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    chain: _containers.RepeatedCompositeFieldContainer[Version]
    def __init__(self, chain: _Optional[_Iterable[_Union[Version, _Mapping]]] = ...) -> None: ...

class Error(_message.Message):
    __slots__ = ("code", "message", "field")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    field: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class WatchMessage(_message.Message):
    __slots__ = ("event", "error")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    event: _engine_pb2.JobEvent
    error: Error
    def __init__(self, event: _Optional[_Union[_engine_pb2.JobEvent, _Mapping]] = ..., error: _Optional[_Union[Error, _Mapping]] = ...) -> None: ...
