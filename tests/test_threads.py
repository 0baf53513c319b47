"""Threads and shared schedulers: the rules of docs/reliability.md, checked.

* Different schedulers and optimizers may be used from different threads at
  the same time (eagerly or under ``brainstate.transform.jit``): they share
  no state.
* One scheduler or optimizer is not thread-safe: use it from one thread at a
  time (a lock around the step, as below).
* One scheduler may drive several optimizers: each update applies its
  current learning rate, and it is stepped once per iteration.

Oracles: the same operations run serially, and the hand formula of the schedule.
"""

import threading

import brainstate
import jax.numpy as jnp
import numpy as np

from expdecay import SGD, ConstantLR, ExponentialDecayLR, ExponentialLR, MultiStepLR, StepLR


def in_threads(*jobs):
    """Run each ``(function, args)`` in its own thread, started together; re-raise the first error."""
    errors, barrier = [], threading.Barrier(len(jobs))

    def run(fn, args):
        barrier.wait()
        try:
            fn(*args)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def schedulers():
    return [
        ExponentialDecayLR(base_lr=[0.1, 0.2], decay_steps=9, decay_rate=0.7, transition_begin=5),
        StepLR(base_lr=1.0, step_size=7, gamma=0.5),
        MultiStepLR(base_lr=0.5, milestones=[30, 200], gamma=0.3),
        ExponentialLR(base_lr=0.3, gamma=0.99),
        ConstantLR(base_lr=0.2, factor=0.1, total_iters=150),
    ]


OPS = (
    [None] * 120 + [50] + [None] * 80 + [7, 300] + [None] * 40
)  # None: step(); an int: step(epoch)


def drive(scheduler, record):
    for op in OPS:
        scheduler.step(op)
        record.append(scheduler.state_dict())


def test_schedulers_in_separate_threads_behave_as_when_run_one_after_another():
    threaded, serial = schedulers(), schedulers()
    records = [[] for _ in threaded]
    in_threads(*[(drive, (s, r)) for s, r in zip(threaded, records)])
    for s, record in zip(serial, records):
        expected = []
        drive(s, expected)
        assert record == expected


def sgd_run(start, steps, out):
    """A compiled SGD training loop with its own scheduler: unit gradients, so w moves by -lr each update."""
    w = brainstate.ParamState(jnp.full(3, start))
    scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=5, decay_rate=0.5)
    optimizer = SGD(lr=scheduler).register_trainable_weights({"w": w})

    @brainstate.transform.jit
    def train_step():
        optimizer.step({"w": jnp.ones(3)})
        scheduler.step()

    for _ in range(steps):
        train_step()
    out[start] = (np.asarray(w.value), int(scheduler.last_epoch.value))


def test_compiled_training_loops_in_separate_threads_each_follow_their_schedule():
    out = {}
    in_threads(*[(sgd_run, (float(start), 150, out)) for start in range(3)])
    applied = sum(np.float32(0.1) * np.float32(0.5) ** (k / 5) for k in range(150))  # hand formula
    for start in range(3):
        w, epoch = out[float(start)]
        assert epoch == 150
        np.testing.assert_allclose(w, start - applied, rtol=2e-6)


def test_a_lock_makes_one_scheduler_safe_to_step_from_several_threads():
    scheduler, lock = StepLR(base_lr=1.0, step_size=100, gamma=0.5), threading.Lock()

    def stepper(n):
        for _ in range(n):
            with lock:  # without it two threads can read the same step count and lose a step
                scheduler.step()

    in_threads((stepper, (1500,)), (stepper, (1500,)))
    assert int(scheduler.last_epoch.value) == 3000
    assert float(scheduler.get_last_lr()[0]) == 0.5**30


def two_optimizers_sharing(scheduler):
    a, b = brainstate.ParamState(jnp.zeros(2)), brainstate.ParamState(jnp.zeros(3))
    return (
        a,
        b,
        SGD(lr=scheduler).register_trainable_weights({"a": a}),
        SGD(lr=scheduler).register_trainable_weights({"b": b}),
    )


def test_one_scheduler_shared_by_two_optimizers_applies_its_lr_to_both_stepped_once_per_iteration():
    schedule = lambda k: 0.1 * 0.5 ** (k / 4)  # noqa: E731 - the hand formula
    for compiled in (False, True):
        scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=4, decay_rate=0.5)
        a, b, first, second = two_optimizers_sharing(scheduler)

        def iteration():
            first.step({"a": jnp.ones(2)})
            second.step({"b": jnp.ones(3)})
            scheduler.step()  # once per iteration, after both updates

        run = brainstate.transform.jit(iteration) if compiled else iteration
        applied = 0.0
        for k in range(12):
            applied += schedule(k)
            run()
            np.testing.assert_allclose(-np.asarray(a.value), applied, rtol=2e-6)
            np.testing.assert_allclose(-np.asarray(b.value), applied, rtol=2e-6)
        assert int(scheduler.last_epoch.value) == 12
        assert scheduler.optimizer is second  # the scheduler remembers the optimizer built last


def test_stepping_a_shared_scheduler_by_each_optimizer_advances_it_twice():
    scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=4, decay_rate=0.5)
    a, b, first, second = two_optimizers_sharing(scheduler)
    for k in range(6):
        first.step({"a": jnp.ones(2)})
        scheduler.step()
        second.step({"b": jnp.ones(3)})
        scheduler.step()
    assert int(scheduler.last_epoch.value) == 12
    np.testing.assert_allclose(
        -np.asarray(a.value), sum(0.1 * 0.5 ** (2 * k / 4) for k in range(6)), rtol=2e-6
    )
    np.testing.assert_allclose(
        -np.asarray(b.value), sum(0.1 * 0.5 ** ((2 * k + 1) / 4) for k in range(6)), rtol=2e-6
    )
