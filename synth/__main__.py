"""``python -m synth ...`` (and ``torchrun -m synth ...``): the command line, see :mod:`synth.batch.cli`."""
import sys

from .batch.cli import main

sys.exit(main())
