"""Long calls release the GIL (another Python thread keeps running) and honour Ctrl-C: a SIGINT
raises KeyboardInterrupt within INTERRUPT_BOUND seconds, and the computation stops (no CPU used
after the call has returned) instead of running on in the background."""

import os
import random
import signal
import threading
import time

import pytest

import pai_graphon

SIDE = 1024
# The caller polls for signals every 50 ms; the rest is scheduling on a busy machine.
INTERRUPT_BOUND = 2.0
# The counter thread sleeps this long between ticks.
TICK = 0.001


def masks(seeds):
    """A stack of FSM masks: each mask is one unit of work between two checks of the
    cancellation flag (about 10 ms of CPU at SIDE = 1024)."""
    return pai_graphon.reference_masks("fsm:exp:3;exp:3", SIDE, SIDE, 0.2, seeds=range(seeds))


class Counter(threading.Thread):
    """A Python thread that counts while it gets the GIL."""

    def __init__(self):
        super().__init__(daemon=True)
        self.count, self.stop = 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.count += 1
            time.sleep(TICK)


def ticks_during(call):
    """How often the counter ticked while `call` ran, and the call's wall time."""
    c = Counter()
    c.start()
    time.sleep(0.05)  # the counter is running
    before, t0 = c.count, time.perf_counter()
    call()
    after, wall = c.count, time.perf_counter() - t0
    c.stop.set()
    c.join()
    return after - before, wall


def repeat_for(seconds, call):
    """`call` repeated until `seconds` have passed: a window long enough to count ticks in,
    whatever the machine's speed (TOOL-1 alone took 0.40 s on a quiet machine, 0.84 s busy)."""

    def run():
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            call()

    return run


def test_long_calls_release_the_gil():
    """While calls of ≥ 0.6 s in all run (the exact rational claim TOOL-1, repeated; no large
    output), the counter ticks at least once per 50 ms on average (the caller takes
    the GIL back only to poll for signals); a C call that holds the GIL for ≥ 0.2 s (sorting a
    shuffled list of Python ints) lets it tick at most twice: the negative control."""
    ours, wall = ticks_during(repeat_for(0.6, lambda: pai_graphon.audit("TOOL-1")))
    assert ours >= wall / 0.05, f"{ours} ticks in {wall:.2f} s: the GIL was held"
    values = list(range(2_000_000))
    random.Random(0).shuffle(values)
    held, held_wall = ticks_during(values.sort)
    assert held_wall >= 0.2, f"control: the sort took {held_wall:.2f} s, too short"
    assert held <= 2, f"control: {held} ticks in {held_wall:.2f} s while the sort held the GIL"


def test_ctrl_c_interrupts_promptly_and_stops_the_work():
    """SIGINT 0.3 s into a call of 1000 masks (≈ 2.3 s on a quiet machine, 1 GiB had it run to
    the end; pages are touched only as masks are written): KeyboardInterrupt within
    INTERRUPT_BOUND s of the signal; then, over 0.5 s starting 0.5 s later, the process uses less
    than a fifth of the CPU rate it had before the signal (the control: the call was computing;
    a worker left running would keep that rate)."""
    sent = {}

    def interrupt():
        sent["wall"], sent["cpu"] = time.perf_counter(), time.process_time()
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.3, interrupt)
    t0, c0 = time.perf_counter(), time.process_time()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        masks(1000)
    raised = time.perf_counter()
    timer.join()
    latency = raised - sent["wall"]
    assert latency < INTERRUPT_BOUND, f"KeyboardInterrupt {latency:.2f} s after SIGINT"
    before = (sent["cpu"] - c0) / (sent["wall"] - t0)
    time.sleep(0.5)  # the worker finishes the mask it is drawing and stops
    w1, c1 = time.perf_counter(), time.process_time()
    time.sleep(0.5)
    after = (time.process_time() - c1) / (time.perf_counter() - w1)
    print(f"latency {latency * 1e3:.0f} ms; CPU-s/s before {before:.2f}, after {after:.3f}")
    assert before > 0.05, f"the call used {before:.2f} CPU-s/s before the signal: not computing"
    assert after < before / 5, f"{after:.3f} CPU-s/s after KeyboardInterrupt, {before:.2f} before"
