"""``python -m synth.train ...``: train a classifier, see :mod:`synth.train.classifier`."""
from .classifier import main

main()
