"""Reference example 4: bounded decay with end_value.

The page leaves this example's output out ("LR decays but stops at end_value").
Over its 5000 steps the learning rate stays far above end_value; the second loop
goes further and shows the bound taking over. ``python -m expdecay preview
--base-lr 0.1 --decay-steps 500 --decay-rate 0.9 --end-value 0.001`` prints the
step at which it first reaches end_value.
"""

import brainstate

from expdecay import SGD, ExponentialDecayLR

model = brainstate.nn.Linear(10, 5)

# Decay but don't go below 0.001
scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=500, decay_rate=0.9, end_value=0.001)
optimizer = SGD(lr=scheduler)
optimizer.register_trainable_weights(model.states(brainstate.ParamState))

for step in range(0, 5000, 500):
    for _ in range(step - scheduler.last_epoch.value):
        scheduler.step()
    print(f"Step {step}: lr = {optimizer.current_lr:.6f}")

print("Further on, the bound takes over:")
for step in range(20000, 25000, 1000):
    scheduler.step(step)  # jump straight to `step`
    print(f"Step {step}: lr = {optimizer.current_lr:.6f}")
