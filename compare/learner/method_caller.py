"""One call of a method of the learner's object as the check makes it (MethodCaller): the weights set in their own
containers, the batch set where the class keeps it, the methods it depends on run first, the step or the gradients
read back."""

from __future__ import annotations

import numpy as np

from compare.errors import LearnerError
from compare.learner import binding, returned, roles, slots
from compare.learner.calling import Batch, Caller, changes
from compare.learner.layouts import Form
from compare.learner.loading import folder_of, guarded, their_traceback
from compare.learner.returned import Returned


class MethodCaller(Caller):
    """A method of the learner's object: the weights set in their own containers, the batch set where the class keeps
    it, the methods it depends on run first, the step or the gradients read back."""

    def __init__(self, instance, method_name: str, where: slots.Binding, form: Form, patches=None, module=None, remake=None):
        method = getattr(instance, method_name)
        super().__init__(method, form, patches, instance, module, f"{type(instance).__name__}.{method_name}")
        self.instance, self.method_name, self.slots, self.remake = instance, method_name, where, remake
        cls = type(instance)
        held = frozenset(x.path[0][1] for s in where.layers for x in (s.weight, s.bias) if x is not None and x.path and x.path[0][0] == ".")
        self.before_calls = (
            binding.prerequisites(cls, method_name, held) if isinstance(getattr(cls, method_name, None), type(lambda: 0)) else []
        )
        self.data = binding.data_attributes(cls)

    def call(self, batch: Batch) -> Returned:
        calls = []
        for Xs, ys in self.form.samples(batch.X, batch.y, batch.classes):
            calls.append(self.sample(lambda Xs, ys: self.once(batch, Xs, ys, None), Xs, ys))
        return returned.mean(calls) if self.form.per_sample else calls[0]

    def once(self, batch: Batch, Xs, ys, masks) -> Returned:
        self.slots.write(self.instance, [(self.form_canonical(W), b) for W, b in batch.params])
        for attr, what in self.data.items():
            setattr(self.instance, attr, Xs if what == "X" else ys)
        for name in self.before_calls:
            method = getattr(self.instance, name)
            args = {p.name: Xs if p.role == "X" else ys for p in roles.parameters(method) if p.role in ("X", "y")}
            self.run_method(method, args)
        before = self.slots.read(self.instance)
        X0 = Xs.copy()
        out = self.run(self.arguments(None, Xs, ys, None, batch.lr, batch.l2, layers=len(batch.params)))
        after = self.slots.read(self.instance)
        n = 1 if self.form.per_sample else len(batch.X)
        if any(not np.array_equal(a[0], b[0]) for a, b in zip(after, before)):
            lr, words = self.lr(batch.lr)
            grads = [((Wb - Wa) / lr, None if bb is None else (bb - ba) / lr) for (Wb, bb), (Wa, ba) in zip(before, after)]
            loss = float(np.asarray(out).reshape(())) if returned._number(out) else None
            got = Returned(loss, grads, {}, "float64", "in place", lr, words)
        else:
            got = returned.read(out, self.form, batch.params, n, self.name)
        got.changed = tuple(w for w in (changes("X", X0, Xs),) if w)
        return got

    @staticmethod
    def form_canonical(W):
        return W

    def run_method(self, method, args):
        try:
            with guarded(self.patches):
                return method(**args)
        except (Exception, SystemExit) as e:
            raise LearnerError(
                f"{type(self.instance).__name__}.{method.__name__} raised {type(e).__name__}: {e}".splitlines()[0],
                their_traceback(e, folder_of(self.fn)),
            ) from None
