"""Grading a class: every submission of a from-scratch backprop assignment checked by the learner check, each in its
own child process, on a Dask cluster; grades.csv, a feedback file per student and the class's picture."""
