"""What ClusterWidget does beyond holding traits, in plain Python that tests can drive without a browser.

* `DataTable`: the rows the widget shows - the feature matrix the model trains on, extra columns for
  tooltips and colouring, a text column, image thumbnails.
* `UpdateThrottle`: live updates to the front end are capped (10 per second by default).
* `Session`: the model, the projection, the background training thread and every action a person
  can take (include, exclude, link, separate, merge, split, new cluster, undo, redo, refine, stop).
  It publishes display state through a callback the widget supplies, and turns every failure into a
  readable message as well as an exception.

Threading. Training runs in one background thread. One lock (`Session.lock`) guards the model:
feedback actions, frame publishing and cluster edits take it. Point feedback (include, exclude,
links, removals) goes straight into the estimator's thread-safe feedback store, which the training
loop reads at epoch boundaries. Cluster edits and undo/redo change the centroids, so they first
pause the training at an epoch boundary, are applied with the model at rest, and training then
continues with the epochs it had left.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from ._validation import reject_non_finite_rows, reject_non_numeric_columns
from .projection import Projector

__all__ = ["DataTable", "Session", "UpdateThrottle", "assign"]

#: A column with at most this many distinct numbers is coloured as categories, not as a ramp.
_CATEGORICAL_MAX_NUMBERS = 12
#: Columns with more distinct values than this are not offered for colouring (free text, ids).
_CATEGORICAL_MAX = 1000
#: Tooltips show at most this many columns, and raw features only when there are few of them.
_TOOLTIP_ROWS = 12


# ================================================================================= data


class DataTable:
    """The rows behind the picture: features for the model, columns and text and images to show."""

    def __init__(
        self,
        features: np.ndarray,
        columns: pd.DataFrame | None = None,
        text: np.ndarray | None = None,
        images: np.ndarray | None = None,
        frame: pd.DataFrame | None = None,
        text_name: str = "text",
    ):
        self.features = features
        self.columns = columns if columns is not None else pd.DataFrame(index=range(len(features)))
        self.text = text
        self.images = images
        self.frame = frame  # the DataFrame as the person passed it, for to_pandas()
        self.text_name = text_name
        if images is not None:
            lo, hi = float(np.nanmin(images)), float(np.nanmax(images))
            self._image_range = (lo, hi if hi > lo else lo + 1.0)
        self._encodings: dict[str, tuple[np.ndarray, list[str]]] = {}

    @property
    def n(self) -> int:
        return self.features.shape[0]

    @classmethod
    def from_inputs(cls, data, features=None, text=None, columns=None, images=None) -> DataTable:
        """Validate what ClusterWidget was given; every problem is a ValueError that says what to do."""
        frame: pd.DataFrame | None = None
        text_name = "text"
        if isinstance(data, pd.DataFrame):
            frame = data
            text_col = text if isinstance(text, str) else None
            if text_col is not None and text_col not in data.columns:
                raise ValueError(f"text={text_col!r} is not a column of the data; columns are "
                                 f"{list(map(str, data.columns))}")
            if features is None:
                chosen = [c for c in data.columns if c != text_col and _is_feature_dtype(data[c])]
                if not chosen:
                    raise ValueError("the DataFrame has no numeric columns to cluster: pass "
                                     "features=[...] or numeric data")
            else:
                chosen = [features] if isinstance(features, str) else list(features)
                missing = [c for c in chosen if c not in data.columns]
                if missing:
                    raise ValueError(f"features {missing} are not columns of the data")
            reject_non_numeric_columns(data[chosen])
            X = data[chosen].to_numpy(dtype=np.float32)
            extra = data.drop(columns=chosen)
            if text_col is not None:
                text_values = extra.pop(text_col).astype(str).to_numpy(dtype=object)
                text_name = str(text_col)
            else:
                text_values = None
        else:
            if features is not None:
                raise ValueError("features= picks DataFrame columns; data is not a DataFrame")
            if isinstance(data, np.memmap) and np.issubdtype(data.dtype, np.number):
                X = data  # stays on disk: the model streams it, the picture reads its rows
            else:
                try:
                    X = np.asarray(data, dtype=np.float32)
                except (TypeError, ValueError) as err:
                    raise ValueError(f"data must be a numeric array or DataFrame: {err}") from None
            if X.ndim == 1:
                raise ValueError("data must be 2-D (rows x features); for one feature use "
                                 "data.reshape(-1, 1)")
            if X.ndim != 2:
                raise ValueError(f"data must be 2-D (rows x features), got shape {X.shape}")
            extra = pd.DataFrame(index=range(X.shape[0]))
            text_values = None
            if isinstance(text, str):
                raise ValueError(f"text={text!r} names a column, but data is not a DataFrame: "
                                 f"pass the texts themselves")
        n = X.shape[0]
        if n == 0:
            raise ValueError("data has no rows")
        reject_non_finite_rows(X, "data")
        extra = extra.reset_index(drop=True)

        if text is not None and not isinstance(text, str):
            text_values = np.asarray([str(t) for t in text], dtype=object)
            if len(text_values) != n:
                raise ValueError(f"text has {len(text_values)} entries but data has {n} rows")

        if columns is not None:
            more = pd.DataFrame(columns) if isinstance(columns, Mapping) else columns
            if not isinstance(more, pd.DataFrame):
                raise ValueError("columns= must be a dict of name -> values or a DataFrame")
            if len(more) != n:
                raise ValueError(f"columns has {len(more)} rows but data has {n}")
            extra = pd.concat([extra, more.reset_index(drop=True)], axis=1)

        if images is not None:
            images = np.asarray(images)
            if images.ndim == 4 and images.shape[-1] == 1:
                images = images[..., 0]
            if images.ndim != 3 or images.shape[0] != n:
                raise ValueError(f"images must be grayscale with shape (n_rows, height, width) = "
                                 f"({n}, h, w), got {images.shape}")
            if not np.issubdtype(images.dtype, np.number):
                raise ValueError("images must be numeric")
        extra.columns = [str(c) for c in extra.columns]
        return cls(X, extra, text_values, images, frame, text_name)

    # ------------------------------------------------------------------ colouring
    def color_options(self) -> list[str]:
        options = ["cluster", "confidence"]
        for name in self.columns.columns:
            column = self.columns[name]
            if _is_feature_dtype(column) or column.nunique(dropna=False) <= _CATEGORICAL_MAX:
                options.append(name)
        return options

    def color_encoding(self, name: str) -> tuple[np.ndarray, list[str]]:
        """Values for colouring by column `name`: float32 (a ramp) or uint16 codes + category names."""
        if name in ("cluster", "confidence"):
            return np.zeros(0, dtype=np.float32), []
        if name not in self._encodings:
            if name not in self.columns.columns:
                raise ValueError(f"cannot colour by {name!r}: choose one of {self.color_options()}")
            column = self.columns[name]
            numeric = _is_feature_dtype(column) and column.dtype != bool
            if numeric and column.nunique() > _CATEGORICAL_MAX_NUMBERS:
                values = column.to_numpy(dtype=np.float32, na_value=np.nan)
                self._encodings[name] = (values, [])
            else:
                if column.nunique(dropna=False) > _CATEGORICAL_MAX:
                    raise ValueError(f"column {name!r} has too many distinct values to colour by")
                codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=True)
                categories = [_format_value(u) for u in uniques]
                if (codes < 0).any():
                    codes = np.where(codes < 0, len(categories), codes)
                    categories.append("missing")
                self._encodings[name] = (codes.astype(np.uint16), categories)
        return self._encodings[name]

    # ------------------------------------------------------------------ tooltips
    def tooltip(self, index: int) -> tuple[dict[str, Any], list[bytes]]:
        """The tooltip message for row `index` and its binary buffers (an image thumbnail)."""
        index = int(index)
        if not 0 <= index < self.n:
            raise IndexError(f"row {index} is out of range (0..{self.n - 1})")
        rows: list[list[str]] = []
        for name in list(self.columns.columns)[:_TOOLTIP_ROWS]:
            rows.append([name, _format_value(self.columns[name].iat[index])])
        if self.frame is not None and len(rows) < _TOOLTIP_ROWS:
            feature_names = [c for c in self.frame.columns if str(c) not in self.columns.columns
                             and str(c) != self.text_name]
            for name in feature_names[: _TOOLTIP_ROWS - len(rows)]:
                rows.append([str(name), _format_value(self.frame[name].iat[index])])
        elif self.frame is None and self.features.shape[1] <= _TOOLTIP_ROWS - len(rows):
            rows += [[f"x{j}", _format_value(v)] for j, v in enumerate(self.features[index])]
        content: dict[str, Any] = {"type": "tooltip", "index": index, "rows": rows}
        buffers: list[bytes] = []
        if self.text is not None:
            content["text"] = str(self.text[index])[:500]
        if self.images is not None:
            lo, hi = self._image_range
            img = np.nan_to_num(self.images[index].astype(np.float32), nan=lo)
            gray = np.clip((img - lo) / (hi - lo) * 255.0, 0, 255).astype(np.uint8)
            content["image"] = {"width": int(gray.shape[1]), "height": int(gray.shape[0])}
            buffers.append(np.ascontiguousarray(gray).tobytes())
        return content, buffers

    def to_pandas(self) -> pd.DataFrame:
        if self.frame is not None:
            out = self.frame.reset_index(drop=True).copy()
        else:
            out = pd.DataFrame(self.features, columns=[f"x{j}" for j in range(self.features.shape[1])])
            if self.text is not None:
                out[self.text_name] = self.text
        for name in self.columns.columns:
            if name not in out.columns:
                out[name] = self.columns[name].to_numpy()
        return out


def _is_feature_dtype(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)


def _format_value(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return "–" if np.isnan(value) else f"{value:.4g}"
    if value is None or value is pd.NA:
        return "–"
    return str(value)


# ================================================================================= updates


class UpdateThrottle:
    """At most `per_second` updates; `ready()` says whether one may go out now."""

    def __init__(self, per_second: float = 10.0, clock: Callable[[], float] = time.monotonic):
        if not per_second > 0:
            raise ValueError("per_second must be positive")
        self.interval = 1.0 / per_second
        self.clock = clock
        self._last = -np.inf

    def ready(self) -> bool:
        return self.clock() - self._last >= self.interval

    def mark(self) -> None:
        self._last = self.clock()


def assign(embedding: np.ndarray, centers: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels and confidence (max q) of each point for given centroids (Student's t, as DEC)."""
    import torch

    from .nn import soft_assignment

    with torch.no_grad():
        q = soft_assignment(torch.from_numpy(np.ascontiguousarray(embedding, dtype=np.float32)),
                            torch.from_numpy(np.ascontiguousarray(centers, dtype=np.float32)),
                            float(alpha))
        confidence, labels = q.max(1)
    return labels.numpy(), confidence.numpy()


