import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MaskUse(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MASK_USE_UNSPECIFIED: _ClassVar[MaskUse]
    MASK_USE_NONE: _ClassVar[MaskUse]
    MASK_USE_OPTIONAL: _ClassVar[MaskUse]
    MASK_USE_REQUIRED: _ClassVar[MaskUse]

class ParamType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARAM_TYPE_UNSPECIFIED: _ClassVar[ParamType]
    PARAM_TYPE_NUMBER: _ClassVar[ParamType]
    PARAM_TYPE_INTEGER: _ClassVar[ParamType]
    PARAM_TYPE_BOOL: _ClassVar[ParamType]
    PARAM_TYPE_TEXT: _ClassVar[ParamType]
    PARAM_TYPE_CHOICE: _ClassVar[ParamType]
    PARAM_TYPE_COLOR: _ClassVar[ParamType]
    PARAM_TYPE_PATH: _ClassVar[ParamType]

class ImageEncoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMAGE_ENCODING_UNSPECIFIED: _ClassVar[ImageEncoding]
    IMAGE_ENCODING_PNG: _ClassVar[ImageEncoding]
    IMAGE_ENCODING_RGB24: _ClassVar[ImageEncoding]

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]
MASK_USE_UNSPECIFIED: MaskUse
MASK_USE_NONE: MaskUse
MASK_USE_OPTIONAL: MaskUse
MASK_USE_REQUIRED: MaskUse
PARAM_TYPE_UNSPECIFIED: ParamType
PARAM_TYPE_NUMBER: ParamType
PARAM_TYPE_INTEGER: ParamType
PARAM_TYPE_BOOL: ParamType
PARAM_TYPE_TEXT: ParamType
PARAM_TYPE_CHOICE: ParamType
PARAM_TYPE_COLOR: ParamType
PARAM_TYPE_PATH: ParamType
IMAGE_ENCODING_UNSPECIFIED: ImageEncoding
IMAGE_ENCODING_PNG: ImageEncoding
IMAGE_ENCODING_RGB24: ImageEncoding
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState

class GetCapabilitiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Capabilities(_message.Message):
    __slots__ = ("engine_version", "ops", "codecs", "devices", "max_concurrent_jobs", "learned")
    ENGINE_VERSION_FIELD_NUMBER: _ClassVar[int]
    OPS_FIELD_NUMBER: _ClassVar[int]
    CODECS_FIELD_NUMBER: _ClassVar[int]
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_JOBS_FIELD_NUMBER: _ClassVar[int]
    LEARNED_FIELD_NUMBER: _ClassVar[int]
    engine_version: str
    ops: _containers.RepeatedCompositeFieldContainer[OpDescriptor]
    codecs: _containers.RepeatedCompositeFieldContainer[CodecDescriptor]
    devices: _containers.RepeatedCompositeFieldContainer[Device]
    max_concurrent_jobs: int
    learned: _containers.RepeatedCompositeFieldContainer[LearnedBackend]
    def __init__(self, engine_version: _Optional[str] = ..., ops: _Optional[_Iterable[_Union[OpDescriptor, _Mapping]]] = ..., codecs: _Optional[_Iterable[_Union[CodecDescriptor, _Mapping]]] = ..., devices: _Optional[_Iterable[_Union[Device, _Mapping]]] = ..., max_concurrent_jobs: _Optional[int] = ..., learned: _Optional[_Iterable[_Union[LearnedBackend, _Mapping]]] = ...) -> None: ...

class LearnedBackend(_message.Message):
    __slots__ = ("op", "backend", "task", "ready", "model", "state")
    OP_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    op: str
    backend: str
    task: str
    ready: bool
    model: str
    state: str
    def __init__(self, op: _Optional[str] = ..., backend: _Optional[str] = ..., task: _Optional[str] = ..., ready: _Optional[bool] = ..., model: _Optional[str] = ..., state: _Optional[str] = ...) -> None: ...

