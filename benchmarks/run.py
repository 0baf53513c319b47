"""expdecay against braintools.optim and hand-written optax: one command, one table.

    PYTHONPATH=src python benchmarks/run.py            # the full run (a few minutes)
    PYTHONPATH=src python benchmarks/run.py --smoke    # tiny sizes, few repetitions (seconds)
    PYTHONPATH=src python benchmarks/run.py --only ab  # some items only

Every figure is a median over repetitions in which the contenders take turns
(their order rotates each repetition), so machine noise hits them alike.
Eager timings block until the results are computed. The items are listed in
items.py; harness.py times, records and prints, contenders.py builds what is
timed.

--smoke runs (e) and (f) in this process, so its compilation counts are not
those of a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List, Optional

# The benchmarks folder is not a package: its modules import each other as siblings,
# whether this file runs as a script (its folder is then sys.path[0]) or otherwise.
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import harness  # noqa: E402
from items import CHILDREN, ITEMS  # noqa: E402


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes and few repetitions (checks that it runs)"
    )
    parser.add_argument(
        "--only",
        default="".join(ITEMS),
        help=f"which items to run, e.g. --only ab (of {''.join(ITEMS)})",
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "CONTENDER", "SIZE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:  # one measurement in this fresh process, printed as JSON
        kind, contender, size = args.child
        print(json.dumps(CHILDREN[kind](contender, int(size))))
        return
    unknown = sorted(set(args.only) - set(ITEMS))
    if unknown:
        parser.error(f"--only: no item {', '.join(unknown)} (items: {''.join(ITEMS)})")
    harness.print_tables([ITEMS[key](args.smoke) for key in args.only])


if __name__ == "__main__":
    main()
