"""Reference example 3: delayed decay start (transition_begin).

The learning rate is held at base_lr for the first 2000 steps, then decays by
0.95 every 1000 steps.
"""

import brainstate

from expdecay import Adam, ExponentialDecayLR

model = brainstate.nn.Linear(10, 5)

# Hold LR constant for 2000 steps, then start decay
scheduler = ExponentialDecayLR(
    base_lr=0.01, decay_steps=1000, decay_rate=0.95, transition_begin=2000
)
optimizer = Adam(lr=scheduler)
optimizer.register_trainable_weights(model.states(brainstate.ParamState))

for step in [0, 1000, 2000, 3000, 4000]:
    for _ in range(step - scheduler.last_epoch.value):
        scheduler.step()
    print(f"Step {step}: lr = {optimizer.current_lr:.6f}")
