"""Input checks that say what is wrong and what to do, before any state is touched."""

from __future__ import annotations

import numpy as np


def reject_non_numeric_columns(X) -> None:
    """A DataFrame with text or category columns cannot be clustered as is: say which columns."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    bad = [str(col) for col, dt in zip(X.columns, dtypes) if not _is_numeric_dtype(dt)]
    if bad:
        raise ValueError(
            f"X has non-numeric columns {bad}: pass only numeric features, e.g. "
            f"X.select_dtypes('number'), or encode those columns first"
        )


def _is_numeric_dtype(dtype) -> bool:
    try:
        return np.issubdtype(np.dtype(dtype), np.number) or np.dtype(dtype) == bool
    except TypeError:  # pandas extension dtypes (category, string, nullable ints)
        return getattr(dtype, "_is_numeric", False)


def reject_non_finite_rows(X: np.ndarray, name: str = "X") -> None:
    """Name the first rows that hold NaN or infinity, so the person can find and fix them."""
    finite = np.isfinite(X)
    if finite.all():
        return
    rows = np.flatnonzero(~finite.all(axis=1))
    shown = ", ".join(str(r) for r in rows[:5])
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    raise ValueError(
        f"{name} contains NaN or infinity in row(s) {shown}{more}: drop or impute those rows "
        f"before clustering"
    )
