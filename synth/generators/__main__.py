"""``python -m synth.generators --kind vae|dcgan ...``: see :mod:`synth.train.generator`."""
from ..train.generator import main

main()
