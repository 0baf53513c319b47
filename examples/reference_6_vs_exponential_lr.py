"""Reference example 6: ExponentialLR against ExponentialDecayLR with decay_steps=1.

"These are equivalent when decay_steps=1 and called every epoch": both are the
same exponential-decay core, so they agree exactly, epoch after epoch.
"""

from expdecay import ExponentialDecayLR, ExponentialLR

# ExponentialLR: epoch-based, simple gamma decay
exp_lr = ExponentialLR(base_lr=0.1, gamma=0.95)

# ExponentialDecayLR: step-based, configurable transition
exp_decay_lr = ExponentialDecayLR(base_lr=0.1, decay_steps=1, decay_rate=0.95)

for epoch in range(6):
    a, b = exp_lr.get_last_lr()[0], exp_decay_lr.get_last_lr()[0]
    print(
        f"Epoch {epoch}: ExponentialLR lr = {a:.6f}, ExponentialDecayLR lr = {b:.6f}, equal: {a == b}"
    )
    exp_lr.step()
    exp_decay_lr.step()
