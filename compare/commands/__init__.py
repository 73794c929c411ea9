"""One module per mlp-compare subcommand, and the flags they share."""
