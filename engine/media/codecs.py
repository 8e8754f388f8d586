"""The output codecs retakes writes, and which one an output path gets.

Names are the CLI's `--codec` values (DESIGN.md). Each spec says which FFmpeg encoder
and pixel format it uses for 8-bit and for deeper (uint16) frames, and which
containers may hold it, so a bad combination is refused before any frame is decoded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidArgument, shown

#: container extension -> FFmpeg muxer name.
MUXERS = {".mov": "mov", ".mp4": "mp4", ".mkv": "matroska", ".mxf": "mxf"}


@dataclass(frozen=True)
class CodecSpec:
    name: str
    encoder: str
    #: pixel format for uint8 frames, and for uint16 frames.
    pix_fmt_8: str
    pix_fmt_16: str
    extensions: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)
    lossless: bool = False
    #: True for png: the output is a directory of images, not a container.
    image_sequence: bool = False
    #: the encoder's own frame-size limits (FFmpeg refuses other sizes when it opens)
    min_size: tuple[int, int] = (1, 1)
    even_size: bool = False
    #: pixel formats with an alpha channel, for uint8 and uint16 frames (None: no alpha)
    pix_fmt_alpha: tuple[str, str] | None = None

    @property
    def keeps_alpha(self) -> bool:
        return self.pix_fmt_alpha is not None

    def pix_fmt(self, bit_depth: int, *, alpha: bool = False) -> str:
        if alpha and self.pix_fmt_alpha is not None:
            return self.pix_fmt_alpha[0 if bit_depth <= 8 else 1]
        return self.pix_fmt_8 if bit_depth <= 8 else self.pix_fmt_16

    def check_frame_size(self, width: int, height: int) -> None:
        """Refuses a frame size the encoder cannot take, with a codec that can, naming `codec`.

        Otherwise FFmpeg's refusal surfaces as an internal error once the first chunk is encoded.
        """
        if self.even_size and (width % 2 or height % 2):
            why = "needs an even frame width and height (4:2:0 chroma)"
        elif width < self.min_size[0] or height < self.min_size[1]:
            why = f"needs frames of at least {self.min_size[0]}x{self.min_size[1]}"
        else:
            return
        raise InvalidArgument(
            f"codec {self.name!r} {why}; the source is {width}x{height}: write prores_422hq (.mov), "
            "ffv1 (.mkv) or png (a folder) instead",
            field="codec",
        )


CODECS: dict[str, CodecSpec] = {
    spec.name: spec
    for spec in (
        CodecSpec(
            "prores_422hq",
            "prores_ks",
            "yuv422p10le",
            "yuv422p10le",
            (".mov",),
            {"profile": "3", "vendor": "apl0"},
        ),
        # A source with alpha keeps it (yuva444p10le; ProRes codes alpha losslessly, 16 bits).
        CodecSpec(
            "prores_4444",
            "prores_ks",
            "yuv444p10le",
            "yuv444p10le",
            (".mov",),
            {"profile": "4", "vendor": "apl0"},
            pix_fmt_alpha=("yuva444p10le", "yuva444p10le"),
        ),
        CodecSpec(
            "dnxhr_hqx",
            "dnxhd",
            "yuv422p10le",
            "yuv422p10le",
            (".mov", ".mxf"),
            {"profile": "dnxhr_hqx"},
            min_size=(256, 120),  # FFmpeg's DNxHR encoder
        ),
        # A fixed thread count keeps libx264's output identical run to run. 16-bit frames
        # are delivered as 8-bit 4:2:0: this is a viewing codec, not a master. "veryfast"
        # at CRF 16 keeps the picture and spends bits instead of encoder time: the encoder
        # is otherwise the slowest stage of a job on a small CPU (medium: ~3x slower).
        CodecSpec(
            "h264",
            "libx264",
            "yuv420p",
            "yuv420p",
            (".mp4", ".mov", ".mkv"),
            {"threads": "4", "preset": "veryfast", "crf": "16"},
            even_size=True,
        ),
        # FFmpeg's FFV1 encoder has no 8-bit planar RGB (gbrp); bgr0 is its lossless 8-bit
        # RGB input (the alpha byte is padding), gbrp16le holds 16-bit RGB bit-exactly.
        # Matroska only: FFmpeg's mov muxer refuses FFV1 (PyAV raises on add_stream).
        CodecSpec(
            "ffv1",
            "ffv1",
            "bgr0",
            "gbrp16le",
            (".mkv",),
            # g=1: every frame a keyframe (FFV1 otherwise carries its coder state over 12
            # frames), so a frame fix copies any frame's packet untouched (engine.fix)
            {"level": "3", "slicecrc": "1", "threads": "1", "g": "1"},
            lossless=True,
            pix_fmt_alpha=("bgra", "gbrap16le"),
        ),
        CodecSpec(
            "png", "png", "rgb24", "rgb48be", ("",), lossless=True, image_sequence=True,
            pix_fmt_alpha=("rgba", "rgba64be"),
        ),  # fmt: skip
    )
}

_DEFAULT_BY_EXTENSION = {
    ".mov": "prores_422hq",
    ".mp4": "h264",
    ".mkv": "ffv1",
    ".mxf": "dnxhr_hqx",
    "": "png",
}


def output_extension(output_path: str | os.PathLike[str]) -> str:
    """ ".mov" etc.; "" for a directory (existing, or named without an extension)."""
    path = Path(output_path)
    if path.is_dir() or str(output_path).endswith(("/", os.sep)):
        return ""
    return path.suffix.lower()


def resolve_codec(output_path: str | os.PathLike[str], codec_name: str | None = None) -> CodecSpec:
    """The codec for an output: the one asked for, checked against the container, or the default."""
    ext = output_extension(output_path)
    if codec_name == "png" and ext not in MUXERS and not Path(output_path).is_file():
        # Asked for a PNG sequence by name: "shot.v2" or "frames.seq" is the folder to write.
        ext = ""
    if ext == "" and Path(output_path).exists() and not Path(output_path).is_dir():
        raise InvalidArgument(
            f"{Path(output_path).name!r} is an existing file; a PNG sequence is written to a folder "
            "(give a new folder name), a video to a .mov, .mp4, .mkv or .mxf name",
            field="output_path",
        )
    if ext not in _DEFAULT_BY_EXTENSION:
        raise InvalidArgument(
            f"cannot write {Path(output_path).name!r}: use a .mov, .mp4, .mkv or .mxf file, "
            "or a directory for a PNG sequence",
            field="output_path",
        )
    if codec_name is None:
        return CODECS[_DEFAULT_BY_EXTENSION[ext]]
    spec = CODECS.get(codec_name)
    if spec is None:
        raise InvalidArgument(
            f"unknown codec {shown(codec_name)}; valid codecs: {', '.join(CODECS)}", field="codec"
        )
    if ext not in spec.extensions:
        where = "a directory" if ext == "" else f"a {ext} file"
        allowed = [("a directory" if e == "" else e) for e in spec.extensions]
        raise InvalidArgument(
            f"codec {shown(codec_name)} cannot be written to {where}; it goes in: {', '.join(allowed)}",
            field="codec",
        )
    return spec
