"""Cython-compiled kernels, built from ``src_cython/*.pyx`` by ``setup.py``."""
