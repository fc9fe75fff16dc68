"""Figures for the notebooks and README: image grids and loss curves (matplotlib).
Nothing here computes; it only draws tensors the tasks return."""
from __future__ import annotations

from pathlib import Path

import torch


def grid(images: torch.Tensor, nrow: int, row_titles=None, col_titles=None, scale: float = 1.2, path=None):
    """Draw (N, 3, H, W) images in [0, 1] as a grid with ``nrow`` rows; optionally save to ``path``.

    Returns:
        the matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    n = len(images)
    ncol = (n + nrow - 1) // nrow
    fig, axes = plt.subplots(nrow, ncol, figsize=(scale * ncol, scale * nrow), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i].detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy(), interpolation="nearest")
    for r, t in enumerate(row_titles or []):
        axes[r, 0].text(-0.1, 0.5, t, transform=axes[r, 0].transAxes, ha="right", va="center", fontsize=8)
    for c, t in enumerate(col_titles or []):
        axes[0, c].set_title(t, fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    return fig


def curves(histories: dict, ylabel: str = "objective (higher is better)", path=None):
    """Plot {label: (steps + 1, N) history} as mean +- std over samples per step."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3))
    for label, h in histories.items():
        h = h.float().cpu()
        m, s = h.mean(1), h.std(1) if h.shape[1] > 1 else torch.zeros(len(h))
        ax.plot(m, label=label)
        ax.fill_between(range(len(m)), m - s, m + s, alpha=0.2)
    ax.set_xlabel("PGD step")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    return fig


def bars(values: dict, ylabel: str, path=None, title: str = ""):
    """A bar chart of {label: value} (label histograms of BIGRoC Fig. 3)."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 2.5))
    ax.bar(list(values), list(values.values()))
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.tight_layout()
    _save(fig, path)
    return fig


def table(header: list[str], rows: list[list], path=None, floatfmt: str = ".2f") -> str:
    """A markdown table of ``rows`` under ``header`` (floats formatted with ``floatfmt``);
    optionally written to ``path`` (a ``.md`` file beside the figures).

    Returns:
        the markdown text (print it in a notebook).
    """
    def cell(v) -> str:
        return (format(v, floatfmt) if isinstance(v, float) else str(v)).replace("|", "\\|")  # p(y|x) stays one cell
    align = ["---:" if rows and isinstance(rows[0][i], (int, float)) else "---" for i in range(len(header))]
    text = "\n".join("| " + " | ".join(r) + " |" for r in [[cell(h) for h in header], align,
                                                           *[[cell(v) for v in row] for row in rows]]) + "\n"
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
    return text


def show(markdown: str) -> None:
    """Show Markdown (a table from :func:`table`, a sentence) rendered in a notebook, printed elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # the library runs without IPython
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(markdown)
    else:
        display(Markdown(markdown))


def model_table(models) -> str:
    """One row per model, instead of a module repr: what it is, what it was trained against, and the accuracies its
    card records (clean on the test split, robust under the card's attack).

    Args:
        models: ``RobustClassifier``s (bundled models carry a card; others show what they know).
    """
    rows = []
    for m in models:
        card = getattr(m, "card", None) or {}
        scores, training = card.get("metrics", {}), card.get("robust") or {}
        attack = scores.get("attack", {})
        trained = f"{training['norm'].upper()} eps {training['eps']:g}" if training.get("eps") else "standard (no attack)"
        robust = (f"{scores['robust_acc']:.1f}% ({attack.get('norm', '').upper()} eps {attack.get('eps', 0):g}, "
                  f"{attack.get('steps', '?')}-step PGD)") if scores.get("robust_acc") is not None else "-"
        clean = f"{scores['clean_acc']:.1f}%" if scores.get("clean_acc") is not None else "-"
        rows.append([f"`{m.name}`", card.get("arch", type(getattr(m, "net", m)).__name__), trained, clean, robust])
    return table(["model", "architecture", "adversarial training", "clean accuracy", "robust accuracy"], rows)


def _save(fig, path):
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")
