"""Pins every paper preset to ../shared/PAPERS.md."""
import pytest

from synth import presets

PAPER = {  # name: (eps, steps, step_size)
    "santurkar2019.generate.cifar10": (30, 60, 0.5),
    "santurkar2019.generate.imagenet": (40, 60, 1),
    "santurkar2019.attack.imagenet": (300, 500, 1),
    "santurkar2019.translate.imagenet": (60, 80, 1),
    "santurkar2019.translate.two_domain": (60, 80, 0.5),
    "santurkar2019.translate.two_domain_notebook": (80, 200, 0.5),
    "duke.translate.imagenette": (60, 200, 0.5),
    "santurkar2019.inpaint.rimagenet": (21, 720, 0.1),
    "santurkar2019.inpaint.rimagenet_notebook": (21.6, 720, 0.1),
    "santurkar2019.super_resolve.cifar10": (15, 50, 1),
    "santurkar2019.super_resolve.rimagenet": (8, 40, 1),
    "duke.super_resolve.imagenette": (8, 40, 1),
    "santurkar2019.sketch_to_image.rimagenet": (40, 60, 1),
    "santurkar2019.paint_features.rimagenet": (70, 140, 1),
    "bigroc.boost.fig2": (30, 60, 0.5),
    "santurkar2019.train.cifar10": (0.5, 7, 0.1),
    "santurkar2019.train.imagenet": (3, 7, 0.5),
    "santurkar2019.train.two_domain": (5, 7, 0.9),
}


@pytest.mark.parametrize("name", sorted(PAPER))
def test_paper_numbers(name):
    cfg = presets.PRESETS[name]
    assert (cfg.eps, cfg.steps, cfg.step_size) == pytest.approx(PAPER[name])
    assert cfg.source


def test_notebook_extras():
    p = presets.PRESETS["santurkar2019.paint_features.rimagenet"]
    assert (p.lam, p.activation_scale, p.penalty) == (90, 0.1, "mean_squared")
    assert presets.PRESETS["santurkar2019.super_resolve.cifar10"].factor == 7
    assert presets.PRESETS["santurkar2019.super_resolve.rimagenet"].factor == 8
    assert presets.PRESETS["bigroc.boost.vae"].step_size == pytest.approx(25 / 30)


def test_every_preset_sets_only_fields_its_task_reads():
    """A preset keyed <source>.<task>.<data set> sets no field its task ignores (presets.TASK_FIELDS)."""
    for name, cfg in presets.PRESETS.items():
        task = name.split(".")[1]
        assert task in presets.TASK_FIELDS, f"{name}: no TASK_FIELDS row for {task!r}"
        assert presets.unused_fields(task, cfg) == [], f"{name} sets fields {task} does not read"
    assert presets.unused_fields("translate", presets.resolve("synth.translate.cifar10", lam=1.0)) == ["lam"]
    assert presets.unused_fields("paint_features", presets.resolve("synth.paint_features.cifar10", max_prob=1)) == []


def test_every_preset_valid():
    for cfg in presets.PRESETS.values():
        presets.validate(cfg)
        assert cfg.source


def test_resolve_overrides_and_errors():
    cfg = presets.resolve("synth.generate.cifar10", steps=5)
    assert cfg.steps == 5 and "overridden" in cfg.source
    # None keeps the preset's value; 1 is how a caller switches the cap off
    capped = presets.PGDConfig("l2", 1.0, 5, 0.5, max_prob=0.9, source="test")
    assert presets.resolve(capped, max_prob=None).max_prob == 0.9
    assert presets.resolve("synth.generate.cifar10", max_prob=1).max_prob == 1
    with pytest.raises(TypeError, match="unknown option"):
        presets.resolve("synth.generate.cifar10", iterations=5)
    with pytest.raises(ValueError, match="steps"):
        presets.resolve("synth.generate.cifar10", steps=10**9)
    with pytest.raises(KeyError):
        presets.resolve("nope")


def test_default_for_seed_kind_variants():
    class M:  # what default_for reads of a model
        dataset, input_size = "cifar10", (32, 32)
    assert presets.default_for("generate", M) == "synth.generate.cifar10"
    assert presets.default_for("generate", M, "multivariate") == "synth.generate.cifar10"  # no variant: the base
    assert presets.default_for("generate", M, "uniform") == "synth.generate.cifar10_uniform"
    M.dataset = "imagenette"
    assert presets.default_for("generate", M, "uniform") == "synth.generate.imagenette_uniform"
    assert presets.default_for("generate", M, "mixture") == "synth.generate.imagenette"  # no mixture variant: the base
    for kind in ("univariate", "uniform", "mixture"):
        assert presets.PRESETS[f"synth.generate.cifar10_{kind}"].seed_kind == kind


def test_a_model_without_presets_gets_them_derived_from_its_card():
    from synth import presets
    from synth.model import Robustness

    from .conftest import make_tiny
    model = make_tiny()  # data set "tiny", 16x16: no presets of its own
    model.robust = Robustness("l2", 1.0)
    assert not presets.has_presets(model)
    cfg = presets.for_model("generate", model)
    base = presets.PRESETS["synth.generate.cifar10"]
    assert cfg.eps == round(base.eps * 0.5, 4) and cfg.steps == base.steps  # sqrt(16*16)/32 = 0.5
    assert "derived for tiny (16x16 px, trained L2 eps 1)" in cfg.source and "sqrt(16*16)/32" in cfg.source
    model.input_size = (224, 224)
    assert presets.for_model("translate", model).eps == round(presets.PRESETS["synth.translate.cifar10"].eps * 7, 4)
    cifar = make_tiny(dataset="cifar10")
    assert presets.for_model("generate", cifar) is presets.PRESETS["synth.generate.cifar10"]
