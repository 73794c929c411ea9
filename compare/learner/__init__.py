"""A learner's own from-scratch code against the reference: load and call their function, grade each
tensor, and name the mistake by putting the same slip into the reference."""
