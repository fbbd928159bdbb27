"""Helpers the tests share: fakes, harnesses, oracles and payload builders."""
