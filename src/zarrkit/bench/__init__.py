"""Benchmarks shipped with the package, so ``zarrkit bench`` works from any install.

The scripts in the repository's ``benchmarks/`` directory call into these modules.
"""
