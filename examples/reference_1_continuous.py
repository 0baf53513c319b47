"""Reference example 1: basic continuous exponential decay, and what it really prints.

The braintools page runs this loop and documents ``Step 0: lr = 0.100000``,
``Step 1000: lr = 0.096000``, ... But the loop prints *after*
``scheduler.step()``, so at ``step = k`` the scheduler is already at step
``k + 1`` and ``optimizer.current_lr`` is the learning rate of the *next*
update: 0.1 * 0.96 ** ((k + 1) / 1000). braintools itself prints 0.099996 at
"Step 0" as well; the documented column is the learning rate each printed
update *applied*, which the second loop below prints by reading
``current_lr`` before the update.
"""

import brainstate
import jax.numpy as jnp

from expdecay import Adam, ExponentialDecayLR

model = brainstate.nn.Linear(10, 5)
params = model.states(brainstate.ParamState)
# The page leaves `grads` undefined: take the gradient of a small loss once.
x = jnp.ones((4, 10))
grads = brainstate.transform.grad(lambda: jnp.mean(model(x) ** 2), params)()

# --- The page's loop, unchanged: it prints after scheduler.step().
scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.96)
optimizer = Adam(lr=scheduler)
optimizer.register_trainable_weights(params)

print("The page's loop (prints after scheduler.step(), so it shows the NEXT update's LR):")
for step in range(5000):
    optimizer.step(grads)
    scheduler.step()
    if step % 1000 == 0:
        print(f"Step {step}: lr = {optimizer.current_lr:.6f}")

# --- The learning rate each update applies: read current_lr before the update.
scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.96)
optimizer = Adam(lr=scheduler)
optimizer.register_trainable_weights(params)

print("The LR each update applies (read before optimizer.step):")
for step in range(5000):
    if step % 1000 == 0:
        print(f"Step {step}: lr = {optimizer.current_lr:.6f}")
    optimizer.step(grads)
    scheduler.step()
