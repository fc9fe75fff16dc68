"""Train the project's classifiers on the CPU: ``python -m synth.train --name cifar10-l2 ...``.

Standard training or L2/Linf PGD adversarial training (Madry et al.), the attack being
the package's own :func:`synth.pgd.pgd` with a cross-entropy objective. Resumable from
``runs/<name>/last.pt`` (written at every epoch's end and every ``--checkpoint-minutes`` inside
one; a resumed run replays the same batches and augmentations); bf16 autocast (where the device has native bf16) and
``channels_last`` on the CPU; clean and PGD robust accuracy every few epochs on a test
subset and at the end on the test split (clean: all of it; PGD: all, or ``--final-eval-size``
images). ``--init-from`` starts a second cycle from a bundled model; ``--ema DECAY`` evaluates
and ships an exponential moving average of the weights. Writes ``assets/models/<name>.safetensors``
and ``<name>.json`` (the model card).

The parts: :func:`setup` (data, model, optimiser, weight average), :func:`resume` / :func:`save_checkpoint`,
:func:`train_epoch`, :func:`evaluate` and :func:`make_card`; :func:`main` strings them together.
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torchvision.ops import roi_align
from torchvision.transforms.v2 import TrivialAugmentWide
from tqdm import tqdm

from .. import data
from .. import distributed
from . import ddp
from ..architectures import ARCHITECTURES, build
from ..constraints import ball
from ..measures.evaluation import pgd_attack
from ..model import RobustClassifier, Robustness
from ..pgd import autocast, bf16_is_native
from ..presets import step_for
from ..sources import load_model, save_bundled

NORMALISATION = {  # per-channel mean and std of each training set
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "imagenette": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "horse2zebra": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m synth.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--name", required=True, help="output name, e.g. cifar10-l2")
    p.add_argument("--dataset", default="cifar10", choices=["cifar10", "imagenette", "horse2zebra"])
    p.add_argument("--data-root", default=None, help="folder with the data set's layout (default: offline copy)")
    p.add_argument("--arch", default="resnet18_cifar", choices=tuple(ARCHITECTURES))
    p.add_argument("--width", type=int, default=64, help="first-stage channels (CIFAR ResNet/VGG); MobileNetV2: width/64 = width_mult")
    p.add_argument("--size", type=int, default=None, help="training resolution (default: 32 for CIFAR, 128 otherwise)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1, help="peak learning rate (one-cycle schedule)")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--augment", default="crop", choices=list(AUGMENTATIONS),
                   help="crop: random crop + flip; resized-crop: random-resized crop (8-100%% of the area, aspect "
                        "3/4-4/3) + flip, the ImageNet recipe, for small data sets that overfit; trivial: crop + flip + "
                        "TrivialAugment, one random operation per image")
    p.add_argument("--crop-scale", type=float, default=None,
                   help="resized-crop only: smallest crop area as a fraction of the image's (torchvision's scale[0]; "
                        "default 0.08, the ImageNet recipe; fastai's Imagenette recipe uses 0.35)")
    p.add_argument("--ema", type=float, default=None, metavar="DECAY",
                   help="also keep an exponential moving average of the weights and BN statistics (e.g. 0.999: a horizon "
                        "of about 1,000 steps); it is what gets evaluated and shipped")
    p.add_argument("--cutmix", type=float, default=0.0, metavar="P",
                   help="standard training only: paste a random box of another image of the batch into each image with "
                        "probability P, the labels weighted by area (CutMix); a regulariser for sets that overfit")
    p.add_argument("--norm", default="l2", choices=["l2", "linf"], help="threat model of the training attack")
    p.add_argument("--eps", type=float, default=0.0, help="training attack radius on [0,1] images; 0 = standard training")
    p.add_argument("--attack-steps", type=int, default=7)
    p.add_argument("--attack-step-size", type=float, default=None, help="default 2.5*eps/attack-steps")
    p.add_argument("--attack-random-start", action="store_true",
                   help="start each training attack at a uniformly random point of the ball (FGSM with a random start, "
                        "Wong et al. 2020: --attack-steps 1 --attack-step-size 1.25*eps)")
    p.add_argument("--eval-eps", type=float, default=None, help="radius of the evaluation attack (default: --eps, or 0.5 for CIFAR-10)")
    p.add_argument("--eval-steps", type=int, default=20)
    p.add_argument("--eval-every", type=int, default=5, help="epochs between subset evaluations")
    p.add_argument("--eval-subset", type=int, default=1000)
    p.add_argument("--final-eval-size", type=int, default=None,
                   help="test images for the final PGD evaluation (default: all); clean accuracy always uses all")
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                   help="bfloat16 autocast for training (only where the device has native bf16; "
                        "emulated bf16 on AVX2-only CPUs is 10x slower)")
    p.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=True,
                   help="channels_last tensors (oneDNN's fast CPU layout; default on). torch's CPU BatchNorm backward "
                        "is ~1%% off float64 in this layout; --no-channels-last is exact and slower")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the training forward pass (~9%% more images/s on a 2-core CPU, bench/train_speed.py; "
                        "costs a compilation at the start of every run and resume)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="checkpoints (ignored by git)")
    p.add_argument("--checkpoint-minutes", type=float, default=10.0,
                   help="also checkpoint inside an epoch this often, so an interrupted run loses at most that much")
    p.add_argument("--out-dir", default="assets/models")
    p.add_argument("--limit-train", type=int, default=None, help="use only this many training images (tests)")
    p.add_argument("--device", default=None)
    p.add_argument("--init-from", default=None,
                   help="start from these weights (a bundled name or a .json card path; same arch and classes): "
                        "a second training cycle, recorded in the card")
    p.add_argument("--role", default=None,
                   help="what the model is for, recorded in the card; a card with a role (e.g. the quality benches' judge) "
                        "is not offered in the demo")
    args = p.parse_args(argv)
    if args.crop_scale is not None:
        if args.augment != "resized-crop":
            p.error("--crop-scale applies to --augment resized-crop only")
        if not 0 < args.crop_scale <= 1:
            p.error(f"--crop-scale must be in (0, 1], got {args.crop_scale}")
    if not 0 <= args.cutmix <= 1:
        p.error(f"--cutmix must be a probability in [0, 1], got {args.cutmix}")
    if args.cutmix and args.eps > 0:
        p.error("--cutmix is for standard training (--eps 0): the training attack needs one label per image")
    if args.ema is not None and not 0 < args.ema < 1:
        p.error(f"--ema must be in (0, 1), got {args.ema}")
    return args


def load_size(dataset: str, size: int) -> int:
    """Side the images are loaded at for training and evaluation at ``size``: CIFAR-10 as is
    (crops come from reflect padding), the others 9/8 larger for random / centre 128 crops."""
    return size if dataset == "cifar10" else size * 9 // 8


def augment(x: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """Random crop to ``size`` (CIFAR: after 4-px reflect padding) and horizontal flip.

    Args:
        x: (N, 3, S, S) float in [0, 1], S >= size.
    """
    n, _, s, _ = x.shape
    if s == size:
        x = F.pad(x, (4, 4, 4, 4), mode="reflect")
        s += 8
    i = torch.randint(0, s - size + 1, (n,), generator=generator)
    j = torch.randint(0, s - size + 1, (n,), generator=generator)
    rows = (i.view(-1, 1) + torch.arange(size)).view(n, 1, size, 1).expand(n, 3, size, s)
    x = x.gather(2, rows)
    cols = (j.view(-1, 1) + torch.arange(size)).view(n, 1, 1, size).expand(n, 3, size, size)
    x = x.gather(3, cols)
    return random_flip(x, generator)


def random_flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Flip each image of (N, C, H, W) horizontally with probability 1/2."""
    flip = torch.rand(len(x), generator=generator) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)


