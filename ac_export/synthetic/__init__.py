"""Synthetic data: a deterministic generator of Contoso-shaped sources at any size, with ground truth.

Import from the modules (`generate`, `options`, `truth`): the package itself imports nothing, so the
command line can read the options without loading the generator.
"""