class ParamSpec(_message.Message):
    __slots__ = ("name", "type", "help", "required", "default_value", "choices", "minimum", "maximum", "unit", "exclusive_group")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    HELP_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    EXCLUSIVE_GROUP_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: ParamType
    help: str
    required: bool
    default_value: ParamValue
    choices: _containers.RepeatedScalarFieldContainer[str]
    minimum: float
    maximum: float
    unit: str
    exclusive_group: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[ParamType, str]] = ..., help: _Optional[str] = ..., required: _Optional[bool] = ..., default_value: _Optional[_Union[ParamValue, _Mapping]] = ..., choices: _Optional[_Iterable[str]] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ..., unit: _Optional[str] = ..., exclusive_group: _Optional[str] = ...) -> None: ...

class OpDescriptor(_message.Message):
    __slots__ = ("name", "summary", "mask", "uses_keyframes", "params", "temporal", "gpu")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    USES_KEYFRAMES_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    TEMPORAL_FIELD_NUMBER: _ClassVar[int]
    GPU_FIELD_NUMBER: _ClassVar[int]
    name: str
    summary: str
    mask: MaskUse
    uses_keyframes: bool
    params: _containers.RepeatedCompositeFieldContainer[ParamSpec]
    temporal: bool
    gpu: bool
    def __init__(self, name: _Optional[str] = ..., summary: _Optional[str] = ..., mask: _Optional[_Union[MaskUse, str]] = ..., uses_keyframes: _Optional[bool] = ..., params: _Optional[_Iterable[_Union[ParamSpec, _Mapping]]] = ..., temporal: _Optional[bool] = ..., gpu: _Optional[bool] = ...) -> None: ...

class CodecDescriptor(_message.Message):
    __slots__ = ("name", "extensions", "pixel_format", "lossless", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXTENSIONS_FIELD_NUMBER: _ClassVar[int]
    PIXEL_FORMAT_FIELD_NUMBER: _ClassVar[int]
    LOSSLESS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    extensions: _containers.RepeatedScalarFieldContainer[str]
    pixel_format: str
    lossless: bool
    description: str
    def __init__(self, name: _Optional[str] = ..., extensions: _Optional[_Iterable[str]] = ..., pixel_format: _Optional[str] = ..., lossless: _Optional[bool] = ..., description: _Optional[str] = ...) -> None: ...

class Device(_message.Message):
    __slots__ = ("name", "description", "available")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    available: bool
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., available: _Optional[bool] = ...) -> None: ...

class ParamValue(_message.Message):
    __slots__ = ("number_value", "int_value", "bool_value", "text_value")
    NUMBER_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    TEXT_VALUE_FIELD_NUMBER: _ClassVar[int]
    number_value: float
    int_value: int
    bool_value: bool
    text_value: str
    def __init__(self, number_value: _Optional[float] = ..., int_value: _Optional[int] = ..., bool_value: _Optional[bool] = ..., text_value: _Optional[str] = ...) -> None: ...

class MediaRef(_message.Message):
    __slots__ = ("path", "upload_sha256")
    PATH_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_SHA256_FIELD_NUMBER: _ClassVar[int]
    path: str
    upload_sha256: str
    def __init__(self, path: _Optional[str] = ..., upload_sha256: _Optional[str] = ...) -> None: ...

