"""A complete brainstate training script with ExponentialDecayLR and Adam.

A small MLP learns to tell two interleaved spirals apart. The learning rate is
held for 100 steps, then decays by half every 50 steps, down to end_value; the
scheduler steps once per minibatch, inside the compiled training step. Every
other epoch prints the learning rate the next update will apply, the training
loss and the test accuracy.
"""

import brainstate
import jax.numpy as jnp
import numpy as np
import optax

from expdecay import Adam, ExponentialDecayLR


def spirals(n, rng):
    """Two interleaved spirals in the plane, labels 0 and 1."""
    t = rng.uniform(0.25, 1.0, size=n) * 3 * np.pi
    label = rng.integers(0, 2, size=n)
    angle = t + np.pi * label
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) / (3 * np.pi)
    x += 0.02 * rng.normal(size=x.shape)
    return x.astype(np.float32), label


class MLP(brainstate.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = brainstate.nn.Sequential(
            brainstate.nn.Linear(2, 64),
            brainstate.nn.ReLU(),
            brainstate.nn.Linear(64, 64),
            brainstate.nn.ReLU(),
            brainstate.nn.Linear(64, 2),
        )

    def update(self, x):
        return self.net(x)


rng = np.random.default_rng(0)
x_train, y_train = spirals(1024, rng)
x_test, y_test = spirals(512, rng)

brainstate.random.seed(0)
model = MLP()
params = model.states(brainstate.ParamState)

scheduler = ExponentialDecayLR(
    base_lr=0.01, decay_steps=50, decay_rate=0.5, transition_begin=100, end_value=1e-4
)
optimizer = Adam(lr=scheduler)
optimizer.register_trainable_weights(params)


def loss_fn(x, y):
    return optax.softmax_cross_entropy_with_integer_labels(model(x), y).mean()


@brainstate.transform.jit
def train_step(x, y):
    grads, loss = brainstate.transform.grad(loss_fn, params, return_value=True)(x, y)
    optimizer.step(grads)
    scheduler.step()
    return loss


@brainstate.transform.jit
def accuracy(x, y):
    return jnp.mean(jnp.argmax(model(x), axis=-1) == y)


batch_size = 64
for epoch in range(16):
    order = rng.permutation(len(x_train))
    losses = [
        train_step(x_train[idx], y_train[idx]) for idx in np.split(order, len(order) // batch_size)
    ]
    if epoch % 2 == 1:
        print(
            f"epoch {epoch:2d}  step {int(scheduler.last_epoch.value):4d}  lr = {optimizer.current_lr:.6f}  "
            f"train loss = {float(np.mean(losses)):.4f}  test accuracy = {float(accuracy(x_test, y_test)):.3f}"
        )
