"""expdecay.exponential_decay with plain optax: a drop-in for optax.exponential_decay.

No brainstate here: a linear least-squares fit in pure JAX + optax, with the
learning rate schedule from expdecay. The schedule is a pure function of the
step count, so optax calls it inside the jitted update. The script checks that
expdecay's values equal optax's own schedule at every step it trains.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

import expdecay

schedule = expdecay.exponential_decay(0.1, transition_steps=100, decay_rate=0.5, staircase=True)
reference = optax.exponential_decay(0.1, transition_steps=100, decay_rate=0.5, staircase=True)

# Data: y = x @ w_true + noise
key_x, key_noise = jax.random.split(jax.random.PRNGKey(0))
x = jax.random.normal(key_x, (128, 3))
w_true = jnp.array([1.5, -2.0, 0.5])
y = x @ w_true + 0.01 * jax.random.normal(key_noise, (128,))

optimizer = optax.adam(learning_rate=schedule)
w = jnp.zeros(3)
opt_state = optimizer.init(w)


def loss_fn(w):
    return jnp.mean((x @ w - y) ** 2)


@jax.jit
def train_step(w, opt_state):
    loss, grads = jax.value_and_grad(loss_fn)(w)
    updates, opt_state = optimizer.update(grads, opt_state, w)
    return optax.apply_updates(w, updates), opt_state, loss


for step in range(500):
    if step % 100 == 0:
        print(f"Step {step}: lr = {float(schedule(step)):.6f}, loss = {float(loss_fn(w)):.6f}")
    w, opt_state, loss = train_step(w, opt_state)

print(
    f"Step 500: loss = {float(loss_fn(w)):.6f}, w = {', '.join(f'{v:.3f}' for v in np.asarray(w))}"
)
steps = jnp.arange(500)
print(
    "expdecay.exponential_decay equals optax.exponential_decay at steps 0-499:",
    bool(jnp.array_equal(schedule(steps), reference(steps))),
)
