"""The verifier: each rewritten call built both ways and compared. This package's own module
imports nothing heavy (the command line reads its choices); its modules import torch."""

DEVICES = ("auto", "cpu", "cuda")
WEIGHT_SOURCES = ("auto", "real", "synthetic")  # the torch hub cache, synthesised, or either
