"""Reference example 5: fine-tuning with a very gentle decay after a hold.

The page's loop prints nothing; this one prints, every 2000 steps, the
learning rate the update is about to apply (read before ``optimizer.step``).
"""

import brainstate
import jax.numpy as jnp

from expdecay import Adam, ExponentialDecayLR

model = brainstate.nn.Linear(10, 5)
params = model.states(brainstate.ParamState)
x = jnp.ones((4, 10))
grads = brainstate.transform.grad(lambda: jnp.mean(model(x) ** 2), params)()  # `grads` of the page

# Very gentle step-based decay for fine-tuning
scheduler = ExponentialDecayLR(base_lr=1e-4, decay_steps=100, decay_rate=0.99, transition_begin=500)
optimizer = Adam(lr=scheduler, weight_decay=1e-5)
optimizer.register_trainable_weights(params)

# Fine-tune for many steps
for step in range(10000):
    if step % 2000 == 0:
        print(f"Step {step}: lr = {optimizer.current_lr:.8f}")
    optimizer.step(grads)
    scheduler.step()
print(f"After {scheduler.last_epoch.value} steps: lr = {optimizer.current_lr:.8f}")
