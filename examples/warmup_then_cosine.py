"""Warmup, then cosine annealing: SGD with SequentialLR([LinearLR, CosineAnnealingLR]).

The modern recipe: the learning rate ramps linearly from 0.01 to the peak 0.1
over the first 20 steps, then follows half a cosine down to eta_min = 0.001 at
step 200. The loop is one compiled brainstate.transform.for_loop over all 200
updates, traced once; it returns the learning rate each update applied, which
is printed at a few steps beside the closed form the scheduler reports eagerly
(lr_at) and beside the hand formula.
"""

import math

import brainstate
import jax.numpy as jnp
import numpy as np

from expdecay import SGD, CosineAnnealingLR, LinearLR, SequentialLR

WARMUP, STEPS, PEAK, FLOOR = 20, 200, 0.1, 0.001
PRINTED = [0, 10, 19, 20, 60, 110, 199]

rng = np.random.default_rng(0)
x = jnp.asarray(rng.normal(size=(128, 3)), jnp.float32)
y = x @ jnp.asarray([[2.0], [-1.0], [0.5]], jnp.float32)

brainstate.random.seed(0)
model = brainstate.nn.Linear(3, 1)
params = model.states(brainstate.ParamState)
scheduler = SequentialLR(
    [
        LinearLR(base_lr=PEAK, start_factor=0.1, total_iters=WARMUP),
        CosineAnnealingLR(base_lr=PEAK, T_max=STEPS - WARMUP, eta_min=FLOOR),
    ],
    milestones=[WARMUP],
)
optimizer = SGD(lr=scheduler, momentum=0.9)
optimizer.register_trainable_weights(params)
closed_form = np.asarray(scheduler.lr_at(np.arange(STEPS)))[:, 0]


def hand(step):
    if step < WARMUP:
        return PEAK * (0.1 + 0.9 * step / WARMUP)
    t = step - WARMUP
    return FLOOR + (PEAK - FLOOR) * (1 + math.cos(math.pi * t / (STEPS - WARMUP))) / 2


def train_step(i):
    lr = optimizer.current_lr  # the rate this update applies
    grads, loss = brainstate.transform.grad(
        lambda: jnp.mean((model(x) - y) ** 2), params, return_value=True
    )()
    optimizer.step(grads)
    scheduler.step()
    return lr, loss


applied, losses = brainstate.transform.for_loop(train_step, jnp.arange(STEPS))
applied = np.asarray(applied)
for step in PRINTED:
    print(
        f"step {step}: applied lr = {applied[step]:.6f} (lr_at {closed_form[step]:.6f}, "
        f"hand {hand(step):.6f}), loss = {float(losses[step]):.6f}"
    )
print(
    f"the compiled loop applied lr_at's values at every step: {np.array_equal(applied, closed_form)}"
)
