"""examples/data_parallel.py: data-parallel training on a device mesh, one host and two.

Each check runs in fresh processes: XLA reads the device-count flag once per
process, and this one has a single CPU device. The oracle is the same training
on one device (and the hand formula of the schedule).
"""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import brainstate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "data_parallel.py"
SRC = str(ROOT / "src")


def environment(**extra):
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["PYTHONPATH"] = os.pathsep.join([SRC] + [p for p in [env.get("PYTHONPATH")] if p])
    return env | extra


def test_the_example_runs_as_a_script_on_four_devices_it_asks_for_itself():
    out = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment(),
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0] == "devices: 4 (cpu), processes: 1"
    single = re.search(r"lr now (\d\.\d+)", lines[1])
    assert float(single[1]) == round(
        max(0.02 * 0.7 ** (60 / 10), 1e-3), 6
    )  # the hand formula after 60 steps
    variants = ("jit", "shard_map") if hasattr(brainstate.transform, "shard_map") else ("jit",)
    assert len(lines) == 2 + len(variants)
    for variant, line in zip(variants, lines[2:]):
        found = re.fullmatch(
            rf"{variant}: loss [\d.]+ -> [\d.]+; parameters vs single device: (\S+) relative; "
            r"(\d+) compilation\(s\) for 60 steps; scheduler at step 60, replicated: True",
            line,
        )
        assert found, line
        assert float(found[1]) <= 1e-5 and int(found[2]) == 1


DRIVER = """
import os, runpy, sys
import numpy as np
process, port, example = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"  # 2 processes x 2 devices
import jax
jax.config.update("jax_cpu_collectives_implementation", "gloo")  # collectives between CPU processes
jax.distributed.initialize(coordinator_address=f"localhost:{port}", num_processes=2, process_id=process)
ex = runpy.run_path(example, run_name="data_parallel")
assert (jax.process_count(), jax.device_count(), jax.local_device_count()) == (2, 4, 2)
reference, ref_scheduler, ref_losses, _ = ex["train"]("single")  # each process alone, on one device
worst = {}
for variant in ex["VARIANTS"]:
    values, scheduler, losses, compiled = ex["train"](variant)
    ratios = [np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in zip(jax.tree.leaves(values), jax.tree.leaves(reference))]
    worst[variant] = float(max(ratios))
    assert worst[variant] <= 1e-5, (variant, worst[variant])
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    assert compiled == 1, (variant, compiled)
    epoch = scheduler.last_epoch.value
    assert epoch.sharding.is_fully_replicated and len(epoch.sharding.device_set) == 4, epoch.sharding
    assert scheduler.state_dict() == ref_scheduler.state_dict(), (scheduler.state_dict(), ref_scheduler.state_dict())
print("ok", process, worst)
"""


def test_the_same_code_trains_across_two_processes_like_one_device(tmp_path):
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    with socket.socket() as s:  # a free port for the coordinator
        s.bind(("localhost", 0))
        port = str(s.getsockname()[1])
    procs = [
        subprocess.Popen(
            [sys.executable, str(driver), str(i), port, str(EXAMPLE)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
            cwd=ROOT,
        )
        for i in range(2)
    ]
    try:
        results = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for i, (p, (stdout, stderr)) in enumerate(zip(procs, results)):
        assert p.returncode == 0, stderr[-3000:]
        assert stdout.strip().splitlines()[-1].startswith(f"ok {i} "), stdout
