"""``python -m synth ...`` (and ``torchrun -m synth ...``): the command line, see :mod:`synth.cli`."""
import sys

from .cli import main

sys.exit(main())