RESIZED_CROP_SCALE = (0.08, 1.0)  # torchvision's RandomResizedCrop default: 8-100% of the area


def augment_resized_crop(x: torch.Tensor, size: int, generator: torch.Generator,
                         scale: tuple[float, float] = RESIZED_CROP_SCALE, ratio: tuple[float, float] = (3 / 4, 4 / 3)) -> torch.Tensor:
    """Random-resized crop (torchvision's RandomResizedCrop, batched) to ``size`` and horizontal flip.

    Args:
        x: (N, 3, S, S) float in [0, 1].
        scale: range of the crop's area as a fraction of the image's; ratio: of its width / height.
    Returns:
        (N, 3, size, size), bilinear resampling of one box per image (``torchvision.ops.roi_align``).
    """
    n, s = len(x), x.shape[-1]
    area = s * s * torch.empty(n).uniform_(*scale, generator=generator)
    log_r = torch.empty(n).uniform_(math.log(ratio[0]), math.log(ratio[1]), generator=generator)
    w = (area * log_r.exp()).sqrt().clamp(8, s)
    h = (area / log_r.exp()).sqrt().clamp(8, s)
    x0 = torch.rand(n, generator=generator) * (s - w)
    y0 = torch.rand(n, generator=generator) * (s - h)
    boxes = torch.stack([torch.arange(n, dtype=x.dtype), x0, y0, x0 + w, y0 + h], 1).to(x)
    return random_flip(roi_align(x, boxes, output_size=size, sampling_ratio=2, aligned=True), generator)


