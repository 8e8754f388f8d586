"""Review hand-off: versions to Frame.io v4 or a local review page, notes back as markers.

Module map (one job each):
  auth         Adobe IMS sign-in via the `frameio` SDK, the 0600 token file, refresh on 401
  frameio_api  the v4 calls retakes makes (SDK wrapper: 401 -> refresh + retry once)
  upload       multi-part upload to presigned part URLs, progress, per-part retry
  versions     what review needs from the version store (Protocol) + an in-memory one
  ledger       SQLite: notes (idempotent by id) and where each version lives on Frame.io
  notes        Note; Frame.io comment timecode -> version frame (drop-frame aware)
  markers      notes -> Resolve markers on the version's clip, exact frame, once
  handoff      push (upload, stack, lineage, share link) / pull (comments, status)
  webhook      X-Frameio-Signature HMAC + timestamp verification, a tiny receiver
  frames       per-frame JPEGs (PyAV) for the local page, cached
  server       `retakes review serve`: token-protected local review page + JSON API
  cli          `retakes review push|pull|serve`
"""
