"""Ranking: Bradley-Terry and Elo leaderboards from pairwise battles."""
from .pairwise import (
    Leaderboard,
    bradley_terry,
    bradley_terry_from_counts,
    count_matrix,
    elo,
    encode_battles,
    fit_bradley_terry,
)

__all__ = [
    "Leaderboard",
    "bradley_terry",
    "bradley_terry_from_counts",
    "count_matrix",
    "elo",
    "encode_battles",
    "fit_bradley_terry",
]
