"""Input checks that say what is wrong and what to do, before any state is touched."""

from __future__ import annotations

import numpy as np

#: Entries per block when rows have to be searched for NaN or infinity.
_BLOCK_ELEMENTS = 1 << 22


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
    """Name the first rows that hold NaN or infinity, so the person can find and fix them.

    Needs no memory the size of X: a finite sum proves every entry finite (NaN and infinity
    survive summation), and only when it is not are the rows searched, a block at a time. A
    memory-mapped X is read through once and never held whole.
    """
    if X.dtype.kind not in "fc" or np.isfinite(X.sum()):
        return
    n_columns = int(np.prod(X.shape[1:], dtype=np.int64)) or 1
    step = max(1, _BLOCK_ELEMENTS // n_columns)
    rows, n_bad = [], 0
    for start in range(0, X.shape[0], step):
        block = np.asarray(X[start:start + step]).reshape(-1, n_columns)
        bad = start + np.flatnonzero(~np.isfinite(block).all(axis=1))
        n_bad += len(bad)
        rows.extend(bad[:max(0, 5 - len(rows))].tolist())
    if not n_bad:  # the sum overflowed; every entry is finite
        return
    shown = ", ".join(str(r) for r in rows)
    more = f" and {n_bad - len(rows)} more" if n_bad > len(rows) else ""
    raise ValueError(
        f"{name} contains NaN or infinity in row(s) {shown}{more}: drop or impute those rows "
        f"before clustering"
    )
