"""What a run leaves behind and shows: the bundle on disk, tables in every format, figures, terminal
output and markdown reports."""
