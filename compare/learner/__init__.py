"""A learner's own from-scratch code against the reference, as they wrote it (layouts, containers, loss conventions):
load and call it, grade each tensor, name the mistake with the slipped reference, and trace the line that goes wrong."""
