"""Claims as checks: the sentences a notebook says about its own outputs.

A sentence that states a number or a comparison about a result is built from the variables
that hold the result (an f-string) and asserted against them in the same call, so a re-run
whose outputs contradict the text fails instead of leaving the text behind:

    say = Claims(quick)
    say(f"The robust model's images moved {d_rob:.1f} in L2, the standard twin's {d_std:.1f}.",
        d_rob > d_std)

The sentence is shown as Markdown right under the output it describes (printed outside a
notebook). Quick mode (CI: few samples, few steps) checks the same conditions unless a claim
gives its own ``quick`` condition, or ``quick=None`` for a claim that needs the full run's sample
size (it is still rendered from the quick run's numbers, marked as not checked).
What lives elsewhere: the measures themselves (``synth.metrics``, ``synth.measures.effect``).
"""
from __future__ import annotations

from ..viz import show

_SAME = object()


class ClaimError(AssertionError):
    """A sentence of a notebook is contradicted by the output it describes."""


class Claims:
    """Renders and checks a notebook's observations; counts them for the closing summary.

    Args:
        quick: True in quick mode (CI); False for the full run the notebooks are committed with.
    """

    def __init__(self, quick: bool):
        self.quick = bool(quick)
        self.checked = 0
        self.unchecked = 0

    def __call__(self, sentence: str, *holds: bool, quick=_SAME) -> None:
        """Assert ``holds`` (all of them; in quick mode ``quick`` instead, if given) and show ``sentence``.

        Args:
            sentence: the observation, Markdown, with its numbers formatted from the outputs.
            holds: the conditions under which the sentence is true (bools or 0-d tensors); none
                for a sentence that only reports numbers.
            quick: the condition checked in quick mode instead of ``holds``; None = not checkable
                at quick mode's sample size.

        Raises:
            ClaimError: a condition is false; the message quotes the sentence.
        """
        conditions = holds if (not self.quick or quick is _SAME) else (() if quick is None else (quick,))
        failed = [i for i, ok in enumerate(conditions) if not bool(ok)]
        if failed:
            mode = "quick" if self.quick else "full"
            raise ClaimError(f"the output contradicts this sentence ({mode} mode, condition {failed}): {sentence}")
        if self.quick and quick is None:
            self.unchecked += 1
            sentence += " _(quick mode: numbers from this run, checked only in full mode)_"
        else:
            self.checked += 1
        show(sentence)

    def summary(self) -> str:
        """One line: how many sentences were checked against this run's outputs."""
        text = f"{self.checked} observations checked against this run's outputs"
        return text + (f", {self.unchecked} rendered but checked only in full mode." if self.unchecked else ".")
