"""Ranking: Bradley-Terry and Elo leaderboards from pairwise battles; voting rules over rankings."""
from .pairwise import (
    BattleCounts,
    Leaderboard,
    bradley_terry,
    bradley_terry_from_counts,
    count_matrix,
    elo,
    encode_battles,
    fit_bradley_terry,
    fit_davidson,
)
from .multiwinner import Committee, item_scores, select_committee
from .style import StyleControlled, style_control, style_features
from .voting import (
    TwoLevelResult,
    VoteResult,
    aggregate_benchmark,
    aggregate_instances,
    borda,
    copeland,
    kemeny,
    margin_matrix,
    preference_matrix,
)

__all__ = [
    "StyleControlled",
    "style_control",
    "style_features",
    "Committee",
    "item_scores",
    "select_committee",
    "BattleCounts",
    "Leaderboard",
    "bradley_terry",
    "bradley_terry_from_counts",
    "count_matrix",
    "elo",
    "encode_battles",
    "fit_bradley_terry",
    "fit_davidson",
    "TwoLevelResult",
    "VoteResult",
    "aggregate_instances",
    "aggregate_benchmark",
    "borda",
    "copeland",
    "kemeny",
    "margin_matrix",
    "preference_matrix",
]
