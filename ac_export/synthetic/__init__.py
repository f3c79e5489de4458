"""Synthetic data: a deterministic generator of Contoso-shaped sources at any size, with ground truth."""

from ac_export.synthetic.generate import SOURCE_FILES, GenerationResult, generate
from ac_export.synthetic.options import GenerateOptions
from ac_export.synthetic.truth import load_truth_table, read_truth, truth_table

__all__ = [
    "SOURCE_FILES",
    "GenerateOptions",
    "GenerationResult",
    "generate",
    "load_truth_table",
    "read_truth",
    "truth_table",
]
