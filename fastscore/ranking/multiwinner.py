"""Multiwinner selection: committee scoring rules over rankings, with group-fairness bounds.

The rules of "Subset Selection Based On Multiple Rankings in the Presence of
Bias" (Boehmer, Celis, Huang, Mehrotra, Vishnoi): SNTV, Bloc and k-Borda are
additive (an item's score does not depend on the rest of the committee), so
the best committee is the top k (exact, also under the group bounds below);
Chamberlin-Courant scores a committee by how well it represents each voter
(each voter counts the Borda score of their favourite member) and is NP-hard:
the greedy committee is within a factor 1 - 1/e of the optimum (the objective
is monotone submodular), without group bounds.

Group fairness: ``groups`` gives each item a group id, ``at_least`` /
``at_most`` map a group to the fewest / most members it may have. Ties in
scores are broken towards the smaller item id.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .voting import _profile

RULES = ("sntv", "bloc", "borda", "chamberlin_courant")


@dataclass(frozen=True)
class Committee:
    """``members``: item ids in the order chosen (best first for additive rules);
    ``score``: the rule's value of the committee; ``exact``: optimal for the rule."""

    members: np.ndarray
    score: float
    exact: bool


def _positions(rankings):
    position = np.empty_like(rankings)
    rows = np.arange(rankings.shape[0])[:, None]
    position[rows, rankings] = np.arange(rankings.shape[1])[None, :]
    return position  # position[v, c]: where voter v ranks item c (0 = top)


def item_scores(rankings, k: int, rule: str, *, weights=None) -> np.ndarray:
    """Per-item scores of an additive rule: SNTV (1 for a voter's top item),
    Bloc (1 for each of a voter's top k), k-Borda (m - 1 - position)."""
    rankings, weights, m = _profile(rankings, weights)
    position = _positions(rankings)
    if rule == "sntv":
        points = (position == 0).astype(np.float64)
    elif rule == "bloc":
        points = (position < k).astype(np.float64)
    elif rule == "borda":
        points = (m - 1 - position).astype(np.float64)
    else:
        raise ValueError(f"item_scores takes an additive rule ('sntv', 'bloc', 'borda'), got {rule!r}.")
    return weights @ points


def _bounds(groups, at_least, at_most, m, k):
    if groups is None:
        if at_least or at_most:
            raise ValueError("at_least / at_most need groups=... (one group id per item).")
        return None, None, None
    groups = np.asarray(groups)
    if groups.shape != (m,):
        raise ValueError(f"groups must give one group per item ({m}), got shape {groups.shape}.")
    labels = sorted(set(groups.tolist()), key=str)
    unknown = [g for g in list(at_least or {}) + list(at_most or {}) if g not in labels]
    if unknown:
        raise ValueError(f"bounds name groups that no item belongs to: {unknown}; the groups are {labels}.")
    index = {g: i for i, g in enumerate(labels)}
    group_of = np.array([index[g] for g in groups.tolist()], dtype=np.int64)
    size = np.bincount(group_of, minlength=len(labels))
    low = np.array([int((at_least or {}).get(g, 0)) for g in labels])
    high = np.array([int((at_most or {}).get(g, k)) for g in labels])
    high = np.minimum(high, size)
    if (low > high).any():
        g = labels[int(np.argmax(low > high))]
        raise ValueError(f"group {g!r} cannot have at least {int(low[index[g]])} members (it has {int(size[index[g]])} "
                         f"items, at most {int(high[index[g]])} allowed).")
    if low.sum() > k or high.sum() < k:
        raise ValueError(f"no committee of {k} meets the bounds: the lower bounds need {int(low.sum())} members, "
                         f"the upper bounds allow {int(high.sum())}.")
    return group_of, low, high


