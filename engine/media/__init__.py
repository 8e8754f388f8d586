"""Media I/O: probe, frame-exact decode, sample-exact audio, encode and atomic outputs, masks.

Streaming throughout: nothing here holds more than a chunk of frames or a block of
audio, whatever the clip's length. See each module for the rules it keeps.
"""

from .audio import AudioClip, AudioFormat, iter_audio, read_audio, sample_span
from .codecs import CODECS, CodecSpec, resolve_codec
from .decode import FrameReader
from .encode import PacketSlice, SegmentWriter, finalize_output, keyframe_indices
from .masks import KeyframeMask, KeyframeMasks, PerFrameMasks, load_masks
from .paths import atomic_temp_path, check_output_path
from .probe import AudioInfo, ColorTags, MediaInfo, probe

__all__ = [
    "CODECS",
    "AudioClip",
    "AudioFormat",
    "AudioInfo",
    "CodecSpec",
    "ColorTags",
    "FrameReader",
    "KeyframeMask",
    "KeyframeMasks",
    "MediaInfo",
    "PerFrameMasks",
    "SegmentWriter",
    "atomic_temp_path",
    "check_output_path",
    "finalize_output",
    "keyframe_indices",
    "PacketSlice",
    "iter_audio",
    "load_masks",
    "probe",
    "read_audio",
    "resolve_codec",
    "sample_span",
]