def augment_trivial(x: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """Random crop and flip (:func:`augment`), then TrivialAugment (Müller & Hutter 2021, torchvision's
    ``TrivialAugmentWide``): each image gets one operation (colour, contrast, shear, rotation, ...) at a
    random strength. The operations run on 8-bit images, seeded from ``generator`` image by image, so a
    resumed run replays them.

    Args:
        x: (N, 3, S, S) float in [0, 1].
    Returns:
        (N, 3, size, size) float in [0, 1].
    """
    x = augment(x, size, generator)
    seeds = torch.randint(2 ** 62, (len(x),), generator=generator).tolist()
    images = x.mul(255).round_().to(torch.uint8)
    trivial = TrivialAugmentWide()
    with torch.random.fork_rng(devices=[]):
        out = []
        for image, seed in zip(images, seeds):
            torch.manual_seed(seed)
            out.append(trivial(image))
    return torch.stack(out).float().div_(255)


def cutmix(x: torch.Tensor, probability: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """CutMix (Yun et al. 2019), batched: with ``probability`` an image gets a random box pasted from
    another image of the batch, the box's area uniform in [0, 1] (Beta(1, 1)), clipped at the border.

    Args:
        x: (N, C, H, W) images.
    Returns:
        (mixed images (N, C, H, W), partner index (N,) into the batch, own fraction (N,) in [0, 1]:
        the share of each image still its own, which weights its label in the loss; 1 where unmixed).
    """
    n, _, h, w = x.shape
    partner = torch.randperm(n, generator=generator)
    side = (1 - torch.rand(n, generator=generator)).sqrt() * (torch.rand(n, generator=generator) < probability)
    cy, cx = torch.rand(n, generator=generator) * h, torch.rand(n, generator=generator) * w
    y0, y1 = (cy - side * h / 2).clamp(0, h).round(), (cy + side * h / 2).clamp(0, h).round()
    x0, x1 = (cx - side * w / 2).clamp(0, w).round(), (cx + side * w / 2).clamp(0, w).round()
    rows, cols = torch.arange(h).view(1, h, 1), torch.arange(w).view(1, 1, w)
    box = ((rows >= y0.view(-1, 1, 1)) & (rows < y1.view(-1, 1, 1)) & (cols >= x0.view(-1, 1, 1)) & (cols < x1.view(-1, 1, 1)))
    own = 1 - box.flatten(1).float().mean(1)
    return torch.where(box.unsqueeze(1).to(x.device), x[partner], x), partner, own


CROP_TEXT = "random crop (4-px reflect pad for 32 px, from {side} px otherwise) + horizontal flip"
AUGMENTATIONS = {  # name -> (function, description for the card)
    "crop": (augment, CROP_TEXT),
    "resized-crop": (augment_resized_crop, "random-resized crop of the {side} px image ({min_area}-100% of the area, "
                                           "aspect 3/4-4/3) to the training size + horizontal flip"),
    "trivial": (augment_trivial, CROP_TEXT + " + TrivialAugment (torchvision TrivialAugmentWide, one operation per image)"),
}


def center(x: torch.Tensor, size: int) -> torch.Tensor:
    s = x.shape[-1]
    o = (s - size) // 2
    return x[..., o:o + size, o:o + size]


def evaluate(model, images, labels, size, norm, eps, steps, batch_size=250, bf16=False, desc="eval", progress=True):
    """Clean and PGD robust accuracy (%) on uint8 images (N,3,S,S), centre-cropped (``progress``: a tqdm bar)."""
    clean = robust = 0
    for k in tqdm(range(0, len(labels), batch_size), desc=desc, leave=False, mininterval=10, disable=not progress):
        x = center(images[k:k + batch_size].float() / 255, size).to(model.device)
        y = labels[k:k + batch_size].to(model.device)
        with torch.no_grad():
            clean += (model(x).argmax(1) == y).sum().item()
        if eps > 0:
            x_adv = pgd_attack(model, x, y, norm, eps, steps, step_for(eps, steps), bf16).x
            with torch.no_grad():
                robust += (model(x_adv).argmax(1) == y).sum().item()
    n = len(labels)
    return 100.0 * clean / n, (100.0 * robust / n if eps > 0 else None)


def lr_at(progress: float, peak: float) -> float:
    """One-cycle: linear warm-up over the first 15% of training, linear decay to 0."""
    return peak * (progress / 0.15 if progress < 0.15 else max(0.0, (1 - progress) / 0.85))


@dataclass
class Run:
    """What one training run holds: its arguments, data, model, optimiser, weight average, random stream and log.

    ``shipped`` is what is evaluated and written: the weight average with ``--ema``, else the model itself.
    """
    args: argparse.Namespace
    ctx: distributed.Context  # this process's rank of the torchrun job (rank 0 of 1 without torchrun)
    device: torch.device
    size: int  # training resolution
    side: int  # the side the data set is loaded at (crops are taken from it)
    train: data.ImageSet
    test: data.ImageSet
    model: RobustClassifier
    opt: torch.optim.Optimizer
    ema: AveragedModel | None
    forward: torch.nn.Module  # the training forward (DistributedDataParallel under torchrun, torch.compile'd with
    # --compile; shares the model's parameters)
    step_size: float  # the training attack's
    eval_eps: float
    generator: torch.Generator
    augment: Callable
    augment_text: str
    crop_scale: tuple
    init_card: dict | None
    ckpt_path: Path
    wall: float = 0.0  # seconds of training so far, over resumes
    log: list = field(default_factory=list)

    @property
    def shipped(self):
        return self.ema.module if self.ema is not None else self.model

    @property
    def steps_per_epoch(self) -> int:
        return len(self.train) // self.args.batch_size


def setup(args) -> Run:
    """Data, model (from ``--init-from`` when given), optimiser, weight average and augmentation of a run."""
    if args.threads:
        torch.set_num_threads(args.threads)
    ctx = distributed.start(args.device)
    torch.manual_seed(args.seed)  # after joining the process group, which may draw from the global stream
    if args.batch_size % ctx.world:
        raise ValueError(f"--batch-size {args.batch_size} must divide by the {ctx.world} processes (equal shares)")
    device = torch.device(ctx.device)
    if args.bf16 and not bf16_is_native(device.type):
        print(f"no native bfloat16 on this {device.type}: training in float32")
        args.bf16 = False
    size = args.size or (32 if args.dataset == "cifar10" else 128)
    side = load_size(args.dataset, size)
    kw = {"root": args.data_root} if args.data_root else {}
    train = data.load(args.dataset, "train", side, **kw)
    test = data.load(args.dataset, "test", side, **kw)
    if args.limit_train:
        train = train.subset(args.limit_train, args.seed)
    mean, std = NORMALISATION[args.dataset]
    eval_eps = args.eval_eps if args.eval_eps is not None else (args.eps or (0.5 if args.dataset == "cifar10" else 0.0))
    robust = Robustness(args.norm, args.eps) if args.eps > 0 else None
    net = build(args.arch, len(train.classes), args.width)
    model = RobustClassifier(net, mean, std, train.classes, (size, size), args.dataset, robust, args.name)
    init_card = None
    if args.init_from:
        init = load_model(args.init_from)
        init_card = init.card
        if init_card and (init_card.get("arch"), init_card.get("width", 64)) != (args.arch, args.width):
            raise ValueError(f"--init-from {args.init_from} is {init_card.get('arch')} width "
                             f"{init_card.get('width')}, not {args.arch} width {args.width}")
        model.load_state_dict(init.state_dict())
    model = model.to(device, memory_format=torch.channels_last if args.channels_last else torch.contiguous_format)
    forward = ddp.data_parallel(model, device) if ctx.world > 1 else model  # before the optimiser: BN modules change
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay},
                           {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, momentum=0.9, nesterov=True)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema), use_buffers=True) if args.ema else None
    augment_fn, augment_text = AUGMENTATIONS[args.augment]
    crop_scale = (args.crop_scale, 1.0) if args.crop_scale is not None else RESIZED_CROP_SCALE
    if args.augment == "resized-crop":
        augment_fn = functools.partial(augment_fn, scale=crop_scale)
    run_dir = Path(args.runs_dir) / args.name
    run_dir.mkdir(parents=True, exist_ok=True)
    return Run(args, ctx, device, size, side, train, test, model, opt, ema, torch.compile(forward) if args.compile else forward,
               args.attack_step_size or step_for(args.eps, args.attack_steps), eval_eps,
               torch.Generator().manual_seed(args.seed), augment_fn, augment_text, crop_scale, init_card, run_dir / "last.pt")


