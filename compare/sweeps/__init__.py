"""Sweeps: a grid of specs run as one table on a Dask cluster (local by default): the grid file, the cluster,
the runner that gathers results as they complete, the sweep table, and its heatmap and report."""