class FrameRange(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class TimecodeRange(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: str
    end: str
    def __init__(self, start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class RangeSpec(_message.Message):
    __slots__ = ("frames", "timecodes")
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    TIMECODES_FIELD_NUMBER: _ClassVar[int]
    frames: FrameRange
    timecodes: TimecodeRange
    def __init__(self, frames: _Optional[_Union[FrameRange, _Mapping]] = ..., timecodes: _Optional[_Union[TimecodeRange, _Mapping]] = ...) -> None: ...

class KeyMask(_message.Message):
    __slots__ = ("frame", "mask")
    FRAME_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    frame: int
    mask: MediaRef
    def __init__(self, frame: _Optional[int] = ..., mask: _Optional[_Union[MediaRef, _Mapping]] = ...) -> None: ...

class Keyframe(_message.Message):
    __slots__ = ("frame", "edited")
    FRAME_FIELD_NUMBER: _ClassVar[int]
    EDITED_FIELD_NUMBER: _ClassVar[int]
    frame: int
    edited: MediaRef
    def __init__(self, frame: _Optional[int] = ..., edited: _Optional[_Union[MediaRef, _Mapping]] = ...) -> None: ...

class EditRequest(_message.Message):
    __slots__ = ("source", "output_path", "op", "range", "codec", "mask", "mask_frame", "keyframes", "params", "seed", "device", "sequence_rate", "sequence_start_timecode", "overwrite", "key_masks", "mask_index", "variants", "webhook", "fix", "decode", "tracker", "tracker_model")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ParamValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ParamValue, _Mapping]] = ...) -> None: ...
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    MASK_FRAME_FIELD_NUMBER: _ClassVar[int]
    KEYFRAMES_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_RATE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_START_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    OVERWRITE_FIELD_NUMBER: _ClassVar[int]
    KEY_MASKS_FIELD_NUMBER: _ClassVar[int]
    MASK_INDEX_FIELD_NUMBER: _ClassVar[int]
    VARIANTS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    FIX_FIELD_NUMBER: _ClassVar[int]
    DECODE_FIELD_NUMBER: _ClassVar[int]
    TRACKER_FIELD_NUMBER: _ClassVar[int]
    TRACKER_MODEL_FIELD_NUMBER: _ClassVar[int]
    source: MediaRef
    output_path: str
    op: str
    range: RangeSpec
    codec: str
    mask: MediaRef
    mask_frame: int
    keyframes: _containers.RepeatedCompositeFieldContainer[Keyframe]
    params: _containers.MessageMap[str, ParamValue]
    seed: int
    device: str
    sequence_rate: str
    sequence_start_timecode: str
    overwrite: bool
    key_masks: _containers.RepeatedCompositeFieldContainer[KeyMask]
    mask_index: str
    variants: _containers.RepeatedCompositeFieldContainer[Variant]
    webhook: Webhook
    fix: FixSpec
    decode: str
    tracker: str
    tracker_model: str
    def __init__(self, source: _Optional[_Union[MediaRef, _Mapping]] = ..., output_path: _Optional[str] = ..., op: _Optional[str] = ..., range: _Optional[_Union[RangeSpec, _Mapping]] = ..., codec: _Optional[str] = ..., mask: _Optional[_Union[MediaRef, _Mapping]] = ..., mask_frame: _Optional[int] = ..., keyframes: _Optional[_Iterable[_Union[Keyframe, _Mapping]]] = ..., params: _Optional[_Mapping[str, ParamValue]] = ..., seed: _Optional[int] = ..., device: _Optional[str] = ..., sequence_rate: _Optional[str] = ..., sequence_start_timecode: _Optional[str] = ..., overwrite: _Optional[bool] = ..., key_masks: _Optional[_Iterable[_Union[KeyMask, _Mapping]]] = ..., mask_index: _Optional[str] = ..., variants: _Optional[_Iterable[_Union[Variant, _Mapping]]] = ..., webhook: _Optional[_Union[Webhook, _Mapping]] = ..., fix: _Optional[_Union[FixSpec, _Mapping]] = ..., decode: _Optional[str] = ..., tracker: _Optional[str] = ..., tracker_model: _Optional[str] = ...) -> None: ...

class Variant(_message.Message):
    __slots__ = ("name", "output_path", "params")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ParamValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ParamValue, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    name: str
    output_path: str
    params: _containers.MessageMap[str, ParamValue]
    def __init__(self, name: _Optional[str] = ..., output_path: _Optional[str] = ..., params: _Optional[_Mapping[str, ParamValue]] = ...) -> None: ...

