import torch

from synth.objectives import Outputs, activation, class_score, feature_match, marginal_score, masked_distance


def _out():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 3.0, 0.0]])
    rep = torch.tensor([[1.0, -2.0], [0.5, 4.0]])
    image = torch.full((2, 3, 4, 4), 0.5)
    return Outputs(logits=logits, rep=rep, features={"layer1": rep * 2}, image=image)


def test_class_score_is_log_softmax():
    out = _out()
    s = class_score(torch.tensor([0, 1]))(out)
    assert s.shape == (2,)
    assert torch.allclose(s, torch.log_softmax(out.logits, 1)[[0, 1], [0, 1]])


def test_algebra():
    out = _out()
    a, b = class_score(0), activation(1)
    combo = a - 2.5 * b
    assert torch.allclose(combo(out), a(out) - 2.5 * b(out))
    assert torch.allclose((-a)(out), -a(out))
    assert torch.allclose((a + b)(out), a(out) + b(out))
    assert combo.straight_through and not a.straight_through
    assert "2.5*" in combo.name


def test_masked_distance_forms():
    out = _out()
    ref = torch.zeros(2, 3, 4, 4)
    keep = torch.zeros(1, 1, 4, 4)
    keep[..., :2, :] = 1  # 8 pixels x 3 channels kept
    norm = masked_distance(ref, keep)(out)
    msq = masked_distance(ref, keep, mean_squared=True)(out)
    assert torch.allclose(norm, torch.full((2,), (24 * 0.25) ** 0.5))
    assert torch.allclose(msq, torch.full((2,), 24 * 0.25 / 48))


def test_feature_match_layers_and_zero_at_target():
    out = _out()
    fm = feature_match({"layer1": out.features["layer1"], "rep": out.rep}, {"layer1": 1.0, "rep": 0.5})
    assert fm.layers == ("layer1",)
    assert torch.allclose(fm(out), torch.zeros(2))


def test_class_score_cap_stops_gradient_and_one_means_no_cap():
    logits = torch.tensor([[4.0, 0.0, 0.0], [0.0, 0.5, 0.0]], requires_grad=True)
    out = Outputs(logits=logits, rep=None, features={}, image=None)
    capped = class_score(torch.tensor([0, 0]), max_prob=0.9)(out)
    (grad,) = torch.autograd.grad(capped.sum(), logits)
    assert grad[0].abs().sum() == 0 and grad[1].abs().sum() > 0  # p(0) = 0.96 >= 0.9: no gradient
    uncapped = class_score(torch.tensor([0, 0]), max_prob=1)
    assert uncapped.max_prob is None and uncapped.name == "log p(y|x)"
    assert torch.equal(uncapped(out), class_score(torch.tensor([0, 0]))(out))


def test_class_score_plus_marginal_score_is_the_class_logit():
    """JEM's reading: log p(y|x) + logsumexp f(x) = f_y(x), the joint score log p(x, y) up to a constant."""
    logits = torch.randn(5, 4, generator=torch.Generator().manual_seed(0)) * 3
    y = torch.tensor([0, 1, 2, 3, 1])
    out = Outputs(logits=logits)
    joint = (class_score(y) + marginal_score())(out)
    assert torch.allclose(joint, logits.gather(1, y.view(-1, 1)).squeeze(1), atol=1e-5)
    assert torch.allclose(marginal_score()(out), torch.logsumexp(logits, 1))
