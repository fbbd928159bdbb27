"""`python -m bot serve | check | list | where | migrate`: the command-line entry points."""
