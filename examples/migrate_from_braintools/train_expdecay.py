"""Migrating from braintools.optim: train_braintools.py is the script before,
train_expdecay.py after. They differ in one line, the import, and print the
same numbers.
"""

import brainstate
import jax.numpy as jnp
import numpy as np

from expdecay import Adam, ExponentialDecayLR

rng = np.random.default_rng(0)
x = jnp.asarray(rng.normal(size=(256, 8)), jnp.float32)
y = jnp.asarray(np.tanh(np.asarray(x) @ rng.normal(size=(8, 1))), jnp.float32)

brainstate.random.seed(0)
model = brainstate.nn.Sequential(
    brainstate.nn.Linear(8, 16), brainstate.nn.Tanh(), brainstate.nn.Linear(16, 1)
)
params = model.states(brainstate.ParamState)

scheduler = ExponentialDecayLR(base_lr=0.01, decay_steps=100, decay_rate=0.5, staircase=True)
optimizer = Adam(lr=scheduler)
optimizer.register_trainable_weights(params)


def loss_fn():
    return jnp.mean((model(x) - y) ** 2)


@brainstate.transform.jit
def train_step():
    grads, loss = brainstate.transform.grad(loss_fn, params, return_value=True)()
    optimizer.step(grads)
    scheduler.step()
    return loss


for step in range(500):
    lr = optimizer.current_lr  # the learning rate this step's update applies
    loss = train_step()
    if step % 100 == 0 or step == 499:
        print(f"Step {step}: lr = {lr:.6f}, loss = {float(loss):.6f}")
