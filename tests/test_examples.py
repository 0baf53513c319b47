"""Every script in examples/ runs and prints the values an independent oracle expects.

The scripts run in this process (``runpy``, as ``__main__``): the same code as
``python examples/NAME.py``, without paying for a new interpreter and JAX each
time. The oracles are the braintools page's documented numbers where they are
right, and the hand formula ``base_lr * rate ** exponent`` otherwise.
"""

from __future__ import annotations

import difflib
import re
import runpy
from pathlib import Path

import pytest

import expdecay

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ROW = re.compile(r"^Step (\d+): lr = (\d+\.\d+)")
needs_optimizers = pytest.mark.skipif(
    not hasattr(expdecay, "Adam"),
    reason="uses expdecay's optimizers, which are not in this branch yet (branch optim)",
)


def run(capsys, name: str) -> list[str]:
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return capsys.readouterr().out.splitlines()


def rows(lines: list[str]) -> list[tuple[int, float]]:
    return [(int(m[1]), float(m[2])) for m in map(ROW.match, lines) if m]


def test_every_example_has_a_test():
    tested = {
        "reference_1_continuous.py",
        "reference_2_staircase.py",
        "reference_3_delayed.py",
        "reference_4_end_value.py",
        "reference_5_fine_tuning.py",
        "reference_6_vs_exponential_lr.py",
        "train_brainstate.py",
        "optax_exponential_decay.py",
        "resume_from_checkpoint.py",
        "migrate_from_braintools/train_braintools.py",
        "migrate_from_braintools/train_expdecay.py",
        "data_parallel.py",
        "warmup_then_decay.py",
        "lbfgs_full_batch.py",
        "warmup_then_cosine.py",
        "reduce_on_plateau.py",
    }  # tested in its own processes by tests/test_data_parallel.py
    assert {str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.py")} == tested


@needs_optimizers
def test_reference_1_prints_the_next_steps_lr_after_scheduler_step(capsys):
    lines = run(capsys, "reference_1_continuous.py")
    split = lines.index("The LR each update applies (read before optimizer.step):")
    after, before = rows(lines[:split]), rows(lines[split:])
    # The page's loop: "Step k" shows the schedule at step k + 1 (0.099996 at "Step 0").
    assert [step for step, _ in after] == [0, 1000, 2000, 3000, 4000]
    for step, lr in after:
        assert lr == pytest.approx(0.1 * 0.96 ** ((step + 1) / 1000), abs=1.5e-6)
    assert after[0][1] == 0.099996
    # Read before the update: the page's documented column.
    assert before == [(0, 0.1), (1000, 0.096), (2000, 0.09216), (3000, 0.088474), (4000, 0.084935)]


@needs_optimizers
def test_reference_2_staircase_prints_the_documented_values(capsys):
    assert rows(run(capsys, "reference_2_staircase.py")) == [
        (0, 0.1),
        (500, 0.1),
        (1000, 0.05),
        (1500, 0.05),
        (2000, 0.025),
        (2500, 0.025),
        (3000, 0.0125),
    ]


@needs_optimizers
def test_reference_3_delayed_prints_the_documented_values(capsys):
    assert rows(run(capsys, "reference_3_delayed.py")) == [
        (0, 0.01),
        (1000, 0.01),
        (2000, 0.01),
        (3000, 0.0095),
        (4000, 0.009025),
    ]


@needs_optimizers
def test_reference_4_end_value_is_a_lower_bound(capsys):
    printed = rows(run(capsys, "reference_4_end_value.py"))
    assert [step for step, _ in printed] == list(range(0, 5000, 500)) + list(
        range(20000, 25000, 1000)
    )
    for step, lr in printed:
        assert lr == pytest.approx(max(0.1 * 0.9 ** (step / 500), 0.001), abs=1.5e-6)
    assert printed[-1][1] == 0.001


@needs_optimizers
def test_reference_5_fine_tuning_holds_then_decays_gently(capsys):
    lines = run(capsys, "reference_5_fine_tuning.py")
    printed = rows(lines)
    assert [step for step, _ in printed] == [0, 2000, 4000, 6000, 8000]
    for step, lr in printed:
        assert lr == pytest.approx(1e-4 * 0.99 ** (max(step - 500, 0) / 100), abs=1.5e-8)
    final = re.match(r"After (\d+) steps: lr = (\d+\.\d+)", lines[-1])
    assert int(final[1]) == 10000
    assert float(final[2]) == pytest.approx(1e-4 * 0.99**95, abs=1.5e-8)


def test_reference_6_exponential_lr_equals_decay_steps_one(capsys):
    lines = run(capsys, "reference_6_vs_exponential_lr.py")
    assert len(lines) == 6
    for epoch, line in enumerate(lines):
        m = re.match(
            r"Epoch (\d+): ExponentialLR lr = (\S+), ExponentialDecayLR lr = (\S+), equal: True$",
            line,
        )
        assert m, line
        assert int(m[1]) == epoch and m[2] == m[3]
        assert float(m[2]) == pytest.approx(0.1 * 0.95**epoch, abs=1.5e-6)


def test_optax_example_matches_optax_and_trains(capsys):
    lines = run(capsys, "optax_exponential_decay.py")
    printed = [
        (int(m[1]), float(m[2]), float(m[3]))
        for m in (re.match(r"Step (\d+): lr = (\S+), loss = (\S+)", line) for line in lines)
        if m
    ]
    assert [(step, lr) for step, lr, _ in printed] == [
        (0, 0.1),
        (100, 0.05),
        (200, 0.025),
        (300, 0.0125),
        (400, 0.00625),
    ]
    assert printed[-1][2] < printed[0][2] / 1000
    final = re.match(r"Step 500: loss = (\S+), w = (\S+), (\S+), (\S+)$", lines[-2])
    assert float(final[1]) < 1e-3
    assert [float(w) for w in final.groups()[1:]] == pytest.approx(
        [1.5, -2.0, 0.5], abs=0.01
    )  # w_true
    assert (
        lines[-1]
        == "expdecay.exponential_decay equals optax.exponential_decay at steps 0-499: True"
    )


@needs_optimizers
def test_training_script_learns_the_spirals(capsys):
    lines = run(capsys, "train_brainstate.py")
    pattern = re.compile(
        r"epoch +(\d+) +step +(\d+) +lr = (\S+) +train loss = (\S+) +test accuracy = (\S+)$"
    )
    epochs = [pattern.match(line) for line in lines]
    assert all(epochs) and len(epochs) >= 3, lines
    for m in epochs:
        step = int(m[2])
        assert float(m[3]) == pytest.approx(
            max(0.01 * 0.5 ** (max(step - 100, 0) / 50), 1e-4), abs=1.5e-6
        )
    assert float(epochs[-1][4]) < float(epochs[0][4])
    assert float(epochs[-1][5]) >= 0.95


def test_migration_changes_only_the_import_line():
    before = (EXAMPLES / "migrate_from_braintools" / "train_braintools.py").read_text().splitlines()
    after = (EXAMPLES / "migrate_from_braintools" / "train_expdecay.py").read_text().splitlines()
    changed = [
        line
        for line in difflib.unified_diff(before, after, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        "-from braintools.optim import Adam, ExponentialDecayLR",
        "+from expdecay import Adam, ExponentialDecayLR",
    ]


@needs_optimizers
def test_migrated_script_prints_the_same_numbers(capsys, bt):
    theirs = run(capsys, "migrate_from_braintools/train_braintools.py")
    ours = run(capsys, "migrate_from_braintools/train_expdecay.py")
    assert len(ours) == 6 and ours[0].startswith("Step 0: lr = 0.010000, loss = ")
    assert ours == theirs


@needs_optimizers
def test_resumed_run_continues_the_schedule(capsys):
    lines = run(capsys, "resume_from_checkpoint.py")
    saved, resumed, uninterrupted, continued, same = lines
    assert saved.split(": ")[1] == resumed.split(": ")[1]  # same lr at the same step
    assert saved == f"saved at step 150: lr = {0.01 * 0.8**3:.6f}"
    assert uninterrupted.split(":", 1)[1].strip() == continued.split(":", 1)[1].strip()
    assert same == "bitwise the same weights after 300 steps: True"


@needs_optimizers
def test_warmup_then_decay_applies_the_ramp_then_the_decay_eagerly_and_compiled(capsys):
    lines = run(capsys, "warmup_then_decay.py")
    pattern = re.compile(r"^(eager|jit) step (\d+): lr = (\d+\.\d+), loss = (\S+)$")
    printed = [m.groups() for m in map(pattern.match, lines) if m]
    steps = [0, 50, 99, 100, 101, 300, 499]
    assert [(mode, int(step)) for mode, step, _, _ in printed] == [
        (mode, step) for mode in ("eager", "jit") for step in steps
    ]
    for mode, step, lr, _ in printed:
        step = int(step)
        if step < 100:  # LinearLR: base_lr * (start_factor + (1 - start_factor) * step / 100)
            expected = 0.05 * (0.1 + 0.9 * step / 100)
        else:  # ExponentialDecayLR, stepped from 0 at the milestone
            expected = 0.05 * 0.5 ** ((step - 100) / 200)
        assert float(lr) == pytest.approx(expected, abs=1.5e-6), (mode, step)
    eager = [row for row in printed if row[0] == "eager"]
    jit = [row for row in printed if row[0] == "jit"]
    assert [row[2] for row in eager] == [row[2] for row in jit]
    assert float(eager[-1][3]) < float(eager[0][3]) / 1000
    assert lines[-2:] == [
        "eager and jit apply the same learning rates at all 500 steps: True",
        "same weights (to 1e-5): True",
    ]


@needs_optimizers
def test_lbfgs_full_batch_follows_optax_lbfgs_with_the_zoom_line_search(capsys):
    """Oracle: ``optax.lbfgs`` with the zoom line search on the same MLP written as a pure
    function of its parameter values (brainstate's ``Linear`` is ``x @ weight + bias``)."""
    import brainstate
    import jax
    import jax.numpy as jnp
    import optax

    lines = run(capsys, "lbfgs_full_batch.py")
    pattern = re.compile(r"^(?:update +(\d+)|after (\d+) updates): loss = (\d+\.\d+)$")
    printed = [m.groups() for m in map(pattern.match, lines) if m]
    assert lines[0] == "L-BFGS with a zoom line search, 20 full-batch updates"
    assert [int(a or b) for a, b, _ in printed] == [0, 4, 8, 12, 16, 20]

    script = runpy.run_path(str(EXAMPLES / "lbfgs_full_batch.py"), run_name="oracle")
    brainstate.random.seed(0)
    values = {k: s.value for k, s in script["MLP"]().states(brainstate.ParamState).items()}
    x = jnp.linspace(-3.0, 3.0, 64)[:, None]
    y = jnp.sin(x)

    def loss(p):
        l1, l2 = p[("l1", "weight")], p[("l2", "weight")]
        out = jnp.tanh(x @ l1["weight"] + l1["bias"]) @ l2["weight"] + l2["bias"]
        return jnp.mean((out - y) ** 2)

    tx = optax.lbfgs(
        learning_rate=1.0,
        memory_size=10,
        linesearch=optax.scale_by_zoom_linesearch(max_linesearch_steps=100),
    )

    @jax.jit
    def update(p, state):
        value, grads = jax.value_and_grad(loss)(p)
        updates, state = tx.update(grads, state, p, value=value, grad=grads, value_fn=loss)
        return optax.apply_updates(p, updates), state, value

    state, expected = tx.init(values), []
    for _ in range(20):
        values, state, value = update(values, state)
        expected.append(float(value))
    expected.append(float(loss(values)))
    for (_, _, shown), want in zip(printed, expected[0:20:4] + expected[-1:]):
        assert float(shown) == pytest.approx(want, rel=1e-4, abs=2e-6)
    assert expected[-1] < expected[0] / 10


@needs_optimizers
def test_warmup_then_cosine_applies_the_hand_formula_in_a_compiled_loop(capsys):
    import math

    lines = run(capsys, "warmup_then_cosine.py")
    pattern = re.compile(r"^step (\d+): applied lr = (\d\.\d+) \(lr_at (\d\.\d+), hand")
    seen = [(int(m[1]), float(m[2]), float(m[3])) for m in map(pattern.match, lines) if m]
    assert [s for s, _, _ in seen] == [0, 10, 19, 20, 60, 110, 199]
    for step, applied, closed in seen:
        if step < 20:
            expected = 0.1 * (0.1 + 0.9 * step / 20)
        else:
            expected = 0.001 + 0.099 * (1 + math.cos(math.pi * (step - 20) / 180)) / 2
        assert applied == pytest.approx(expected, abs=1e-6) and closed == applied
    assert lines[-1].endswith("at every step: True")


@needs_optimizers
def test_reduce_on_plateau_cuts_where_the_documented_rule_says(capsys):
    from tests.test_state_machine_schedulers import plateau_reference

    lines = run(capsys, "reduce_on_plateau.py")
    pattern = re.compile(r"^epoch (\d+): val_loss = (\d+\.\d+), next lr = (\d+\.\d+)")
    seen = [(float(m[2]), float(m[3])) for m in map(pattern.match, lines) if m]
    assert len(seen) == 25
    hand = plateau_reference(
        [loss for loss, _ in seen],
        [0.3],
        mode="min",
        factor=0.5,
        patience=2,
        threshold=0.01,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0.01,
        eps=1e-8,
    )
    assert [lr for _, lr in seen] == pytest.approx([h[0] for h in hand], abs=6e-6)
    assert seen[-1][1] == pytest.approx(0.01) and seen[0][1] == pytest.approx(0.3)
    assert lines[-1].startswith("traced once: True")
