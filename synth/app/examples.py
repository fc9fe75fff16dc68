"""The demo's ready inputs, so that every tab's first click works: example images (test images of
the default model's data set when the offline copy is present, otherwise the model's own samples),
their enlarged copies for drawing, a mask already drawn on them, and line-drawing sketches.

Everything is written once to an ignored cache folder (``<data cache>/app-examples/<model>``);
nothing here is committed, and no data-set image leaves the user's machine.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image

from ..imageio import to_pil
from .views import DISPLAY, enlarge


@dataclass
class Examples:
    """Ready inputs for one model.

    Attributes:
        images: paths of the example images, enlarged to ``DISPLAY`` px (nearest-neighbour, so
            the model's resize gives back the original pixels).
        labels: the class index of each example.
        mask: path of an RGBA layer (white, opaque where the region is) at ``DISPLAY`` px: a square
            of half the side in the centre, the demo's ready-drawn mask (over the object).
        paint_mask: the same for feature painting: the centre quarter of the image.
        sketches: line drawings of the examples (``synth.edge_sketch``), at ``DISPLAY`` px.
    """
    images: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    mask: str | None = None
    paint_mask: str | None = None
    sketches: list[str] = field(default_factory=list)

    def __bool__(self):
        return bool(self.images)

    def __len__(self):
        return len(self.images)

    def __iter__(self):
        return iter(self.images)

    def __getitem__(self, i):
        return self.images[i]

    def editor_value(self, i: int = 0, mask: str | None = None, show_mask: bool = False) -> dict:
        """An ImageEditor value: example ``i`` with ``mask`` (default: the inpainting mask) drawn on it; the
        composite (what the editor shows) is written next to the mask.

        Gradio's ImageEditor does not draw the layers of an initial value, so the ready mask would be applied but
        unseen; ``show_mask`` makes the composite the background, which shows it. Only for tasks that discard the
        masked pixels (inpainting fills them before PGD starts), never for feature painting, which starts from them.
        """
        mask = mask or self.mask
        composite = Path(mask).with_name(f"{Path(self.images[i]).stem}-{Path(mask).stem}.png")
        if not composite.exists():
            Image.alpha_composite(Image.open(self.images[i]).convert("RGBA"), Image.open(mask)).convert("RGB").save(composite)
        return {"background": str(composite) if show_mask else self.images[i], "layers": [mask], "composite": str(composite)}

    def index_of(self, path, mask: str | None = None) -> int | None:
        """The example whose photo ``path`` shows (as it is, or with ``mask``, default the inpainting mask, drawn on
        it as :meth:`editor_value` shows it): a mean difference under 3/255 at 32 x 32, which the editor's lossy
        re-encoding of its photo stays within and two different photos do not; None for any other image."""
        from ..imageio import to_tensor
        from .inputs import decoded
        try:
            shown = to_tensor(decoded(path), (32, 32))
        except Exception:  # noqa: BLE001 - not a readable image: not an example either
            return None
        mask = mask or self.mask
        for i, photo in enumerate(self.images):
            composite = Path(self.editor_value(i, mask)["composite"])
            for candidate in (photo, composite):
                if (to_tensor(candidate, (32, 32)) - shown).abs().mean() < 3 / 255:  # (the editor re-encodes: WebP)
                    return i
        return None

    def sketch_value(self, i: int = 0) -> dict:
        """A Sketchpad value: the sketch of example ``i`` as the background, nothing drawn yet."""
        return {"background": self.sketches[i], "layers": [], "composite": self.sketches[i]}


def square_layer(fraction: float, size: int = DISPLAY) -> Image.Image:
    """An RGBA layer, transparent but for a white centred square of side ``fraction * size``."""
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    side = round(fraction * size)
    lo = (size - side) // 2
    layer.paste((255, 255, 255, 255), (lo, lo, lo + side, lo + side))
    return layer


def _sources(model, n: int):
    """(images (n, 3, H, W) in [0, 1], labels, names): test images, or the model's own samples offline."""
    from ..data import DataMissingError, load
    try:
        test = load(model.dataset, "test", model.input_size[0])
        # one image per class, of classes the model has too (a model may know fewer than its data set)
        picks = [int((test.labels == y).nonzero()[0]) for y in range(min(n, len(test.classes), len(model.classes)))]
        return test.float(torch.tensor(picks)), [int(test.labels[i]) for i in picks], [test.classes[int(test.labels[i])] for i in picks]
    except (DataMissingError, ValueError, OSError):
        from ..tasks import Batch, registered
        maker = next(t for t in registered() if t.takes == "classes")  # the first task making images from classes alone
        labels = list(range(min(n, len(model.classes))))
        try:
            images = maker(model, Batch(None, torch.tensor(labels), torch.Generator().manual_seed(0))).x.cpu()
        except FileNotFoundError:  # no seed statistics shipped: no examples rather than no app
            return None, [], []
        return images, labels, [f"generated-{model.classes[y]}" for y in labels]


def make_examples(model, folder: Path, n: int = 6) -> Examples:
    """Write (once) and return the ready inputs of ``model`` under ``folder``."""
    from ..tasks import edge_sketch
    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "labels.txt"
    if index.exists():
        rows = [line.split("\t") for line in index.read_text().splitlines() if line]
        if len(rows) >= min(n, len(model.classes)) and all((folder / r[1]).exists() for r in rows):
            return Examples([str(folder / r[1]) for r in rows], [int(r[0]) for r in rows], str(folder / "mask.png"),
                            str(folder / "paint-mask.png"), [str(folder / r[2]) for r in rows])
    images, labels, names = _sources(model, n)
    if images is None:
        return Examples()
    out = Examples(labels=labels)
    for i, (img, sketch, name) in enumerate(zip(to_pil(images), to_pil(edge_sketch(images)), names)):
        stem = f"{i}-{name.replace(' ', '_')}"
        enlarge(img).save(folder / f"{stem}.png")
        enlarge(sketch).save(folder / f"{stem}-sketch.png")
        out.images.append(str(folder / f"{stem}.png"))
        out.sketches.append(str(folder / f"{stem}-sketch.png"))
    square_layer(0.5).save(folder / "mask.png")  # a hole of half the side over the object, as the default was chosen on
    square_layer(0.5).save(folder / "paint-mask.png")
    out.mask, out.paint_mask = str(folder / "mask.png"), str(folder / "paint-mask.png")
    index.write_text("".join(f"{y}\t{Path(p).name}\t{Path(s).name}\n" for y, p, s in zip(labels, out.images, out.sketches)))
    return out


def example_images(store, n: int = 6) -> Examples:
    """The ready inputs of the store's default model (empty when it has none)."""
    from ..data import cache_dir
    if store.default is None:
        return Examples()
    model = store.get(store.default)
    return make_examples(model, cache_dir() / "app-examples" / f"{model.name}-v3", n)