class Webhook(_message.Message):
    __slots__ = ("url", "secret")
    URL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    url: str
    secret: str
    def __init__(self, url: _Optional[str] = ..., secret: _Optional[str] = ...) -> None: ...

class FixSpec(_message.Message):
    __slots__ = ("base", "frames")
    BASE_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    base: MediaRef
    frames: FrameRange
    def __init__(self, base: _Optional[_Union[MediaRef, _Mapping]] = ..., frames: _Optional[_Union[FrameRange, _Mapping]] = ...) -> None: ...

class PreviewRequest(_message.Message):
    __slots__ = ("edit", "frame", "encoding")
    EDIT_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    edit: EditRequest
    frame: int
    encoding: ImageEncoding
    def __init__(self, edit: _Optional[_Union[EditRequest, _Mapping]] = ..., frame: _Optional[int] = ..., encoding: _Optional[_Union[ImageEncoding, str]] = ...) -> None: ...

class PreviewResponse(_message.Message):
    __slots__ = ("frame", "width", "height", "encoding", "image", "latency_ms", "device")
    FRAME_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    frame: int
    width: int
    height: int
    encoding: ImageEncoding
    image: bytes
    latency_ms: float
    device: str
    def __init__(self, frame: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., encoding: _Optional[_Union[ImageEncoding, str]] = ..., image: _Optional[bytes] = ..., latency_ms: _Optional[float] = ..., device: _Optional[str] = ...) -> None: ...

