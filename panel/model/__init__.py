"""The panel's model layer: state and commands with no widgets, so the logic is testable alone.

Nothing here imports QtWidgets; a few modules use numpy/cv2 for the mask and compare maths.
"""
