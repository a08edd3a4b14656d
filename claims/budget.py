"""Work budgets of the extractor that do not depend on machine load.

Every sentence gets SENTENCE_BUDGET seconds of *CPU time of this process* (`time.process_time`),
checked between pattern runs (`check`). A wall clock also counts the time other processes hold
the CPU: with four CPU hogs on two cores the same input lost every claim to the budget (issue 17,
case 5). CPU time only advances while this process runs, so the same input gives the same claims
on an idle or a busy machine.

One regex call cannot be interrupted from outside, and the `regex` module's `timeout=` is wall
time. So a call on a long sentence (the only ones that get a timeout, see TIMEOUT_MIN_CHARS)
gets REGEX_TIMEOUT seconds of CPU converted to wall time with the slowdown this process sees
right now (wall seconds per CPU second over the current sentence, or the previous one's at its
start): on a machine where this process gets 40% of a core the timeout is 2.5x longer, the CPU
work allowed the same. Garbage collections during a sentence do not count against it.
"""
from __future__ import annotations

import gc
import time

CLOCK = time.process_time    # CPU seconds of this process
REGEX_TIMEOUT = 0.5          # CPU seconds per regex call on a long sentence
# Sentences up to this length run their patterns without `timeout=` (which costs ~1.3 us per call,
# a tenth of all extraction time): the regex engine guards nested repeats against exponential
# backtracking, so a short sentence's worst case is polynomial in its length, and the sentence
# budget is checked between pattern runs. Longer (pathological) sentences get the timeout.
TIMEOUT_MIN_CHARS = 500
SENTENCE_BUDGET = 2.0        # CPU seconds for all the work on one sentence (then: problem regex_timeout)
MAX_SLOWDOWN = 50.0          # wall seconds per CPU second assumed at most (a regex timeout's cap)
_MIN_SAMPLE = 0.002          # CPU seconds of a sentence before its own slowdown is used

_state = {"deadline": float("inf"), "cpu0": 0.0, "wall0": 0.0, "slowdown": 1.0, "gc0": 0.0}


def _gc_pause(phase: str, info: dict) -> None:
    """A garbage collection is not the sentence's work (a full one costs 20-60 ms of CPU, more on
    a busy machine): the deadline moves by the collection's CPU time."""
    if phase == "start":
        _state["gc0"] = CLOCK()
    elif _state["deadline"] != float("inf"):
        _state["deadline"] += CLOCK() - _state["gc0"]


gc.callbacks.append(_gc_pause)


def start() -> None:
    """Begin the budget of one sentence."""
    cpu = CLOCK()
    _state.update(deadline=cpu + SENTENCE_BUDGET, cpu0=cpu, wall0=time.monotonic())


def stop() -> None:
    """End the current sentence's budget (remember its slowdown for the next one's timeouts)."""
    cpu = CLOCK() - _state["cpu0"]
    if cpu >= _MIN_SAMPLE:
        _state["slowdown"] = _slowdown(cpu, time.monotonic() - _state["wall0"])
    _state["deadline"] = float("inf")


def check() -> None:
    """Raise TimeoutError when the current sentence has used up its CPU budget."""
    if CLOCK() > _state["deadline"]:
        raise TimeoutError("sentence budget exceeded")


def _slowdown(cpu: float, wall: float) -> float:
    return min(max(wall / cpu, 1.0), MAX_SLOWDOWN)


def regex_timeout(s: str) -> float | None:
    """The wall-clock `timeout=` for one regex call on `s` (None: short sentence, no timeout)."""
    if len(s) <= TIMEOUT_MIN_CHARS:
        return None
    slowdown = _state["slowdown"]
    if _state["deadline"] != float("inf"):
        cpu = CLOCK() - _state["cpu0"]
        if cpu >= _MIN_SAMPLE:
            slowdown = _slowdown(cpu, time.monotonic() - _state["wall0"])
    return REGEX_TIMEOUT * slowdown
