"""Resuming training from a checkpoint, with the learning-rate schedule intact.

Run A trains 300 steps without stopping. Run B trains 150 steps, saves a
checkpoint (model weights, optimizer state, scheduler state) to a file, and a
fresh model, optimizer and scheduler load it and train the remaining 150
steps. The resumed run continues the schedule where it stopped (it does not
restart at base_lr) and ends with the same weights and learning rate as run A.
"""

import os
import pickle
import tempfile

import brainstate
import jax
import jax.numpy as jnp
import numpy as np

from expdecay import Adam, ExponentialDecayLR

rng = np.random.default_rng(0)
x = jnp.asarray(rng.normal(size=(128, 4)), jnp.float32)
y = jnp.asarray(rng.normal(size=(128, 1)), jnp.float32)


def build():
    """A fresh model, optimizer and scheduler (same initial weights every time)."""
    brainstate.random.seed(0)
    model = brainstate.nn.Sequential(
        brainstate.nn.Linear(4, 16), brainstate.nn.Tanh(), brainstate.nn.Linear(16, 1)
    )
    params = model.states(brainstate.ParamState)
    scheduler = ExponentialDecayLR(base_lr=0.01, decay_steps=50, decay_rate=0.8)
    optimizer = Adam(lr=scheduler)
    optimizer.register_trainable_weights(params)

    @brainstate.transform.jit
    def train_step():
        loss_fn = lambda: jnp.mean((model(x) - y) ** 2)
        grads, loss = brainstate.transform.grad(loss_fn, params, return_value=True)()
        optimizer.step(grads)
        scheduler.step()
        return loss

    return params, optimizer, scheduler, train_step


def weights(params):
    return {key: state.value for key, state in params.items()}


def train(train_step, n):
    for _ in range(n):
        loss = train_step()
    return float(loss)


# Run A: 300 steps in one go.
params_a, optimizer_a, scheduler_a, step_a = build()
loss_a = train(step_a, 300)

# Run B: 150 steps, then a checkpoint on disk.
params_b, optimizer_b, scheduler_b, step_b = build()
train(step_b, 150)
checkpoint = {
    "params": weights(params_b),
    "optimizer": optimizer_b.state_dict(),
    "scheduler": scheduler_b.state_dict(),
}
path = os.path.join(tempfile.mkdtemp(), "checkpoint.pkl")
with open(path, "wb") as f:
    pickle.dump(jax.device_get(checkpoint), f)
print(f"saved at step {scheduler_b.last_epoch.value}: lr = {optimizer_b.current_lr:.6f}")

# ... later, in a new process: fresh objects, then load the checkpoint.
params_c, optimizer_c, scheduler_c, step_c = build()
with open(path, "rb") as f:
    checkpoint = pickle.load(f)
for key, state in params_c.items():
    state.value = checkpoint["params"][key]
optimizer_c.load_state_dict(checkpoint["optimizer"])
scheduler_c.load_state_dict(checkpoint["scheduler"])
print(f"resumed at step {scheduler_c.last_epoch.value}: lr = {optimizer_c.current_lr:.6f}")
loss_c = train(step_c, 150)

print(
    f"uninterrupted: step {scheduler_a.last_epoch.value}, lr = {optimizer_a.current_lr:.6f}, loss = {loss_a:.6f}"
)
print(
    f"resumed:       step {scheduler_c.last_epoch.value}, lr = {optimizer_c.current_lr:.6f}, loss = {loss_c:.6f}"
)
same = all(
    map(np.array_equal, jax.tree.leaves(weights(params_a)), jax.tree.leaves(weights(params_c)))
)
print(f"bitwise the same weights after 300 steps: {same}")
