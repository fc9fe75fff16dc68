"""bench/_report.py: the sentence every tuning bench writes about its preset."""
from bench._report import preset_check


def test_preset_check_matches_the_preset():
    # synth.boost.cifar10 is eps 8 with cap 0.9
    assert preset_check("synth.boost.cifar10", 8.0, 0.9) == "`synth.boost.cifar10` has it."


def test_preset_check_names_what_differs():
    text = preset_check("synth.boost.cifar10", 8.0, None)
    assert "differs" in text and "max_prob 0.9" in text and "synth/presets.py" in text
    assert "differs (eps 8" in preset_check("synth.boost.cifar10", 4.0, 0.9)


def test_preset_check_treats_none_zero_and_one_as_no_cap():
    # synth.generate.cifar10_uniform has no cap
    for no_cap in (None, 0, 1.0):
        assert preset_check("synth.generate.cifar10_uniform", 30.0, no_cap).endswith("has it.")
    assert "differs" in preset_check("synth.generate.cifar10_uniform", 30.0, 0.95)
