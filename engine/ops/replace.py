"""`replace --prompt TEXT`: the masked region regenerated from a prompt, following the tracked mask.

Generative only (no classical method makes "a 1970s brick building"): a video model from the store
(`learned.generative`) regenerates the region in windows, conditioned on the rest of each frame and
on the source inside the region (its structure and motion), so what it makes moves with the object
and the camera. Outside the feathered mask the output is the source, bit for bit (invariant 1).
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgument
from . import generative_params as gp
from . import register
from .base import EditContext, MaskUse, Op, OpSpec


@register
class ReplaceOp(Op):
    spec = OpSpec(
        name="replace",
        summary="Regenerate what the mask covers from a prompt (a video model), following its motion.",
        params=(
            gp.prompt_param(required=True, help="what the masked region becomes, e.g. 'a red vintage car'"),
            *gp.MODEL_PARAMS,
        ),
        mask=MaskUse.REQUIRED,
        temporal=True,
    )

    def __init__(self) -> None:
        self._run = None  # a learned.generative.GenerativeRun, once prepared

    @classmethod
    def check_params(cls, params: dict) -> None:
        from ..learned import generative

        generative.check(params, prompt_required=True)

    def prepare(self, ctx: EditContext) -> None:
        from ..learned import generative, video

        if ctx.masks is None:
            raise InvalidArgument("replace needs a mask of the region to regenerate (--mask)", field="mask")
        masks = ctx.masks

        def inputs(index: int) -> video.FrameInput:
            return video.FrameInput(ctx.source.frame(index), masks.mask(index))

        self._run = generative.GenerativeRun()
        self._run.prepare(ctx, "replace", inputs, self.scratch_dir(ctx), whole_frame=False)

    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        if self._run is None:
            self.prepare(ctx)
        return self._run.render(index, frame)
