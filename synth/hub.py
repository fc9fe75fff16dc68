"""``python -m synth.hub ...``: see :mod:`synth.deploy.hub` (kept at this name so that the command stays short)."""
if __name__ == "__main__":
    import sys

    from .deploy.hub import main

    sys.exit(main())