def save_checkpoint(run: Run, epochs_done: int, batch: int = 0, partial=None) -> None:
    """Write ``last.pt`` atomically (a kill during the save leaves the previous one): weights, optimiser, average,
    the random stream and, inside an epoch, the batch reached and the running sums ``partial`` (of all processes).
    Only rank 0 writes; every process resumes from it."""
    if not run.ctx.main:
        return
    tmp = run.ckpt_path.with_suffix(".pt.tmp")
    torch.save({"model": run.model.state_dict(), "opt": run.opt.state_dict(),
                **({"ema": run.ema.state_dict()} if run.ema else {}), "epoch": epochs_done, "batch": batch,
                "g_state": run.generator.get_state(), "partial": partial, "wall": run.wall, "log": json.dumps(run.log)}, tmp)
    os.replace(tmp, run.ckpt_path)


def resume(run: Run):
    """Load ``last.pt`` if there is one. Returns (first epoch, first batch of it, the checkpoint or None)."""
    if not run.ckpt_path.exists():
        return 0, 0, None
    ck = torch.load(run.ckpt_path, weights_only=True, map_location=run.device)
    run.model.load_state_dict(ck["model"])
    run.opt.load_state_dict(ck["opt"])
    if run.ema is not None:
        if "ema" not in ck:
            raise ValueError(f"{run.ckpt_path} was written without --ema; resume without it or use a new --runs-dir")
        run.ema.load_state_dict(ck["ema"])
    run.wall, run.log = ck["wall"], json.loads(ck["log"])
    epoch, batch = ck["epoch"], ck.get("batch", 0)
    print(f"resumed {run.args.name} at epoch {epoch}" + (f", batch {batch} of epoch {epoch + 1}" if batch else "")
          + f" ({(run.wall + (ck['partial'][3] if batch else 0)) / 60:.1f} min so far)")
    return epoch, batch, ck


