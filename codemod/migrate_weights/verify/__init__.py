"""The verifier: each rewritten call built both ways and compared. This package's own module
imports nothing heavy (the command line reads its choices); its modules import torch."""

from __future__ import annotations

import importlib
from types import ModuleType

import click

from migrate_weights.commands import ExitStatus

DEVICES = ("auto", "cpu", "cuda")
WEIGHT_SOURCES = ("auto", "real", "synthetic")  # the torch hub cache, synthesised, or either
EXTRA = "verify"  # the extra that installs torch and torchvision


class MissingExtra(click.ClickException):
    exit_code = ExitStatus.ERROR

    def __init__(self, module: str) -> None:
        super().__init__(
            f"verifying needs {module}, which is not installed here: "
            f'pip install "migrate-weights[{EXTRA}]"'
        )


def load_verifier() -> ModuleType:
    """migrate_weights.verify.verifier, or MissingExtra where torch or torchvision is missing."""
    try:
        return importlib.import_module("migrate_weights.verify.verifier")
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in ("torch", "torchvision"):
            raise
        raise MissingExtra(missing) from None
