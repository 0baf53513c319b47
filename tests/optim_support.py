"""Shared pieces of the optimizer tests: a small MLP, its loss, and trajectory runners."""

from __future__ import annotations

from typing import Callable, Dict, List, Optional

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import optax

W1, W2 = ("l1", "weight"), ("l2", "weight")  # the keys model.states(ParamState) gives


class MLP(brainstate.nn.Module):
    """4 -> 16 -> 3, tanh: two brainstate Linear layers without biases (each a ParamState holding
    its weight: two leaves, so each optimizer's compiled update compiles about 30 % faster).

    ``values`` (host arrays, as :func:`make_model` caches them) set the initial parameters; without
    them brainstate's initialisers draw them.
    """

    def __init__(self, values: Optional[Dict] = None):
        super().__init__()
        init = {} if values is None else values
        self.l1 = brainstate.nn.Linear(4, 16, b_init=None, **_given(init.get(W1)))
        self.l2 = brainstate.nn.Linear(16, 3, b_init=None, **_given(init.get(W2)))

    def __call__(self, x):
        return self.l2(jnp.tanh(self.l1(x)))


def _given(values: Optional[Dict]) -> Dict:
    if values is None:
        return {}
    # fresh device buffers: no two models share an array (a donating optimizer deletes its own)
    return dict(w_init=jnp.asarray(values["weight"]))


_DRAWN: Dict[
    tuple, tuple
] = {}  # (seed, x64) -> (initial host values, random key after drawing them)


def make_model(seed: int = 0) -> MLP:
    """A fresh MLP with the parameters ``brainstate.random.seed(seed)`` draws.

    The first model of a seed is drawn by brainstate's initialisers; later ones get copies of
    the same values and leave the random state where drawing would (an eager draw costs about
    50 ms, and the optimizer tests build hundreds of models).
    """
    drawn = (seed, jax.config.jax_enable_x64)  # float64 parameters under x64
    if drawn not in _DRAWN:
        brainstate.random.seed(seed)
        model = MLP()
        values = {k: host(s.value) for k, s in model.states(brainstate.ParamState).items()}
        _DRAWN[drawn] = (values, brainstate.random.get_key())
        return model
    values, key = _DRAWN[drawn]
    brainstate.random.set_key(key)
    return MLP(values)


X = jax.random.normal(jax.random.PRNGKey(1), (32, 4))
Y = jax.random.normal(jax.random.PRNGKey(2), (32, 3))


def loss(values: Dict) -> jax.Array:
    """Mean squared error of the MLP written on its parameter values (a pure function)."""
    out = jnp.tanh(X @ values[W1]["weight"]) @ values[W2]["weight"]
    return jnp.mean((out - Y) ** 2)


grad_of = jax.jit(jax.grad(loss))


def values_of(params) -> Dict:
    return {k: s.value for k, s in params.items()}


def host(tree):
    return jax.tree.map(np.array, tree)


def run_steps(
    params: Dict,
    optimizer,
    scheduler,
    n: int,
    out: Optional[List] = None,
    every: int = 1,
    jit: bool = False,
) -> Optional[List]:
    """``n`` steps on the MLP's ``params``: ``optimizer.step(grads)``, then ``scheduler.step()``
    (if there is one).

    ``out``: a list that gets host copies of the parameter values every ``every`` steps (and is
    returned). ``jit``: each step under one ``brainstate.transform.jit`` (how braintools' runs
    are the oracle: its eager L-BFGS or Fromage step takes about 0.2 s, and its compiled one is
    as close to the eager one as we are, see ``test_optim_parity``).
    """

    def one_step(grads):
        optimizer.step(grads)
        if scheduler is not None:
            scheduler.step()

    run = brainstate.transform.jit(one_step) if jit else one_step
    for k in range(n):
        run(grad_of(values_of(params)))
        if out is not None and (k + 1) % every == 0:
            out.append(host(values_of(params)))
    return out


def train_stateful(make_optimizer: Callable, steps: int, every: int = 1, jit: bool = False) -> List:
    """Train a fresh MLP with ``(optimizer, scheduler_or_None) = make_optimizer()``.

    Returns host copies of the parameter values every ``every`` steps.
    """
    params = make_model().states(brainstate.ParamState)
    optimizer, scheduler = make_optimizer()
    optimizer.register_trainable_weights(params)
    return run_steps(params, optimizer, scheduler, steps, out=[], every=every, jit=jit)


def train_optax(tx: optax.GradientTransformation, steps: int, every: int = 1) -> List:
    """The same training with a hand-written optax transformation (one jitted update)."""
    values = host(values_of(make_model().states(brainstate.ParamState)))
    state = tx.init(values)

    @jax.jit
    def update(values, state, grads):
        updates, state = tx.update(grads, state, values)
        return optax.apply_updates(values, updates), state

    out = []
    for k in range(steps):
        values, state = update(values, state, grad_of(values))
        if (k + 1) % every == 0:
            out.append(host(values))
    return out


def worst_relative(a: List, b: List) -> float:
    """Largest ``max|a - b| / max|b|`` over every parameter array and every recorded step."""
    assert len(a) == len(b) and a
    worst = 0.0
    for ta, tb in zip(a, b):
        la, lb = jax.tree.leaves(ta), jax.tree.leaves(tb)
        assert len(la) == len(lb)
        for x, y in zip(la, lb):
            assert x.shape == y.shape
            err, scale = float(np.max(np.abs(x - y))), float(np.max(np.abs(y)))
            assert np.isfinite(err), "a trajectory has a non-finite value"
            worst = max(worst, err / scale if scale else (0.0 if err == 0 else float("inf")))
    return worst
