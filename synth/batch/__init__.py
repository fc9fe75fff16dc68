"""Batch jobs: the ``synth`` command line (:mod:`synth.batch.cli`, ``python -m synth ...``) and its sharded,
resumable jobs over processes (:mod:`synth.batch.jobs`, ``torchrun ... -m synth ...``)."""
