"""Reference example 2: staircase mode, with SGD and momentum.

The loop advances the scheduler to each step and prints the learning rate
there; the documented values are what it prints.
"""

import brainstate

from expdecay import SGD, ExponentialDecayLR

model = brainstate.nn.Linear(10, 5)

# Decay every 1000 steps with staircase mode
scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5, staircase=True)
optimizer = SGD(lr=scheduler, momentum=0.9)
optimizer.register_trainable_weights(model.states(brainstate.ParamState))

for step in [0, 500, 1000, 1500, 2000, 2500, 3000]:
    for _ in range(step - scheduler.last_epoch.value):
        scheduler.step()
    print(f"Step {step}: lr = {optimizer.current_lr:.6f}")