def label_dtype(n_clusters: int) -> np.dtype:
    return np.dtype(np.uint8 if n_clusters <= 255 else np.uint16)


# ================================================================================= session

Publish = Callable[..., None]


class Session:
    """The model, its picture and the training thread behind one ClusterWidget."""

    def __init__(self, model, table: DataTable, publish: Publish, *, projection: str = "pca",
                 max_updates_per_second: float = 10.0, random_state: int | None = 0,
                 max_points: int | None = None):
        self.model = model
        self.table = table
        #: The data rows on show (sorted), or None when every row is. The front end numbers the
        #: points it draws 0..n_shown-1; `selection` and tooltip requests use those positions.
        self.rows = shown_rows(table.n, max_points, random_state)
        self.publish = publish
        self.projector = Projector(projection, random_state=random_state)
        self.throttle = UpdateThrottle(max_updates_per_second)
        self.lock = threading.RLock()
        self.selection = np.zeros(0, dtype=np.uint32)
        self.active_cluster = 0
        self.pending_group: np.ndarray | None = None  # first side of a two-step "Separate"
        self._needs_data = False  # a model given pre-fitted has to be handed our rows to refine
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()
        self._worker_state = "done"  # "running" | "paused" | "done"
        self._pause_requests = 0
        self._user_stop = False
        self._error: BaseException | None = None
        self._status = "idle"
        self._offset = 0  # epochs of this run done in earlier segments (before a cluster edit)
        self._segment_epochs = 0
        self._last_numbers: dict[str, Any] = {}  # epoch, loss... of the last epoch, shown or not
        self._shown: dict[str, Any] = {}  # the last frame published: labels, confidence, points

    # ------------------------------------------------------------------ state
    @property
    def status(self) -> str:
        return self._status

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Show a fitted model at once, or fit one in the background."""
        if _is_fitted(self.model):
            n_model = len(self.model.labels_)
            if n_model != self.table.n:
                raise ValueError(f"the model was fitted on {n_model} rows but data has "
                                 f"{self.table.n}: pass the data it was fitted on")
            self._needs_data = True
            with self.lock:
                self._publish_model_state(status="idle", final=True)
        else:
            # Refuse bad parameters here, not later in the background thread.
            check = getattr(self.model, "_check_params", None)
            if callable(check):
                check()
            k = getattr(self.model, "n_clusters", None)
            if isinstance(k, (int, np.integer)) and k > self.table.n:
                raise ValueError(f"n_clusters={k} is more than the {self.table.n} rows of data")
            self._launch("fit", None)

    # ------------------------------------------------------------------ training
    def refine(self, epochs: int | None = None) -> None:
        if not _is_fitted(self.model):
            raise RuntimeError("the model is still fitting: wait() for it before refine()")
        if self.running:
            raise RuntimeError("training is already running: call stop() or wait() first")
        if epochs is not None:
            if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
                raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
            epochs = int(epochs)
        else:
            epochs = int(self.model.epochs)
        self._launch("refine", epochs)

    def stop(self) -> None:
        """Ask the training to end; it does at the next batch boundary (within one epoch)."""
        if not self.running:
            return
        self._user_stop = True
        self.model.stop()  # first: publishing the status can wait behind a training frame
        with self.lock:
            self._set_status("stopping")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until training ends. True if it ended; re-raises a training failure once."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                return False
        if self._error is not None:
            error, self._error = self._error, None
            raise RuntimeError(f"training failed: {error}") from error
        return True

    def _launch(self, kind: str, epochs: int | None) -> None:
        self._user_stop = False
        self._last_numbers = {}
        self._error = None
        with self._cond:
            self._worker_state = "running"
        self._set_status("fitting" if kind == "fit" else "training",
                         message="", epoch=0,
                         n_epochs=epochs or int(getattr(self.model, "pretrain_epochs", 0)),
                         phase="pretrain" if kind == "fit" else "refine")
        self._thread = threading.Thread(target=self._work, args=(kind, epochs),
                                        name=f"nudgecluster-{kind}", daemon=True)
        self._thread.start()

    def _work(self, kind: str, epochs: int | None) -> None:
        model = self.model
        try:
            if kind == "fit":
                model.fit(self.table.features, callback=self._on_progress)
            else:
                total = epochs or 0
                self._offset = 0
                while self._offset < total and not self._user_stop:
                    self._segment_epochs = 0
                    x = self.table.features if self._needs_data else None
                    model.refine(total - self._offset, X=x, callback=self._on_progress)
                    self._needs_data = False
                    self._offset += self._segment_epochs
                    if self._offset >= total or not self._hold_if_paused():
                        break
            with self.lock:
                self._publish_model_state(status="idle", final=True, **self._last_numbers)
        except Exception as err:  # noqa: BLE001 - shown in the widget, re-raised by wait()
            self._error = err
            detail = "".join(traceback.format_exception_only(type(err), err)).strip()
            try:
                with self.lock:
                    if _is_fitted(model):
                        self._publish_model_state(status="error", final=True,
                                                  **self._last_numbers)
            except Exception:  # noqa: BLE001 - the original error is the one to report
                pass
            self._set_status("error", message=f"Training stopped with an error: {detail}")
        finally:
            with self._cond:
                self._worker_state = "done"
                self._cond.notify_all()

    def _hold_if_paused(self) -> bool:
        """Between two refine segments: wait while a cluster edit is applied. False: finish."""
        with self._cond:
            if self._pause_requests == 0 or self._user_stop:
                return False
            self._worker_state = "paused"
            self._cond.notify_all()
            while self._pause_requests > 0:
                self._cond.wait()
            self._worker_state = "running"
        return not self._user_stop

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Run a block with the model at rest: a running training is paused at an epoch boundary."""
        thread = self._thread
        if thread is None or not thread.is_alive() or threading.current_thread() is thread:
            with self.lock:
                yield
            return
        if self._status == "fitting":
            raise RuntimeError("wait until the first fit has finished")
        with self._cond:
            self._pause_requests += 1
        try:
            while True:
                with self._cond:
                    if self._worker_state in ("paused", "done"):
                        break
                    self._cond.wait(0.02)
                self.model.stop()  # again: a refine that just started cleared the last one
            with self.lock:
                yield
        finally:
            with self._cond:
                self._pause_requests -= 1
                self._cond.notify_all()

    def _on_progress(self, progress) -> None:
        """Called by the estimator in the training thread after every epoch."""
        if self._user_stop or self._pause_requests:
            self.model.stop()
        offset = 0
        if progress.phase == "refine":
            self._segment_epochs = progress.epoch
            offset = self._offset  # after a cluster edit the estimator counts from 1 again
        numbers = dict(
            phase=progress.phase, epoch=int(progress.epoch) + offset,
            n_epochs=int(progress.n_epochs) + offset, loss=float(progress.loss),
            delta_label=float(progress.delta_label) if progress.delta_label is not None else 0.0,
        )
        self._last_numbers = dict(numbers)
        if not self.throttle.ready():
            return  # this epoch's picture is skipped; a later one, or the end of the run, shows
        self.throttle.mark()
        with self.lock:
            # Decided under the lock that stop() publishes under: a frame never says "training"
            # after the widget said "stopping".
            numbers["status"] = self._status = "stopping" if self._user_stop else (
                "fitting" if progress.phase != "refine" else "training")
            if progress.embedding is None:
                self.publish(**numbers)
                return
            frame = self._frame(progress.embedding, progress.labels, progress.confidence,
                                int(self.model.n_clusters_))
            self.publish(**frame, **numbers)

    # ------------------------------------------------------------------ frames
    def _frame(self, embedding, labels, confidence, n_clusters: int,
               final: bool = False) -> dict[str, Any]:
        """Display state for one moment of training: picture, labels, confidence, sizes.

        A slow projection (t-SNE, UMAP) is recomputed only at the end of a run (`final`).
        """
        labels = np.asarray(labels)
        confidence = np.asarray(confidence, dtype=np.float32)
        projected_from = self._shown.get("projected_from")
        if embedding is projected_from:
            points = self._shown["points"]  # the same latent array: the same picture
        elif self.projector.is_live or final or "points" not in self._shown:
            points = self.projector(self.on_show(embedding))
            projected_from = embedding
        else:
            points = self._shown["points"]
        wire_labels = labels.astype(label_dtype(n_clusters), copy=False)
        sizes = np.bincount(labels, minlength=n_clusters)[:n_clusters]  # of all rows
        frame = {
            "points": points,
            "labels": self.on_show(wire_labels),
            "confidence": self.on_show(confidence),
            "n_clusters": int(n_clusters),
            "cluster_sizes": sizes.tolist(),
        }
        self._shown = dict(frame, projected_from=projected_from, all_labels=wire_labels,
                           all_confidence=confidence)
        if self.active_cluster >= n_clusters:
            self.active_cluster = n_clusters - 1
            frame["active_cluster"] = self.active_cluster
        return frame

    def _publish_model_state(self, status: str | None = None, final: bool = False,
                             **extra) -> None:
        """Publish the model as it is now (after a fit, a run, a cluster edit). Hold the lock."""
        model = self.model
        labels, confidence = assign(model.embedding_, model.cluster_centers_, model.alpha)
        k = int(model.n_clusters_)
        frame = self._frame(model.embedding_, labels, confidence, k, final=final)
        state = {**frame, **self._feedback_state(), **extra}
        if status is not None:
            state["status"] = status
            self._status = status
        self.publish(**state)

    def _feedback_state(self) -> dict[str, Any]:
        store = self.model.feedback
        items = [{"id": int(c.id), "kind": c.kind, "label": c.describe()} for c in store.items]
        return {
            "feedback_items": items,
            "feedback_points": self.shown_positions(store.marked_points()).astype(np.uint32),
            "can_undo": bool(store.can_undo),
            "can_redo": bool(store.can_redo),
            "pending_group": 0 if self.pending_group is None else int(len(self.pending_group)),
        }

    def _set_status(self, status: str, **extra) -> None:
        self._status = status
        self.publish(status=status, **extra)

    @property
    def labels(self) -> np.ndarray:
        """The cluster of every data row, as last shown (empty before the first clustering)."""
        return self._shown.get("all_labels", np.zeros(0, dtype=np.uint8))

    @property
    def confidence(self) -> np.ndarray:
        """max_j q_ij of every data row, as last shown."""
        return self._shown.get("all_confidence", np.zeros(0, dtype=np.float32))

    @property
    def points(self) -> np.ndarray:
        """The picture's 2-D position of each point on show."""
        return self._shown.get("points", np.zeros((0, 2), dtype=np.float32))

    @property
    def n_shown(self) -> int:
        return self.table.n if self.rows is None else len(self.rows)

    def selected_rows(self) -> np.ndarray:
        """The data rows of the selection (positions among the points on show)."""
        return self.selection if self.rows is None else self.rows[self.selection]

    def on_show(self, per_row: np.ndarray) -> np.ndarray:
        """The entries of a per-row array for the rows on show."""
        return per_row if self.rows is None else per_row[self.rows]

    def shown_positions(self, data_rows: np.ndarray) -> np.ndarray:
        """Positions among the points on show of those of `data_rows` that are on show."""
        if self.rows is None:
            return data_rows
        where = np.searchsorted(self.rows, data_rows)
        hit = where < len(self.rows)
        hit[hit] = self.rows[where[hit]] == data_rows[hit]
        return where[hit]

    def tooltip(self, position: int) -> tuple[dict[str, Any], list[bytes]]:
        """The tooltip of the point drawn at `position`."""
        if not 0 <= position < self.n_shown:
            raise IndexError(f"point {position} is out of range (0..{self.n_shown - 1})")
        row = position if self.rows is None else int(self.rows[position])
        content, buffers = self.table.tooltip(row)
        return dict(content, index=position, row=row), buffers

    def color_encoding(self, name: str) -> tuple[np.ndarray, list[str]]:
        values, categories = self.table.color_encoding(name)
        return self.on_show(values), categories

    # ------------------------------------------------------------------ feedback actions
    def _indices(self, indices, what: str = "points") -> np.ndarray:
        """Data rows: `indices` or, when None, the current selection; refuses an empty choice."""
        chosen = self.selected_rows() if indices is None else indices
        arr = np.asarray(chosen)
        if arr.dtype == bool:
            if arr.shape != (self.table.n,):
                raise IndexError(f"a boolean mask must have one entry per row ({self.table.n})")
            arr = np.flatnonzero(arr)
        arr = np.ravel(arr)
        if arr.size == 0:
            raise ValueError(f"no {what} given: select some points first")
        if not np.issubdtype(arr.dtype, np.integer):
            if np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
                arr = arr.astype(np.int64)
            else:
                raise IndexError(f"point indices must be integers, got {arr.dtype}")
        bad = arr[(arr < 0) | (arr >= self.table.n)]
        if bad.size:
            raise IndexError(f"point index {int(bad[0])} is out of range: the data has "
                             f"{self.table.n} rows (valid indices 0..{self.table.n - 1})")
        return np.unique(arr.astype(np.int64))

    def _require_fitted(self) -> None:
        if not _is_fitted(self.model):
            raise RuntimeError("the model is still fitting: feedback can be given once the "
                               "first clustering is shown (wait() for it)")

    def _after_feedback(self, structural: bool = False, **extra) -> None:
        if structural:
            self._publish_model_state(message="", **extra)
        else:
            self.publish(message="", **self._feedback_state(), **extra)

    def include(self, indices=None, cluster: int | None = None):
        self._require_fitted()
        cluster = self.active_cluster if cluster is None else cluster
        idx = self._indices(indices)
        with self.lock:
            record = self.model.feedback.include(idx, cluster=cluster)
            self._after_feedback()
        return record

    def exclude(self, indices=None, cluster: int | None = None):
        """Not in `cluster`; with cluster None, each point is not in the cluster it is in now."""
        self._require_fitted()
        idx = self._indices(indices)
        store = self.model.feedback
        with self.lock:
            if cluster is not None:
                records = [store.exclude(idx, cluster=cluster)]
            else:
                labels = self._current_labels()
                records = []
                try:
                    for c in np.unique(labels[idx]):
                        records.append(store.exclude(idx[labels[idx] == c], cluster=int(c)))
                except Exception:
                    for _ in records:  # all or nothing
                        store.undo()
                    raise
            self._after_feedback()
        return records[0] if len(records) == 1 else records

    def must_link(self, a=None, b=None):
        self._require_fitted()
        group = self._indices(a) if b is None else np.concatenate(
            [self._indices(a), self._indices(b)])
        with self.lock:
            record = self.model.feedback.must_link(group)
            self._after_feedback()
        return record

    def cannot_link(self, a=None, b=None):
        """Keep `a` apart from `b`. From the selection: two points at once, or a group in two steps."""
        self._require_fitted()
        with self.lock:
            if a is not None and b is not None:
                left, right = self._indices(a), self._indices(b)
            elif a is not None:
                pair = self._indices(a)
                if len(pair) != 2:
                    raise ValueError("cannot_link(a) needs exactly two points; for groups give "
                                     "both sides: cannot_link(a, b)")
                left, right = pair[:1], pair[1:]
            else:
                chosen = self._indices(None)
                if self.pending_group is not None:
                    if np.array_equal(chosen, self.pending_group):
                        self.pending_group = None  # pressed twice on the same group: cancel
                        self.publish(pending_group=0, message="")
                        return None
                    left, right = self.pending_group, chosen
                elif len(chosen) == 2:
                    left, right = chosen[:1], chosen[1:]
                else:
                    self.pending_group = chosen
                    self.publish(pending_group=int(len(chosen)), message="")
                    return None
            record = self.model.feedback.cannot_link(left, right)
            self.pending_group = None
            self._after_feedback()
        return record

    def new_cluster(self, indices=None):
        self._require_fitted()
        idx = self._indices(indices)
        with self.exclusive():
            record = self.model.new_cluster(idx)
            self.active_cluster = int(self.model.n_clusters_) - 1
            self._after_feedback(structural=True, active_cluster=self.active_cluster)
        return record

    def merge(self, a: int, b: int):
        self._require_fitted()
        a, b = _cluster_index(a, "a"), _cluster_index(b, "b")
        with self.exclusive():
            record = self.model.merge_clusters(a, b)
            if self.active_cluster == b:
                self.active_cluster = a
            if self.active_cluster > b:
                self.active_cluster -= 1
            self._after_feedback(structural=True, active_cluster=self.active_cluster)
        return record

    def split(self, cluster: int | None = None, indices=None):
        self._require_fitted()
        cluster = self.active_cluster if cluster is None else _cluster_index(cluster, "cluster")
        idx = None
        if indices is not None or len(self.selection):
            idx = self._indices(indices)
        with self.exclusive():
            record = self.model.split_cluster(cluster, idx)
            self._after_feedback(structural=True)
        return record

    def undo(self) -> None:
        self._require_fitted()
        with self.exclusive():
            self.model.feedback.undo()
            self._after_feedback(structural=True)

    def redo(self) -> None:
        self._require_fitted()
        with self.exclusive():
            self.model.feedback.redo()
            self._after_feedback(structural=True)

    def remove_feedback(self, constraint_id: int):
        self._require_fitted()
        with self.lock:
            record = self.model.feedback.remove(int(constraint_id))
            self._after_feedback()
        return record

    def _current_labels(self) -> np.ndarray:
        labels = self.labels
        return labels if len(labels) == self.table.n else np.asarray(self.model.labels_)

    # ------------------------------------------------------------------ messages from the browser
    def handle_action(self, msg: Mapping[str, Any]) -> None:
        """One toolbar action. Failures become the widget's message, never an exception here."""
        action = msg.get("action")
        try:
            if action == "include":
                self.include(None, cluster=_opt_int(msg.get("cluster")))
            elif action == "exclude":
                self.exclude(None, cluster=_opt_int(msg.get("cluster")))
            elif action == "must_link":
                self.must_link()
            elif action == "cannot_link":
                self.cannot_link()
            elif action == "new_cluster":
                self.new_cluster()
            elif action == "merge":
                a = _opt_int(msg.get("cluster"))
                b = _opt_int(msg.get("other"))
                if a is None:
                    a = self.active_cluster
                if b is None:
                    b = self._merge_partner(a)
                self.merge(a, b)
            elif action == "split":
                self.split(_opt_int(msg.get("cluster")))
            elif action == "undo":
                self.undo()
            elif action == "redo":
                self.redo()
            elif action == "refine":
                epochs = _opt_int(msg.get("epochs"))
                self.refine(epochs)
            elif action == "stop":
                self.stop()
            elif action == "remove_feedback":
                self.remove_feedback(_opt_int(msg.get("id")))
            else:
                raise ValueError(f"unknown action {action!r}")
        except Exception as err:  # noqa: BLE001 - every failure is shown to the person
            self.publish(message=readable(err))

    def _merge_partner(self, a: int) -> int:
        labels = self._current_labels()
        if not len(self.selection):
            raise ValueError(f"select points of the cluster to merge into cluster {a}")
        chosen = labels[self.selected_rows()]
        chosen = chosen[chosen != a]
        if not len(chosen):
            raise ValueError(f"the selection is all in cluster {a}: select points of the "
                             f"cluster to merge into it")
        return int(np.bincount(chosen).argmax())


