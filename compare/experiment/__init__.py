"""One comparison, start to end: build every implementation from the shared inputs, take their first gradients
and finite differences, train them on the same schedule, and hold the Result with its agreement tables."""
