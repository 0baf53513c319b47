"""ReduceLROnPlateau on a validation loss: Adam, the learning rate cut when the loss stalls.

A small brainstate model is fitted to noisy data; after each epoch the
validation loss is the scheduler's metric (scheduler.step(val_loss)). With
patience=2, the learning rate is halved after three epochs in a row without
a 1% improvement (threshold_mode='rel'), never below min_lr. The epoch (its
updates and the plateau step with the traced validation loss) is compiled by
brainstate.transform.jit, traced once. Each line prints the epoch, the
validation loss, and the learning rate the next epoch will apply.
"""

import brainstate
import jax.numpy as jnp
import numpy as np

from expdecay import Adam, ReduceLROnPlateau

EPOCHS, BATCHES = 25, 8
rng = np.random.default_rng(0)
w_true = np.asarray([[1.0], [-2.0], [0.5], [3.0]], np.float32)
x_train = rng.normal(size=(BATCHES, 32, 4)).astype(np.float32)
y_train = x_train @ w_true + rng.normal(scale=0.3, size=(BATCHES, 32, 1)).astype(np.float32)
x_val = rng.normal(size=(64, 4)).astype(np.float32)
y_val = x_val @ w_true + rng.normal(scale=0.3, size=(64, 1)).astype(np.float32)

brainstate.random.seed(0)
model = brainstate.nn.Linear(4, 1)
params = model.states(brainstate.ParamState)
scheduler = ReduceLROnPlateau(
    base_lr=0.3, mode="min", factor=0.5, patience=2, threshold=0.01, min_lr=0.01
)
optimizer = Adam(lr=scheduler)
optimizer.register_trainable_weights(params)
traces = []


@brainstate.transform.jit
def epoch(xs, ys):
    traces.append(1)

    def update(xy):
        bx, by = xy
        grads = brainstate.transform.grad(lambda: jnp.mean((model(bx) - by) ** 2), params)()
        optimizer.step(grads)

    brainstate.transform.for_loop(update, (xs, ys))
    val_loss = jnp.mean((model(x_val) - y_val) ** 2)
    scheduler.step(val_loss)  # the metric is a traced value: no host round trip
    return val_loss


history = []
for e in range(EPOCHS):
    val_loss = float(epoch(x_train, y_train))
    lr = scheduler.get_last_lr()[0]
    history.append((val_loss, lr))
    print(f"epoch {e}: val_loss = {val_loss:.8f}, next lr = {lr:.5f}")
print(
    f"traced once: {len(traces) == 1}; cuts: {sum(b[1] < a[1] for a, b in zip(history, history[1:]))}"
)
