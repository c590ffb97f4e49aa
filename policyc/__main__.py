"""`python -m policyc` runs the command line."""

from .cli import run

run()
