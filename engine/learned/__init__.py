"""Learned backends run from local weights: prompt-driven keyframe edits and the SAM 2 tracker.

Each backend takes a model the loader has placed (`engine.models`) and plain frames; none of
them loads or downloads anything itself.
"""
