"""fastscore: exact, drop-in and fast evaluation-metric kernels.

Families: ``fastscore.calibration`` and ``fastscore.diversity`` (more to
come: detection, ranking). ``fastscore.show_config()`` prints the backends found here.
"""
__version__ = "0.1.0"

from . import calibration, diversity, ranking
from ._config import config, show_config

__all__ = ["__version__", "calibration", "config", "diversity", "ranking", "show_config"]