def train_epoch(run: Run, epoch: int, ck: dict | None = None) -> dict:
    """One epoch (from the checkpoint's batch when ``ck`` was written inside it), checkpointing every
    ``--checkpoint-minutes``. Returns the log entry: epoch, training loss and accuracy, minutes so far."""
    args, g = run.args, run.generator
    g.manual_seed(args.seed * 1000 + epoch)  # per-epoch stream, so resuming replays the same order
    perm = torch.randperm(len(run.train), generator=g)
    run.model.train()
    first, (seen, correct, loss_sum, before) = 0, (0, 0, 0.0, 0.0)
    if ck is not None and ck.get("batch"):  # inside an epoch: the same generator state and running sums
        g.set_state(ck["g_state"])
        first, (seen, correct, loss_sum, before) = ck["batch"], ck["partial"]
        if not run.ctx.main:  # the saved sums are all processes'; rank 0 carries them
            seen, correct, loss_sum = 0, 0, 0.0
    steps, total = run.steps_per_epoch, run.steps_per_epoch * args.epochs
    rank, world = run.ctx.rank, run.ctx.world
    t0 = last_save = time.time()
    bar = tqdm(range(first, steps), desc=f"{args.name} {epoch + 1}/{args.epochs}", unit="batch", mininterval=30,
               initial=first, total=steps, disable=not run.ctx.main)
    for b in bar:
        # every process draws the whole global batch (same order, same augmentation) and keeps its share
        idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
        x = run.augment(run.train.images[idx].float().div_(255), run.size, g).to(run.device)
        y = run.train.labels[idx].to(run.device)
        if args.cutmix:
            x, partner, own = cutmix(x, args.cutmix, g)
            own, y_partner = ddp.share(own.to(run.device), rank, world), ddp.share(y[partner], rank, world)
        # the random start is drawn for the whole global batch too, so 1 and N processes see the same starts
        start = ball(args.norm, args.eps).random_start(x, x, g) if args.eps > 0 and args.attack_random_start else None
        x, y = ddp.share(x, rank, world), ddp.share(y, rank, world)
        start = None if start is None else ddp.share(start, rank, world)
        x = x.contiguous(memory_format=torch.channels_last if args.channels_last else torch.contiguous_format)
        if args.eps > 0:
            x = pgd_attack(run.model, x, y, args.norm, args.eps, args.attack_steps, run.step_size, args.bf16, start).x
            run.model.train()
        for group in run.opt.param_groups:
            group["lr"] = lr_at((epoch * steps + b) / total, args.lr)
        with autocast(x, args.bf16):
            logits = run.forward(x)
        if args.cutmix:  # each label weighted by its share of the image
            ce = functools.partial(F.cross_entropy, logits.float(), label_smoothing=args.label_smoothing, reduction="none")
            loss = (own * ce(y) + (1 - own) * ce(y_partner)).mean()
        else:
            loss = F.cross_entropy(logits.float(), y, label_smoothing=args.label_smoothing)
        run.opt.zero_grad(set_to_none=True)
        loss.backward()
        run.opt.step()
        if run.ema is not None:
            run.ema.update_parameters(run.model)
        seen += len(y)
        correct += (logits.argmax(1) == y).sum().item()
        loss_sum += loss.item() * len(y)
        bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{100 * correct / seen:.1f}",
                        img_s=f"{(seen - first * args.batch_size) / (time.time() - t0):.0f}", refresh=False)
        if checkpoint_due(run, last_save) and b + 1 < steps:
            sums = ddp.total([seen, correct, loss_sum], run.device)
            save_checkpoint(run, epoch, b + 1, (*sums, before + time.time() - t0))
            last_save = time.time()
    run.wall += before + time.time() - t0
    seen, correct, loss_sum = ddp.total([seen, correct, loss_sum], run.device)
    return {"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_acc": 100 * correct / seen, "minutes": run.wall / 60}


