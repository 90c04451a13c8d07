"""Floating-IP holders over a scenario, from each VM's `ip -ts -o monitor address` log (run on the host).

    python3 holders.py ADDRESS START_EPOCH END_EPOCH VM:HELD_AT_START:LOG[:GONE_EPOCH] ...

HELD_AT_START is 1 when the VM had ADDRESS when its monitor started; GONE_EPOCH, when given, is when
the VM died (a killed VM logs no deletion: its address went with it). The VMs share the machine's
clock, so the events of all logs can be merged. Prints JSON: max_holders (most VMs holding the address
at once), overlap_s (time with two or more holders), moves (holder changes).
"""

import datetime
import json
import re
import sys

EVENT = re.compile(r"^\[(?P<ts>[0-9T:.-]+)\] (?P<deleted>Deleted )?\d+: \S+\s+inet (?P<address>[0-9.]+)/")


def epoch(iso: str) -> float:
    return datetime.datetime.fromisoformat(iso).replace(tzinfo=datetime.timezone.utc).timestamp()


def main() -> None:
    address, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    events: list[tuple[float, str, int]] = []  # (time, vm, +1 added / -1 removed)
    held: dict[str, bool] = {}
    for spec in sys.argv[4:]:
        vm, at_start, log, *gone = spec.split(":")
        held[vm] = at_start == "1"
        with open(log, errors="replace") as lines:
            for line in lines:
                match = EVENT.match(line)
                if match and match["address"] == address:
                    events.append((epoch(match["ts"]), vm, -1 if match["deleted"] else 1))
        if gone:
            events.append((float(gone[0]), vm, -1))
    events.sort()
    holding = {vm for vm, yes in held.items() if yes}
    max_holders, overlap, moves, last_t = len(holding), 0.0, 0, start
    only = next(iter(holding)) if len(holding) == 1 else None
    for t, vm, change in events:
        if len(holding) >= 2:
            overlap += max(0.0, t - last_t)
        last_t = t
        if change > 0:
            holding.add(vm)
        else:
            holding.discard(vm)
        max_holders = max(max_holders, len(holding))
        if len(holding) == 1:
            (now,) = holding
            moves += only is not None and now != only
            only = now
    if len(holding) >= 2:
        overlap += max(0.0, end - last_t)
    print(json.dumps({"max_holders": max_holders, "overlap_s": round(overlap, 3), "moves": moves}))


if __name__ == "__main__":
    main()
