"""The fuzz stage: hostile input at the control plane, the Okta twin, every Slack method
and the HTTP layer itself, against a `dtu serve` this script starts.

    .venv/bin/python tests/fuzz/run.py              # bounded: well under 3 minutes
    .venv/bin/python tests/fuzz/run.py --nightly    # much larger (or DTU_FUZZ_NIGHTLY=1)
    .venv/bin/python tests/fuzz/run.py --seed 7 --only slack,raw

Pass criteria, per target: zero 5xx (no chaos rules are installed, so none is an
injected fault), zero hangs (every request answers within HANG_S; slow and stalled
connections never delay another universe), zero crashes (the process stays up and
its stderr never shows "panicked at"). Prints one line of figures per target and
`fuzz: N passed, M failed`; exits 1 when any target failed. The same seed sends the
same requests.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO_ROOT, Server, Tally  # noqa: E402
import control_target  # noqa: E402
import okta_target  # noqa: E402
import raw_target  # noqa: E402
import slack_target  # noqa: E402

TARGETS = ["control", "okta", "slack", "raw"]

# Per target: (positive, negative) cases per OpenAPI operation (and, for Okta, rounds
# over the operations it serves), cases per Slack method, rounds of raw HTTP; and a
# time budget in seconds that cuts a target short (noted) rather than
# letting the stage overrun.
BOUNDED = {
    "control": ((30, 30), 35),
    "okta": ((12, 12, 1), 45),
    "slack": (10, 45),
    "raw": (2, 30),
}
NIGHTLY = {
    "control": ((150, 150), 1200),
    "okta": ((25, 25, 20), 1800),
    "slack": (150, 2400),
    "raw": (20, 600),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nightly", action="store_true", default=os.environ.get("DTU_FUZZ_NIGHTLY") == "1")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("DTU_FUZZ_SEED", "20261204")))
    parser.add_argument("--only", default="", help="comma-separated targets: " + ",".join(TARGETS))
    parser.add_argument("--bin", default=os.environ.get("DTU_BIN", str(REPO_ROOT / "target" / "debug" / "dtu")))
    args = parser.parse_args()
    plan = NIGHTLY if args.nightly else BOUNDED
    wanted = [t for t in TARGETS if not args.only or t in args.only.split(",")]
    binary = Path(args.bin)
    if not binary.is_file():
        print(f"fuzz: dtu binary not found at {binary} (cargo build, or --bin / DTU_BIN)")
        return 1

    print(f"fuzz: {'nightly' if args.nightly else 'bounded'} run, seed {args.seed}, targets {','.join(wanted)}")
    started = time.monotonic()
    server = Server(binary)
    tallies: list[Tally] = []
    # Silent and idle connections, opened now and checked at the end of the raw target.
    idle = raw_target.IdleWatch(server) if "raw" in wanted else None
    try:
        for name in wanted:
            size, budget = plan[name]
            if name == "control":
                tally = control_target.run(server, args.seed, size[0], size[1], budget)
            elif name == "okta":
                tally = okta_target.run(server, args.seed, size[0], size[1], budget, size[2])
            elif name == "slack":
                tally = slack_target.run(server, args.seed, size, budget)
            else:
                tally = raw_target.run(server, args.seed, size, budget, idle)
            # A crash is the server's, whichever target caused it: charge it where seen.
            if not server.alive():
                tally.crashes += 1
                tally.examples.append(f"dtu serve exited with status {server.process.returncode}")
            elif server.panicked():
                tally.crashes += 1
                tally.examples.append("stderr shows a panic")
            tallies.append(tally)
            print(tally.line(), flush=True)
            if not server.alive():
                break
    finally:
        status = server.stop()
    if status not in (0, None) and tallies and not tallies[-1].crashes:
        tallies[-1].crashes += 1
        tallies[-1].examples.append(f"dtu serve exited with status {status} on SIGTERM")
    if server.panicked() and not any(t.crashes for t in tallies):
        tallies[-1].crashes += 1
        tallies[-1].examples.append("stderr shows a panic")

    failed = [t for t in tallies if t.failed]
    for t in tallies:
        for note in t.notes[:8]:
            print(f"  {t.name}: note: {' '.join(note.split())[:200]}")
        for example in t.examples:
            print(f"  {t.name}: FAIL: {example}")
    if any(t.crashes for t in tallies):
        print(f"--- dtu serve stderr ({server.stderr_path}) ---\n{server.stderr()[-6000:]}")
    total = sum(t.requests for t in tallies)
    print(f"fuzz: {total} requests in {time.monotonic() - started:.0f} s")
    print(f"fuzz: {len(tallies) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or len(tallies) < len(wanted) else 0


if __name__ == "__main__":
    sys.exit(main())
