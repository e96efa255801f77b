"""Build the Cython kernels: src_cython/<name>.pyx -> fastscore._cy.<name>.

Everything else about the package lives in pyproject.toml. The modules are
compiled in parallel (one job per core), and the shared declarations
(``*.pxd``) and C helpers (``*.h``) of src_cython/ are found there.
"""
import os
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
SOURCES = HERE / "src_cython"


class ParallelBuildExt(build_ext):
    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1


extensions = [
    Extension(
        f"fastscore._cy.{pyx.stem}",
        [str(pyx.relative_to(HERE))],
        include_dirs=[str(SOURCES.relative_to(HERE))],
        # no fused multiply-adds: the float operations stay those of the reference (and of pycocotools)
        extra_compile_args=["-O3", "-ffp-contract=off"],
    )
    for pyx in sorted(SOURCES.glob("*.pyx"))
]

setup(
    cmdclass={"build_ext": ParallelBuildExt},
    ext_modules=cythonize(
        extensions,
        include_path=[str(SOURCES)],
        nthreads=os.cpu_count() or 1,
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
)
