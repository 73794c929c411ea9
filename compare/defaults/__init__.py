"""The defaults table: every default and convention that differs between torch, Keras and the NumPy
reference, each row measured live on a small probe network."""