def checkpoint_due(run: Run, last_save: float) -> bool:
    """Whether ``--checkpoint-minutes`` have passed since ``last_save`` (rank 0's clock decides for every process)."""
    due = time.time() - last_save > 60 * run.args.checkpoint_minutes
    if run.ctx.world == 1:
        return due
    flag = torch.tensor([float(due)], device=run.device)
    torch.distributed.broadcast(flag, 0)
    return bool(flag.item())


def make_card(run: Run, clean: float, robust_acc: float | None, final_images: int, train_threads: int) -> dict:
    """The JSON card written beside the weights: what the model is, how it was trained and what it scored."""
    args = run.args
    mean, std = NORMALISATION[args.dataset]
    init = run.init_card
    card = {
        "name": args.name, "arch": args.arch, "width": args.width, "dataset": args.dataset,
        "input_size": [run.size, run.size], "classes": list(run.train.classes), "mean": list(mean), "std": list(std),
        "robust": {"norm": args.norm, "eps": args.eps} if args.eps > 0 else None,
        "training": {"epochs": args.epochs, "batch_size": args.batch_size, "optimizer": "SGD nesterov momentum 0.9",
                     "lr_peak": args.lr, "schedule": "one-cycle: linear warm-up 15%, linear decay to 0",
                     "weight_decay": args.weight_decay, "label_smoothing": args.label_smoothing,
                     "augmentation": run.augment_text.format(side=run.side, min_area=f"{100 * run.crop_scale[0]:g}")
                     + (f" + CutMix (probability {args.cutmix:g}, box area uniform in [0, 1], labels weighted by area)"
                        if args.cutmix else ""),
                     "attack": ({"norm": args.norm, "eps": args.eps, "steps": args.attack_steps, "step_size": run.step_size,
                                 "random_start": args.attack_random_start,
                                 "mode": "eval-mode BN" + (", bf16" if args.bf16 else "")}
                                if args.eps > 0 else None),
                     "weight_ema": ({"decay": args.ema, "note": "the shipped weights and BN statistics are the exponential "
                                                              "moving average, updated after every optimiser step"}
                                    if args.ema else None),
                     "bf16_autocast": args.bf16, "compiled": args.compile,
                     "train_images": len(run.train), "seed": args.seed,
                     "wall_minutes": round(run.wall / 60, 1),
                     "device": f"{run.device.type}, "
                               + (f"{run.ctx.world} processes (DistributedDataParallel, BatchNorm synchronised) x "
                                  if run.ctx.world > 1 else "")
                               + f"{train_threads} thread(s) (final evaluation: {torch.get_num_threads()})",
                     "log": run.log,
                     **({"init_from": {"name": init.get("name"), "training": init.get("training"),
                                       "metrics": init.get("metrics")}} if init else {})},
        "metrics": {"test_images": len(run.test), "clean_acc": round(clean, 2),
                    "robust_test_images": final_images, "robust_acc": None if robust_acc is None else round(robust_acc, 2),
                    "attack": {"norm": args.norm, "eps": run.eval_eps, "steps": args.eval_steps,
                               "step_size": step_for(run.eval_eps, args.eval_steps), "random_start": False,
                               "precision": "float32"} if run.eval_eps > 0 else None},
    }
    if args.role:
        card["role"] = args.role
    return card


