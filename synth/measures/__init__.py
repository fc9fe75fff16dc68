"""Measures: how good a result is and whether a setting shows the papers' effect (the
metrics themselves, PSNR, SSIM, Fréchet distance, Inception Score and evaluator agreement, are the core's
:mod:`synth.metrics`).

- :mod:`synth.measures.effect`: robust vs standard twin on the same inputs, judged by a robust evaluator.
- :mod:`synth.measures.evaluation`: robust accuracy (PGD, AutoAttack).
- :mod:`synth.measures.claims`: a notebook's sentences about its outputs, rendered from and checked against them.
"""
