"""The model layer: what a run is asked to do (inputs, methods, windows, value sets, the
outputs' data dictionary); plain Python, no SQL."""
