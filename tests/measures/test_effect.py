"""synth.measures.effect: the criteria on hand-made columns, and compare() on a tiny model whose own
targeted PGD results it must rate above its starts."""
import pytest
import torch

import synth
from synth.measures import effect

from synth.model import RobustClassifier

from ..conftest import CLASSES, make_tiny


class Linear(torch.nn.Module):
    """A linear judge: every class is reachable by a small L2 step, unlike a random deep net."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body, self.fc = torch.nn.Linear(3 * 16 * 16, 8), torch.nn.Linear(8, 4)

    def forward_features(self, x, straight_through=False):
        return self.body(x.flatten(1))


def col(agreement, fd=10.0, median_l2=6.0):
    return effect.Column(agreement=agreement, fd=fd, median_l2=median_l2, mean_change=1.0)


def test_all_four_hold():
    checks = effect.check(col(0.1, fd=20), col(0.95, fd=15), col(0.12, fd=30), (1, 3, 32, 32))
    assert all(ok for *_, ok in checks.values())


def test_gain_must_be_four_times_the_standard_twins():
    # robust +60 points, standard +20: 60 < 4 * 20, so (b) fails although the robust gain is large
    checks = effect.check(col(0.3), col(0.9), col(0.5), (1, 3, 32, 32))
    value, need, ok = checks["b"]
    assert not ok and value == pytest.approx(0.6) and need == pytest.approx(0.8)
    assert effect.check(col(0.3), col(0.9), col(0.4), (1, 3, 32, 32))["b"][2]  # 60 >= 4 * 10


@pytest.mark.parametrize("failing,kwargs", [("a", {"robust": col(0.85)}),
                                            ("c", {"robust": col(0.95, median_l2=2.2)}),
                                            ("d", {"robust": col(0.95, fd=25)})])
def test_each_criterion_can_fail(failing, kwargs):
    cols = {"starts": col(0.1, fd=20), "robust": col(0.95, fd=15), "standard": col(0.1), **kwargs}
    c = effect.Comparison(**cols, checks=effect.check(*cols.values(), (1, 3, 32, 32)))
    assert c.failed == [failing] and not c.shown
    assert f"({failing})" in effect.verdict(c)


def test_distance_threshold_scales_with_resolution():
    assert effect.CRITERIA.min_l2_for((3, 32, 32)) == pytest.approx(5.0)
    assert effect.CRITERIA.min_l2_for((3, 128, 128)) == pytest.approx(20.0)


def test_compare_rates_targeted_results_above_their_starts():
    """The judge's own targeted PGD results agree with the target far more than the starts do."""
    judge = RobustClassifier(Linear(), (0.5,) * 3, (0.25,) * 3, CLASSES, (16, 16), "tiny", None, "linear")
    g = torch.Generator().manual_seed(0)
    real_x, real_y = torch.rand(40, 3, 16, 16, generator=g), torch.arange(4).repeat(10)
    real = effect.RealFeatures(judge, real_x, real_y)
    starts = torch.rand(20, 3, 16, 16, generator=g)
    labels = torch.arange(4).repeat(5)
    moved = synth.pgd(judge, starts, synth.class_score(labels), synth.L2Ball(8.0), steps=20, step_size=1.0).x
    c = effect.compare(real, starts, moved, starts.clone(), labels)
    assert c.robust.agreement >= 0.9 > c.starts.agreement
    assert c.standard.median_l2 == 0 and c.robust.median_l2 > 1
    assert c.checks["b"][2]  # the "standard" column did not move, so it gained nothing
    assert c.checks["c"] == (c.robust.median_l2, 2.5, c.robust.median_l2 >= 2.5)  # 5 * 16 / 32 at 16 px


def test_class_fd_refuses_a_class_with_one_image():
    judge = make_tiny()
    real = effect.RealFeatures(judge, torch.rand(8, 3, 16, 16), torch.arange(4).repeat(2))
    with pytest.raises(ValueError, match="at least 2"):
        effect.class_fd(real, torch.rand(3, 3, 16, 16), torch.tensor([0, 0, 1]))


def test_crop_region_cuts_the_box_and_resizes_it():
    x = torch.zeros(2, 3, 32, 32)
    x[..., 8:24, 8:24] = 1.0
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    crop = effect.crop_region(x, mask)
    assert crop.shape == x.shape and torch.allclose(crop, torch.ones_like(crop))
    with pytest.raises(ValueError, match="empty"):
        effect.crop_region(x, torch.zeros(1, 1, 32, 32))


def test_compare_on_a_region_judges_only_that_part():
    """A change outside the region does not count; the same change inside it does."""
    judge = RobustClassifier(Linear(), (0.5,) * 3, (0.25,) * 3, CLASSES, (16, 16), "tiny", None, "linear")
    g = torch.Generator().manual_seed(0)
    real = effect.RealFeatures(judge, torch.rand(40, 3, 16, 16, generator=g), torch.arange(4).repeat(10))
    starts = torch.rand(40, 3, 16, 16, generator=g) * 0.2
    labels = torch.arange(4).repeat_interleave(10)
    region = torch.zeros(1, 1, 16, 16)
    region[..., 4:12, 4:12] = 1
    outside = starts + 0.5 * (1 - region)
    c = effect.compare(real, starts, outside, starts, labels, region=region)
    assert c.robust.median_l2 == 0 and c.robust.agreement == c.starts.agreement
    inside = starts + 0.5 * region
    assert effect.compare(real, starts, inside, starts, labels, region=region).robust.median_l2 > 5
