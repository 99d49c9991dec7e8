"""Demand units grouped by grid: residents per grid from a per-unit coverage mask."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.errors import AnalysisError

__all__ = ["DemandIndex"]


class DemandIndex:
    """Residents of every demand unit and the grid each unit belongs to.

    Parameters
    ----------
    demand
        One row per demand unit, in the column order of the coverage matrices, with
        columns ``grid_id`` and ``residents`` (non-negative numbers).
    """

    def __init__(self, demand: pd.DataFrame) -> None:
        missing = sorted({"grid_id", "residents"} - set(demand.columns))
        if missing:
            msg = (
                f"demand units lack the column(s) {missing}; got {list(demand.columns)}; "
                "pass the coverage engine's `demand` table"
            )
            raise AnalysisError(msg)
        residents = pd.to_numeric(demand["residents"], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        bad = ~np.isfinite(residents) | (residents < 0)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            msg = (
                f"demand unit {first} has residents {demand['residents'].iloc[first]!r}; "
                "residents must be finite and non-negative"
            )
            raise AnalysisError(msg)
        codes, uniques = pd.factorize(demand["grid_id"].astype(str), sort=False)
        self.residents: npt.NDArray[np.float64] = residents
        self.codes: npt.NDArray[np.intp] = np.asarray(codes, dtype=np.intp)
        self.grid_ids: npt.NDArray[np.object_] = np.asarray(uniques, dtype=object)
        self.grid_residents: npt.NDArray[np.float64] = self.grid_sums(
            np.ones(residents.shape[0], dtype=bool)
        )

    def __len__(self) -> int:
        return int(self.residents.shape[0])

    def grid_sums(self, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        """Residents of the units in ``mask``, summed per grid (in ``grid_ids`` order)."""
        sums: npt.NDArray[np.float64] = np.bincount(
            self.codes, weights=np.where(mask, self.residents, 0.0), minlength=len(self.grid_ids)
        ).astype(np.float64)
        return sums

    def per_grid(self, covered: npt.NDArray[np.bool_]) -> pd.DataFrame:
        """Residents, residents covered and covered share of every grid.

        Parameters
        ----------
        covered
            True for every demand unit inside the circle.

        Returns
        -------
        pandas.DataFrame
            ``grid_id``, ``residents``, ``residents_covered``, ``share_covered`` (NaN for
            grids without residents).
        """
        covered_sum = self.grid_sums(covered)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(self.grid_residents > 0, covered_sum / self.grid_residents, np.nan)
        return pd.DataFrame(
            {
                "grid_id": self.grid_ids,
                "residents": self.grid_residents,
                "residents_covered": covered_sum,
                "share_covered": share,
            }
        )
