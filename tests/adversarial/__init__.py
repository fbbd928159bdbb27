"""Adversarial tests: hostile input, forged requests, held connections, upstream chaos, secrets."""
