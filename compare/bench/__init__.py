"""The benchmark: time per training step side by side, the harness against bare loops in each framework,
imports, the overhead of a whole run, and peak memory."""
