"""Why two implementations differ: the NumPy reference re-run under each known convention switch, alone
and combined, until one reproduces a framework's curve."""