def _fair_top_k(scores, k, group_of, low, high):
    """The k items of highest total score under per-group lower/upper bounds (exact: a greedy on a
    partition matroid, after the lower bounds are met by each group's best items)."""
    order = np.lexsort((np.arange(scores.size), -scores))  # best first, ties to the smaller id
    if group_of is None:
        return order[:k]
    chosen, count = [], np.zeros(low.size, dtype=np.int64)
    for item in order:  # first, each group's best items up to its lower bound
        g = group_of[item]
        if count[g] < low[g]:
            chosen.append(item)
            count[g] += 1
    taken = set(chosen)
    for item in order:  # then the best of the rest within the upper bounds
        if len(chosen) == k:
            break
        g = group_of[item]
        if item not in taken and count[g] < high[g]:
            chosen.append(item)
            taken.add(item)
            count[g] += 1
    chosen = np.array(chosen, dtype=np.int64)
    return chosen[np.lexsort((chosen, -scores[chosen]))]


def _cc_value(utility, members):
    return float(utility[:, members].max(axis=1).sum()) if len(members) else 0.0


def select_committee(rankings, k: int, *, rule: str = "borda", weights=None, groups=None, at_least=None,
                     at_most=None) -> Committee:
    """Select k items from rankings by a committee scoring rule.

    Parameters
    ----------
    rankings : (n, m) int array
        Row r lists the item ids from best to worst.
    k : int
        Committee size, 1 <= k <= m.
    rule : {"sntv", "bloc", "borda", "chamberlin_courant"}
    weights : (n,) array, optional
        Voters per ranking.
    groups : (m,) array, optional
        A group id per item, for the fairness bounds.
    at_least, at_most : dict, optional
        {group: bound}: the fewest / most members from that group.

    Returns
    -------
    Committee
        Additive rules are exact. Chamberlin-Courant is greedy: within
        1 - 1/e of the optimum without bounds (``exact=False``); with bounds
        the greedy only keeps the committee feasible (no guarantee).

    Examples
    --------
    >>> from fastscore.ranking import select_committee
    >>> rankings = [[0, 1, 2, 3], [0, 2, 1, 3], [3, 2, 1, 0]]
    >>> select_committee(rankings, 2, rule="borda").members.tolist()  # Borda points 6, 4, 5, 3
    [0, 2]
    >>> select_committee(rankings, 2, rule="chamberlin_courant").members.tolist()  # represents the third voter
    [0, 3]
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}.")
    rankings, weights, m = _profile(rankings, weights)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= m:
        raise ValueError(f"k must be an integer in 1..{m} (the number of items), got {k!r}.")
    group_of, low, high = _bounds(groups, at_least, at_most, m, k)
    if rule != "chamberlin_courant":
        scores = item_scores(rankings, k, rule, weights=weights)
        members = _fair_top_k(scores, k, group_of, low, high)
        return Committee(members=members, score=float(scores[members].sum()), exact=True)
    # Chamberlin-Courant with Borda utilities: voter v values item c at m - 1 - position
    utility = (m - 1 - _positions(rankings)).astype(np.float64) * weights[:, None]
    members: list[int] = []
    best_so_far = np.zeros(rankings.shape[0])
    count = None if group_of is None else np.zeros(low.size, dtype=np.int64)
    for slot in range(k):
        gains = np.maximum(utility - best_so_far[:, None], 0.0).sum(axis=0)
        allowed = np.ones(m, dtype=bool)
        allowed[members] = False
        if group_of is not None:
            left = k - slot - 1  # seats left after this one must still cover the unmet lower bounds
            unmet = np.maximum(low - count, 0)
            for g in range(low.size):
                in_g = group_of == g
                if count[g] >= high[g]:
                    allowed &= ~in_g
                elif unmet.sum() - (1 if unmet[g] > 0 else 0) > left:
                    allowed &= ~in_g  # choosing from g would leave a lower bound unmet
        candidates = np.flatnonzero(allowed)
        pick = int(candidates[np.lexsort((candidates, -gains[candidates]))[0]])
        members.append(pick)
        best_so_far = np.maximum(best_so_far, utility[:, pick])
        if count is not None:
            count[group_of[pick]] += 1
    members = np.array(members, dtype=np.int64)
    return Committee(members=members, score=_cc_value(utility, members), exact=k == 1 and group_of is None)
