"""ClusterWidget: see the latent space, select points, correct the clustering, refine - live.

This class holds traits and wires them to `_session.Session`, where the behaviour lives. Arrays
travel to the browser as binary buffers (see `_serialize`); the front end is `js/`, bundled into
`static/widget.js` by `npm run build` (run by `pip install`).
"""

from __future__ import annotations

import pathlib
import threading
from typing import Any

import anywidget
import numpy as np
import traitlets

from ._serialize import NDArray, array_serialization
from ._session import DataTable, Session, readable, selection_from

_STATIC = pathlib.Path(__file__).parent / "static"
_MISSING_BUNDLE = """
export default { render({ el }) {
  el.textContent = "nudgecluster's front end is not built: run `npm install && npm run build` " +
    "in js/ (pip install does this), then restart the kernel.";
} };
"""

_binary = {**array_serialization}


class ClusterWidget(anywidget.AnyWidget):
    """An interactive view of a DEC clustering that takes feedback and refines live.

    Parameters
    ----------
    data : array-like (n, d) or DataFrame
        The rows to cluster (raw features or precomputed embeddings). For a DataFrame, the numeric
        columns are the features unless `features` names them; other columns show in tooltips and
        can colour the points.
    n_clusters : int, default=3
        Clusters for a new model (ignored when `model` is given).
    text : str or sequence of str, optional
        A column name (DataFrame) or one text per row, shown in the tooltip.
    color_by : str, optional
        "cluster" (default), "confidence" or a column name.
    features : list of str, optional
        The DataFrame columns the model trains on.
    model : DEC, optional
        A fitted model (shown at once) or an unfitted one (fitted in the background).
    columns : dict or DataFrame, optional
        More per-row values for tooltips and colouring (e.g. ``{"true class": y}``).
    images : array (n, h, w), optional
        Grayscale images shown as thumbnails in the tooltip (e.g. sklearn digits).
    epochs : int, optional
        Epochs per run: the value of the epochs box, and a new model's `epochs` (default: the
        model's `epochs`).
    projection : {"pca", "tsne", "umap"}, default="pca"
        How the latent space is drawn in 2-D. PCA is live; t-SNE and UMAP are recomputed when a
        run ends.
    height : int, default=520
        Height in pixels (the widget can be resized by dragging its lower edge).
    max_points : int, optional
        Draw at most this many points: a uniform random sample of the rows (seeded by the
        model's `random_state`) when the data has more. The model trains on every row, cluster
        sizes count every row, and indices given from Python are rows of the data; `selection`
        holds positions among the points on show, and `selected_rows` the data rows they are.
    **model_params
        Parameters for a new DEC (e.g. ``random_state=0, pretrain_epochs=50``).
    """

    _esm = _STATIC / "widget.js" if (_STATIC / "widget.js").exists() else _MISSING_BUNDLE
    _css = _STATIC / "widget.css" if (_STATIC / "widget.css").exists() else ""

    # -- Python -> browser: the picture
    points = NDArray("float32", (2,)).tag(sync=True, **_binary)
    labels = NDArray(("uint8", "uint16")).tag(sync=True, **_binary)
    confidence = NDArray("float32").tag(sync=True, **_binary)
    color_by = traitlets.Unicode("cluster").tag(sync=True)
    color_options = traitlets.List(traitlets.Unicode(), ["cluster", "confidence"]).tag(sync=True)
    color_values = NDArray(("float32", "uint16")).tag(sync=True, **_binary)
    color_categories = traitlets.List(traitlets.Unicode(), []).tag(sync=True)
    n_clusters = traitlets.Int(0).tag(sync=True)
    cluster_sizes = traitlets.List(traitlets.Int(), []).tag(sync=True)
    # -- both ways
    selection = NDArray("uint32").tag(sync=True, **_binary)
    active_cluster = traitlets.Int(0).tag(sync=True)
    epochs = traitlets.Int(100).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(520).tag(sync=True)
    # -- feedback
    feedback_points = NDArray("uint32").tag(sync=True, **_binary)
    feedback_items = traitlets.List(traitlets.Dict(), []).tag(sync=True)
    can_undo = traitlets.Bool(False).tag(sync=True)
    can_redo = traitlets.Bool(False).tag(sync=True)
    pending_group = traitlets.Int(0).tag(sync=True)
    # -- training progress
    status = traitlets.Unicode("idle").tag(sync=True)
    phase = traitlets.Unicode("").tag(sync=True)
    epoch = traitlets.Int(0).tag(sync=True)
    n_epochs = traitlets.Int(0).tag(sync=True)
    loss = traitlets.Float(0.0).tag(sync=True)
    delta_label = traitlets.Float(0.0).tag(sync=True)
    # -- look
    point_size = traitlets.Float(0.0).tag(sync=True)  # 0: chosen from the number of points
    transition_ms = traitlets.Int(300).tag(sync=True)

    def __init__(
        self,
        data,
        n_clusters: int = 3,
        *,
        text=None,
        color_by: str | None = None,
        features=None,
        model=None,
        columns=None,
        images=None,
        epochs: int | None = None,
        projection: str = "pca",
        height: int = 520,
        point_size: float = 0.0,
        transition_ms: int = 300,
        max_updates_per_second: float = 10.0,
        max_points: int | None = None,
        **model_params: Any,
    ):
        table = DataTable.from_inputs(data, features=features, text=text, columns=columns,
                                      images=images)
        if model is None:
            from .dec import DEC

            if epochs is not None:  # one number: epochs per run, for the fit and the Refine box
                model_params.setdefault("epochs", epochs)
            model = DEC(n_clusters=n_clusters, **model_params)
        elif model_params:
            raise ValueError(f"model parameters {sorted(model_params)} were given with a model: "
                             f"set them on the model instead")
        self._publish_lock = threading.RLock()
        self._session = Session(model, table, self._publish, projection=projection,
                                max_updates_per_second=max_updates_per_second,
                                random_state=_int_or_none(getattr(model, "random_state", None)),
                                max_points=max_points)
        super().__init__(
            height=int(height), point_size=float(point_size), transition_ms=int(transition_ms),
            epochs=int(epochs if epochs is not None else getattr(model, "epochs", 100) or 100),
            color_options=table.color_options(),
        )
        try:
            self.color_by = color_by or "cluster"
            self.on_msg(self._on_message)
            self._session.start()
        except Exception:
            self.close()  # no half-made widget left open towards the front end
            raise

    # ================================================================== public API
    @property
    def model(self):
        """The DEC behind the widget."""
        return self._session.model

    @property
    def shown_rows(self) -> np.ndarray:
        """The data rows drawn, in drawing order (all of them unless `max_points` sampled)."""
        rows = self._session.rows
        return np.arange(self._session.table.n) if rows is None else rows.copy()

    @property
    def selected_rows(self) -> np.ndarray:
        """The data rows of the selection (the same as `selection` when every row is drawn)."""
        return np.asarray(self._session.selected_rows(), dtype=np.int64)

    def include(self, indices=None, cluster: int | None = None):
        """The points (default: the selection) belong in `cluster` (default: the picked one)."""
        return self._api(self._session.include, indices, cluster)

    def exclude(self, indices=None, cluster: int | None = None):
        """The points do not belong in `cluster` (default: each in the cluster it is in now)."""
        return self._api(self._session.exclude, indices, cluster)

    def must_link(self, a=None, b=None):
        """These points go together (default: the selection)."""
        return self._api(self._session.must_link, a, b)

    def cannot_link(self, a=None, b=None):
        """Keep `a` apart from `b`. From the selection: two points, or a group in two steps."""
        return self._api(self._session.cannot_link, a, b)

    def merge(self, a: int, b: int):
        """Fold cluster `b` into cluster `a`."""
        return self._api(self._session.merge, a, b)

    def new_cluster(self, indices=None):
        """Start a new cluster from the points (default: the selection)."""
        return self._api(self._session.new_cluster, indices)

    def split(self, cluster: int, indices=None):
        """Split `cluster`: the points (default: the selection, else 2-means) start the new part."""
        return self._api(self._session.split, cluster, indices)

    def undo(self) -> None:
        return self._api(self._session.undo)

    def redo(self) -> None:
        return self._api(self._session.redo)

    def remove_feedback(self, constraint_id: int):
        return self._api(self._session.remove_feedback, constraint_id)

    def refine(self, epochs: int | None = None) -> None:
        """Train on under the feedback given, in the background; returns at once."""
        return self._api(self._session.refine, self.epochs if epochs is None else epochs)

    def stop(self) -> None:
        """End the training at the next batch boundary."""
        self._session.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for fitting or refining to end (True), or for `timeout` seconds (False)."""
        return self._session.wait(timeout)

    def to_pandas(self):
        """The data with the current cluster `label`, its `confidence` and the picture's `x`, `y`
        (NaN for rows not drawn when `max_points` sampled them)."""
        session = self._session
        frame = session.table.to_pandas()
        labels = session.labels
        if len(labels) != len(frame):
            raise RuntimeError("the model is still fitting: call wait() first")
        xy = np.full((len(frame), 2), np.nan, dtype=np.float32)
        xy[self.shown_rows] = session.points
        values = {"label": labels.astype(np.int64), "confidence": session.confidence,
                  "x": xy[:, 0], "y": xy[:, 1]}
        for name, value in values.items():
            column = name
            while column in frame.columns:
                column += "_"
            frame[column] = value
        return frame

    # ================================================================== wiring
    def _api(self, method, *args):
        """Run an action from Python: the error is raised here and also shown in the widget."""
        try:
            return method(*args)
        except Exception as err:
            self._publish(message=readable(err))
            raise

    def _get_embed_state(self, drop_defaults=False):
        # A static HTML export must carry _esm, _css and _view_name even though they equal the
        # class defaults, or the page has no front end to load (ipywidgets drops defaults).
        return super()._get_embed_state(drop_defaults=False)

    def _publish(self, **traits) -> None:
        """Set traits from any thread, as one message to the browser."""
        with self._publish_lock, self.hold_sync():
            for name, value in traits.items():
                setattr(self, name, value)

    def _on_message(self, _widget, content, buffers) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "action":
            self._session.handle_action(content)
        elif kind == "tooltip":
            try:
                reply, reply_buffers = self._session.tooltip(int(content.get("index", -1)))
            except (IndexError, TypeError, ValueError):
                return
            self.send(reply, reply_buffers)

    @traitlets.validate("selection")
    def _check_selection(self, proposal):
        return selection_from(proposal["value"], self._session.n_shown)

    @traitlets.observe("selection")
    def _selection_changed(self, change) -> None:
        self._session.selection = change["new"]

    @traitlets.validate("active_cluster")
    def _check_active_cluster(self, proposal):
        value = proposal["value"]
        k = self.n_clusters
        if k and not 0 <= value < k:
            raise IndexError(f"active_cluster {value} is out of range: there are {k} clusters")
        return value

    @traitlets.observe("active_cluster")
    def _active_cluster_changed(self, change) -> None:
        self._session.active_cluster = int(change["new"])

    @traitlets.validate("epochs")
    def _check_epochs(self, proposal):
        if proposal["value"] < 1:
            raise ValueError(f"epochs must be at least 1, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("color_by")
    def _check_color_by(self, proposal):
        name = proposal["value"]
        if name not in self.color_options:
            raise ValueError(f"cannot colour by {name!r}: choose one of {list(self.color_options)}")
        return name

    @traitlets.observe("color_by")
    def _color_by_changed(self, change) -> None:
        values, categories = self._session.color_encoding(change["new"])
        self._publish(color_values=values, color_categories=categories)

    @traitlets.validate("height")
    def _check_height(self, proposal):
        return max(200, int(proposal["value"]))


def _int_or_none(value):
    return int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else 0
