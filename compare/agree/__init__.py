"""How close two implementations are: the tolerances, per-tensor and per-step differences, finite
differences, and the agreement tables and verdict of a run."""
