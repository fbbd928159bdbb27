"""`python -m bot serve | check | list`: the command-line entry points."""
