"""Warmup, then exponential decay: Adam with SequentialLR([LinearLR, ExponentialDecayLR]).

The learning rate ramps linearly from 0.005 (start_factor 0.1 of base_lr 0.05)
at step 0 to the peak 0.05 at step 100, then halves every 200 steps. The same
training runs twice: eagerly, and with the step compiled by
brainstate.transform.jit. Each prints the learning rate that the update of a
few steps applied (read before optimizer.step) and the loss; both apply the
same learning rates and end with the same weights.

A braintools script writes the same with braintools.optim.SequentialLR,
LinearLR and ExponentialDecayLR; braintools' SequentialLR cannot be stepped
inside jit, expdecay's can (docs/warmup.md).
"""

import brainstate
import jax
import jax.numpy as jnp
import numpy as np

from expdecay import Adam, ExponentialDecayLR, LinearLR, SequentialLR

WARMUP, STEPS = 100, 500
PRINTED = [0, 50, 99, 100, 101, 300, 499]

rng = np.random.default_rng(0)
x = jnp.asarray(rng.normal(size=(256, 4)), jnp.float32)
w_true = jnp.asarray([[1.5], [-2.0], [0.5], [1.0]], jnp.float32)
y = x @ w_true


def build():
    """A fresh model, optimizer and scheduler (the same initial weights every time)."""
    brainstate.random.seed(0)
    model = brainstate.nn.Linear(4, 1)
    params = model.states(brainstate.ParamState)
    scheduler = SequentialLR(
        [
            LinearLR(base_lr=0.05, start_factor=0.1, end_factor=1.0, total_iters=WARMUP),
            ExponentialDecayLR(base_lr=0.05, decay_steps=200, decay_rate=0.5),
        ],
        milestones=[WARMUP],
    )
    optimizer = Adam(lr=scheduler)
    optimizer.register_trainable_weights(params)

    def train_step():
        """One update; returns the loss and the learning rate this update applies."""
        lr = optimizer.current_lr  # read before optimizer.step: the rate of this update
        loss_fn = lambda: jnp.mean((model(x) - y) ** 2)
        grads, loss = brainstate.transform.grad(loss_fn, params, return_value=True)()
        optimizer.step(grads)
        scheduler.step()
        return loss, lr

    return params, train_step


def train(mode):
    params, train_step = build()
    if mode == "jit":
        train_step = brainstate.transform.jit(train_step)
    applied = []
    for step in range(STEPS):
        loss, lr = train_step()
        applied.append(float(np.asarray(lr).reshape(-1)[0]))
        if step in PRINTED:
            print(f"{mode} step {step}: lr = {applied[-1]:.6f}, loss = {float(loss):.6f}")
    weights = [np.asarray(w) for w in jax.tree.leaves({k: s.value for k, s in params.items()})]
    return applied, weights


eager_lrs, eager_weights = train("eager")
jit_lrs, jit_weights = train("jit")
print(f"eager and jit apply the same learning rates at all {STEPS} steps: {eager_lrs == jit_lrs}")
same = all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(eager_weights, jit_weights))
print(f"same weights (to 1e-5): {same}")
