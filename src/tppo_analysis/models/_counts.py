"""Count noise by inversion and Cholesky normal draws for the trend models (defined in the core :mod:`.._draws`)."""

from __future__ import annotations

from .._draws import nb_counts, normal_draws

__all__ = ["nb_counts", "normal_draws"]
