"""Diversity: the Vendi score of every order, intdiv, bounds and a streaming state."""
from .vendi import (
    EmbeddingVendi,
    GroupDiversity,
    VendiBounds,
    approximate_features,
    intdiv,
    score_from_eigenvalues,
    similarity_matrix,
    vendi_bounds,
    vendi_by_group,
    vendi_score,
)

__all__ = [
    "EmbeddingVendi",
    "GroupDiversity",
    "VendiBounds",
    "approximate_features",
    "intdiv",
    "score_from_eigenvalues",
    "similarity_matrix",
    "vendi_bounds",
    "vendi_by_group",
    "vendi_score",
]
