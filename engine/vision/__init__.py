"""Classical vision building blocks for the temporal ops (no learned weights).

- `flow`: DIS optical flow at a working resolution, forward-backward occlusion,
  motion boundaries, backward warping (OpenCV and torch), flow chaining.
- `walk`: streams a range outward from a keyframe, with the flows between neighbours.
- `fill`: push-pull hole filling (flow completion, membrane seam blending).
- `segment`: the appearance-refined mask tracker.
- `colour`: colour spaces and the keyframe colour transform of `propagate`.
- `scenes`: synthetic clips with exact ground truth, and in-memory frame sources.
"""
