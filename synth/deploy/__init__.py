"""Deployment: bundled models as Hub model repositories (:mod:`synth.deploy.hub`, ``python -m synth.hub``) and the
demo as a Hugging Face Space (:mod:`synth.deploy.space`, ``python -m synth.space``)."""