def main(argv=None):
    args = parse_args(argv)
    run = setup(args)
    start_epoch, _, ck = resume(run)
    for epoch in range(start_epoch, args.epochs):
        entry = train_epoch(run, epoch, ck if epoch == start_epoch else None)
        if (epoch + 1) % args.eval_every == 0 and epoch + 1 < args.epochs and run.ctx.main:
            sub = run.test.subset(min(args.eval_subset, len(run.test)))
            run.shipped.eval()
            entry["clean_acc"], entry["robust_acc"] = evaluate(run.shipped, sub.images, sub.labels, run.size, args.norm,
                                                               run.eval_eps, 10, bf16=args.bf16, desc="subset eval")
            entry["eval_note"] = (f"{len(sub)} test images, {args.norm} PGD eps {run.eval_eps} 10 steps"
                                  + (" bf16" if args.bf16 else ""))
        run.log.append(entry)
        if run.ctx.main:
            print(json.dumps(entry), flush=True)
        save_checkpoint(run, epoch + 1)
        distributed.barrier(run.ctx)
    if not run.ctx.main:  # rank 0 evaluates and writes the one card
        distributed.stop(run.ctx)
        return
    shipped = run.shipped.eval()
    train_threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)  # the other runs may be done by now; evaluation is embarrassingly parallel
    final = run.test if args.final_eval_size is None else run.test.subset(args.final_eval_size)
    t0 = time.time()
    clean, robust_acc = evaluate(shipped, final.images, final.labels, run.size, args.norm, run.eval_eps, args.eval_steps,
                                 desc="final eval")
    if len(final) < len(run.test):  # clean accuracy costs one forward pass: always on the whole split
        clean, _ = evaluate(shipped, run.test.images, run.test.labels, run.size, args.norm, 0.0, 0, desc="final clean eval")
    print(f"final: clean {clean:.2f}% ({len(run.test)} images)  robust {robust_acc} ({len(final)})  ({time.time() - t0:.0f}s)")
    save_bundled(shipped, make_card(run, clean, robust_acc, len(final), train_threads), Path(args.out_dir))
    print(f"wrote {args.out_dir}/{args.name}.safetensors and .json")
    distributed.stop(run.ctx)


if __name__ == "__main__":
    main()
