"""Every error class of a family, and an instance of any of them with hostile text inside."""

from __future__ import annotations

import inspect
from typing import Any


def subclasses(base: type) -> list[type]:
    found = []
    for sub in base.__subclasses__():
        found.append(sub)
        found.extend(subclasses(sub))
    return found


def instantiate(kind: type[BaseException], text: str) -> BaseException:
    """Any error class, with every required argument filled: strings get hostile text."""
    args, kwargs = [], {}
    for name, param in inspect.signature(kind.__init__).parameters.items():
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is not param.empty:
            continue
        annotation = str(param.annotation)
        value: Any = 7 if "int" in annotation else 2.5 if "float" in annotation else text
        if param.kind == param.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    return kind(*args, **kwargs)