def readable(err: BaseException) -> str:
    """An exception as one sentence for the widget (KeyError's repr quotes are dropped)."""
    text = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
    text = str(text).strip() or type(err).__name__
    return text[0].upper() + text[1:]


def _opt_int(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    raise ValueError(f"expected a whole number, got {value!r}")


def _cluster_index(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise IndexError(f"{name} must be a cluster number, got {value!r}")
    return int(value)


def _is_fitted(model) -> bool:
    try:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(model)
        return True
    except Exception:  # noqa: BLE001 - NotFittedError or a model without the protocol
        return False


def shown_rows(n: int, max_points: int | None, random_state: int | None) -> np.ndarray | None:
    """A uniform sample of `max_points` of `n` rows (sorted), or None to show them all."""
    if max_points is None:
        return None
    if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) \
            or max_points < 1:
        raise ValueError(f"max_points must be a positive integer or None, got {max_points!r}")
    if n <= max_points:
        return None
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=int(max_points), replace=False))


def selection_from(values: Sequence[int] | np.ndarray, n: int) -> np.ndarray:
    """Sorted unique uint32 indices, each in 0..n-1 (IndexError otherwise)."""
    arr = np.asarray(values)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise IndexError(f"a boolean mask must have one entry per row ({n})")
        arr = np.flatnonzero(arr)
    arr = np.ravel(arr)
    if arr.size == 0:
        return np.zeros(0, dtype=np.uint32)
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        else:
            raise IndexError(f"selection must hold integer indices, got {arr.dtype}")
    if arr.min() < 0 or arr.max() >= n:
        bad = arr[(arr < 0) | (arr >= n)][0]
        raise IndexError(f"selection index {int(bad)} is out of range: the data has {n} rows")
    return np.unique(arr).astype(np.uint32)
