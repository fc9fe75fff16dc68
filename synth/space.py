"""``python -m synth.space ...``: see :mod:`synth.deploy.space` (kept at this name so that the command stays short)."""
if __name__ == "__main__":
    import sys

    from .deploy.space import main

    sys.exit(main())