class SubmitEditRequest(_message.Message):
    __slots__ = ("edit", "idempotency_key")
    EDIT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    edit: EditRequest
    idempotency_key: str
    def __init__(self, edit: _Optional[_Union[EditRequest, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("stage", "frames_done", "frames_total", "eta_seconds", "frames_per_second")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    FRAMES_DONE_FIELD_NUMBER: _ClassVar[int]
    FRAMES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ETA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FRAMES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    stage: str
    frames_done: int
    frames_total: int
    eta_seconds: float
    frames_per_second: float
    def __init__(self, stage: _Optional[str] = ..., frames_done: _Optional[int] = ..., frames_total: _Optional[int] = ..., eta_seconds: _Optional[float] = ..., frames_per_second: _Optional[float] = ...) -> None: ...

class OutputFile(_message.Message):
    __slots__ = ("path", "sha256", "size_bytes")
    PATH_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    path: str
    sha256: str
    size_bytes: int
    def __init__(self, path: _Optional[str] = ..., sha256: _Optional[str] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class JobResult(_message.Message):
    __slots__ = ("outputs", "frames_written", "start_timecode", "rate", "codec", "notes", "tracking", "variant_names", "reencoded")
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    FRAMES_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    START_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    TRACKING_FIELD_NUMBER: _ClassVar[int]
    VARIANT_NAMES_FIELD_NUMBER: _ClassVar[int]
    REENCODED_FIELD_NUMBER: _ClassVar[int]
    outputs: _containers.RepeatedCompositeFieldContainer[OutputFile]
    frames_written: int
    start_timecode: str
    rate: str
    codec: str
    notes: _containers.RepeatedScalarFieldContainer[str]
    tracking: TrackingReport
    variant_names: _containers.RepeatedScalarFieldContainer[str]
    reencoded: FrameRange
    def __init__(self, outputs: _Optional[_Iterable[_Union[OutputFile, _Mapping]]] = ..., frames_written: _Optional[int] = ..., start_timecode: _Optional[str] = ..., rate: _Optional[str] = ..., codec: _Optional[str] = ..., notes: _Optional[_Iterable[str]] = ..., tracking: _Optional[_Union[TrackingReport, _Mapping]] = ..., variant_names: _Optional[_Iterable[str]] = ..., reencoded: _Optional[_Union[FrameRange, _Mapping]] = ...) -> None: ...

class TrackingReport(_message.Message):
    __slots__ = ("start_frame", "confidence", "lost")
    START_FRAME_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    LOST_FIELD_NUMBER: _ClassVar[int]
    start_frame: int
    confidence: _containers.RepeatedScalarFieldContainer[float]
    lost: _containers.RepeatedCompositeFieldContainer[FrameRange]
    def __init__(self, start_frame: _Optional[int] = ..., confidence: _Optional[_Iterable[float]] = ..., lost: _Optional[_Iterable[_Union[FrameRange, _Mapping]]] = ...) -> None: ...

class JobError(_message.Message):
    __slots__ = ("code", "message", "field")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    field: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("id", "request", "state", "progress", "result", "error", "created_at", "updated_at", "attempts")
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    request: EditRequest
    state: JobState
    progress: Progress
    result: JobResult
    error: JobError
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    attempts: int
    def __init__(self, id: _Optional[str] = ..., request: _Optional[_Union[EditRequest, _Mapping]] = ..., state: _Optional[_Union[JobState, str]] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., result: _Optional[_Union[JobResult, _Mapping]] = ..., error: _Optional[_Union[JobError, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts: _Optional[int] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("states", "limit")
    STATES_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedScalarFieldContainer[JobState]
    limit: int
    def __init__(self, states: _Optional[_Iterable[_Union[JobState, str]]] = ..., limit: _Optional[int] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ...) -> None: ...

class UploadChunk(_message.Message):
    __slots__ = ("sha256", "file_name", "total_size", "offset", "data")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    file_name: str
    total_size: int
    offset: int
    data: bytes
    def __init__(self, sha256: _Optional[str] = ..., file_name: _Optional[str] = ..., total_size: _Optional[int] = ..., offset: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class GetUploadStatusRequest(_message.Message):
    __slots__ = ("sha256",)
    SHA256_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    def __init__(self, sha256: _Optional[str] = ...) -> None: ...

class UploadStatus(_message.Message):
    __slots__ = ("sha256", "committed_bytes", "total_size", "complete")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    committed_bytes: int
    total_size: int
    complete: bool
    def __init__(self, sha256: _Optional[str] = ..., committed_bytes: _Optional[int] = ..., total_size: _Optional[int] = ..., complete: _Optional[bool] = ...) -> None: ...

class DownloadResultRequest(_message.Message):
    __slots__ = ("job_id", "path", "offset")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    path: str
    offset: int
    def __init__(self, job_id: _Optional[str] = ..., path: _Optional[str] = ..., offset: _Optional[int] = ...) -> None: ...

class DataChunk(_message.Message):
    __slots__ = ("offset", "data")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    offset: int
    data: bytes
    def __init__(self, offset: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class KeyframeRequest(_message.Message):
    __slots__ = ("source", "frame", "prompt", "mask", "model", "seed", "variants", "steps", "guidance", "feather", "device", "memory_policy", "max_memory_bytes", "sequence_rate")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    VARIANTS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    GUIDANCE_FIELD_NUMBER: _ClassVar[int]
    FEATHER_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_POLICY_FIELD_NUMBER: _ClassVar[int]
    MAX_MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_RATE_FIELD_NUMBER: _ClassVar[int]
    source: MediaRef
    frame: int
    prompt: str
    mask: MediaRef
    model: str
    seed: int
    variants: int
    steps: int
    guidance: float
    feather: float
    device: str
    memory_policy: str
    max_memory_bytes: int
    sequence_rate: str
    def __init__(self, source: _Optional[_Union[MediaRef, _Mapping]] = ..., frame: _Optional[int] = ..., prompt: _Optional[str] = ..., mask: _Optional[_Union[MediaRef, _Mapping]] = ..., model: _Optional[str] = ..., seed: _Optional[int] = ..., variants: _Optional[int] = ..., steps: _Optional[int] = ..., guidance: _Optional[float] = ..., feather: _Optional[float] = ..., device: _Optional[str] = ..., memory_policy: _Optional[str] = ..., max_memory_bytes: _Optional[int] = ..., sequence_rate: _Optional[str] = ...) -> None: ...

class KeyframeProgress(_message.Message):
    __slots__ = ("stage", "variant", "variants", "step", "steps")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    VARIANTS_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    stage: str
    variant: int
    variants: int
    step: int
    steps: int
    def __init__(self, stage: _Optional[str] = ..., variant: _Optional[int] = ..., variants: _Optional[int] = ..., step: _Optional[int] = ..., steps: _Optional[int] = ...) -> None: ...

class KeyframeVariant(_message.Message):
    __slots__ = ("index", "seed", "width", "height", "png")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PNG_FIELD_NUMBER: _ClassVar[int]
    index: int
    seed: int
    width: int
    height: int
    png: bytes
    def __init__(self, index: _Optional[int] = ..., seed: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., png: _Optional[bytes] = ...) -> None: ...

class ModelUse(_message.Message):
    __slots__ = ("name", "class_name", "task", "digest", "memory_policy", "dtype", "device")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    MEMORY_POLICY_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    name: str
    class_name: str
    task: str
    digest: str
    memory_policy: str
    dtype: str
    device: str
    def __init__(self, name: _Optional[str] = ..., class_name: _Optional[str] = ..., task: _Optional[str] = ..., digest: _Optional[str] = ..., memory_policy: _Optional[str] = ..., dtype: _Optional[str] = ..., device: _Optional[str] = ...) -> None: ...

class KeyframeDone(_message.Message):
    __slots__ = ("model", "frame", "prompt", "steps", "seeds", "crop_x", "crop_y", "crop_width", "crop_height", "work_width", "work_height", "seconds")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SEEDS_FIELD_NUMBER: _ClassVar[int]
    CROP_X_FIELD_NUMBER: _ClassVar[int]
    CROP_Y_FIELD_NUMBER: _ClassVar[int]
    CROP_WIDTH_FIELD_NUMBER: _ClassVar[int]
    CROP_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    WORK_WIDTH_FIELD_NUMBER: _ClassVar[int]
    WORK_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    model: ModelUse
    frame: int
    prompt: str
    steps: int
    seeds: _containers.RepeatedScalarFieldContainer[int]
    crop_x: int
    crop_y: int
    crop_width: int
    crop_height: int
    work_width: int
    work_height: int
    seconds: float
    def __init__(self, model: _Optional[_Union[ModelUse, _Mapping]] = ..., frame: _Optional[int] = ..., prompt: _Optional[str] = ..., steps: _Optional[int] = ..., seeds: _Optional[_Iterable[int]] = ..., crop_x: _Optional[int] = ..., crop_y: _Optional[int] = ..., crop_width: _Optional[int] = ..., crop_height: _Optional[int] = ..., work_width: _Optional[int] = ..., work_height: _Optional[int] = ..., seconds: _Optional[float] = ...) -> None: ...

class KeyframeEvent(_message.Message):
    __slots__ = ("progress", "variant", "done")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    progress: KeyframeProgress
    variant: KeyframeVariant
    done: KeyframeDone
    def __init__(self, progress: _Optional[_Union[KeyframeProgress, _Mapping]] = ..., variant: _Optional[_Union[KeyframeVariant, _Mapping]] = ..., done: _Optional[_Union[KeyframeDone, _Mapping]] = ...) -> None: ...

class FindShotsRequest(_message.Message):
    __slots__ = ("source", "range", "sensitivity", "add_cuts", "remove_cuts", "plan_path", "overwrite")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SENSITIVITY_FIELD_NUMBER: _ClassVar[int]
    ADD_CUTS_FIELD_NUMBER: _ClassVar[int]
    REMOVE_CUTS_FIELD_NUMBER: _ClassVar[int]
    PLAN_PATH_FIELD_NUMBER: _ClassVar[int]
    OVERWRITE_FIELD_NUMBER: _ClassVar[int]
    source: MediaRef
    range: FrameRange
    sensitivity: float
    add_cuts: _containers.RepeatedScalarFieldContainer[int]
    remove_cuts: _containers.RepeatedScalarFieldContainer[int]
    plan_path: str
    overwrite: bool
    def __init__(self, source: _Optional[_Union[MediaRef, _Mapping]] = ..., range: _Optional[_Union[FrameRange, _Mapping]] = ..., sensitivity: _Optional[float] = ..., add_cuts: _Optional[_Iterable[int]] = ..., remove_cuts: _Optional[_Iterable[int]] = ..., plan_path: _Optional[str] = ..., overwrite: _Optional[bool] = ...) -> None: ...

class ShotBoundary(_message.Message):
    __slots__ = ("frame", "kind", "score", "span")
    FRAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SPAN_FIELD_NUMBER: _ClassVar[int]
    frame: int
    kind: str
    score: float
    span: FrameRange
    def __init__(self, frame: _Optional[int] = ..., kind: _Optional[str] = ..., score: _Optional[float] = ..., span: _Optional[_Union[FrameRange, _Mapping]] = ...) -> None: ...

class ShotEntry(_message.Message):
    __slots__ = ("index", "frames", "begins", "mask_frame", "mask_path", "status", "score", "method")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    BEGINS_FIELD_NUMBER: _ClassVar[int]
    MASK_FRAME_FIELD_NUMBER: _ClassVar[int]
    MASK_PATH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    index: int
    frames: FrameRange
    begins: str
    mask_frame: int
    mask_path: str
    status: str
    score: float
    method: str
    def __init__(self, index: _Optional[int] = ..., frames: _Optional[_Union[FrameRange, _Mapping]] = ..., begins: _Optional[str] = ..., mask_frame: _Optional[int] = ..., mask_path: _Optional[str] = ..., status: _Optional[str] = ..., score: _Optional[float] = ..., method: _Optional[str] = ...) -> None: ...

class ShotPlan(_message.Message):
    __slots__ = ("plan_path", "source", "range", "shots", "boundaries")
    PLAN_PATH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SHOTS_FIELD_NUMBER: _ClassVar[int]
    BOUNDARIES_FIELD_NUMBER: _ClassVar[int]
    plan_path: str
    source: str
    range: FrameRange
    shots: _containers.RepeatedCompositeFieldContainer[ShotEntry]
    boundaries: _containers.RepeatedCompositeFieldContainer[ShotBoundary]
    def __init__(self, plan_path: _Optional[str] = ..., source: _Optional[str] = ..., range: _Optional[_Union[FrameRange, _Mapping]] = ..., shots: _Optional[_Iterable[_Union[ShotEntry, _Mapping]]] = ..., boundaries: _Optional[_Iterable[_Union[ShotBoundary, _Mapping]]] = ...) -> None: ...

class ProposeShotMasksRequest(_message.Message):
    __slots__ = ("plan_path", "mask", "mask_frame", "masks_dir", "matcher")
    PLAN_PATH_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    MASK_FRAME_FIELD_NUMBER: _ClassVar[int]
    MASKS_DIR_FIELD_NUMBER: _ClassVar[int]
    MATCHER_FIELD_NUMBER: _ClassVar[int]
    plan_path: str
    mask: MediaRef
    mask_frame: int
    masks_dir: str
    matcher: str
    def __init__(self, plan_path: _Optional[str] = ..., mask: _Optional[_Union[MediaRef, _Mapping]] = ..., mask_frame: _Optional[int] = ..., masks_dir: _Optional[str] = ..., matcher: _Optional[str] = ...) -> None: ...
