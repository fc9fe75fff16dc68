"""synth.measures.claims: a sentence is shown only when its conditions hold."""
import pytest
import torch

from synth.measures.claims import ClaimError, Claims


def test_true_claim_is_shown_and_counted(capsys):
    say = Claims(quick=False)
    say("robust moved 6.0, standard 2.3", 6.0 > 2.3, torch.tensor(True))
    assert "robust moved 6.0" in capsys.readouterr().out
    assert say.checked == 1 and "1 observations checked" in say.summary()


def test_contradicted_claim_raises_and_quotes_the_sentence(capsys):
    say = Claims(quick=False)
    with pytest.raises(ClaimError, match="robust is better"):
        say("robust is better", 3.0 < 2.0)
    assert capsys.readouterr().out == ""  # nothing shown


def test_quick_mode_checks_its_own_condition():
    say = Claims(quick=True)
    say("full-size claim", False, quick=True)  # the quick condition holds
    with pytest.raises(ClaimError, match="quick mode"):
        say("full-size claim", True, quick=False)


def test_quick_none_renders_unchecked_but_full_mode_still_checks(capsys):
    Claims(quick=True)("needs 500 samples", False, quick=None)
    assert "checked only in full mode" in capsys.readouterr().out
    with pytest.raises(ClaimError):
        Claims(quick=False)("needs 500 samples", False, quick=None)
