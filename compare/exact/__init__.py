"""The exact reference: the NumPy reference in extended precision (IEEE quad precision, else long double, or
Fractions where the platform has no wider type), the first gradients and the loss curve every run is measured against, in ulps."""
