"""ClusterWidget without a browser: traits, actions, background training, the wire format."""

from __future__ import annotations

import copy
import json
import threading
import time

import numpy as np
import pandas as pd
import pytest
from ipywidgets.widgets.widget import _remove_buffers
from sklearn.datasets import make_blobs

import nudgecluster as nc
from nudgecluster._serialize import NDArray, array_from_json, array_to_json
from nudgecluster._session import UpdateThrottle

pytestmark = pytest.mark.timeout(120)

ARRAY_TRAITS = ("points", "labels", "confidence", "selection", "feedback_points", "color_values")


class RecordingComm:
    """Stands in for the kernel comm: keeps what the widget would send to the browser."""

    kernel = object()
    comm_id = "test"

    def __init__(self):
        self.sent: list[tuple[dict, list]] = []
        self._lock = threading.Lock()

    def send(self, data=None, metadata=None, buffers=None):
        with self._lock:
            self.sent.append((data, list(buffers or [])))

    def updates(self, key):
        with self._lock:
            return [d for d, _ in self.sent if d.get("method") == "update" and key in d["state"]]

    def custom(self):
        with self._lock:
            return [(d["content"], b) for d, b in self.sent if d.get("method") == "custom"]

    def close(self, *args, **kwargs):
        pass

    def on_msg(self, *args, **kwargs):
        pass

    def on_close(self, *args, **kwargs):
        pass


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(200, centers=3, n_features=4, cluster_std=1.0, random_state=0)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def fitted(blobs):
    X, _ = blobs
    return nc.DEC(3, random_state=0, pretrain_epochs=10, epochs=10, batch_size=64).fit(X)


@pytest.fixture
def widget(blobs, fitted):
    X, y = blobs
    w = nc.ClusterWidget(X, model=copy.deepcopy(fitted), columns={"true class": y},
                         max_updates_per_second=10)
    w.comm = RecordingComm()
    yield w
    w.stop()
    w.wait(30)


def wait_for(condition, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return False


# ============================================================================ wire format


def test_serialised_state_is_binary_not_json_lists(widget):
    state, buffer_paths, buffers = _remove_buffers(widget.get_state())
    paths = {tuple(p) for p in buffer_paths}
    for name in ("points", "labels", "confidence"):
        assert (name, "buffer") in paths
    assert state["points"]["dtype"] == "float32" and state["points"]["shape"] == [200, 2]
    assert state["labels"]["dtype"] == "uint8"
    data_state = {k: v for k, v in state.items() if k not in ("_esm", "_css")}
    text = json.dumps(data_state)  # what goes as JSON: small, no per-point numbers
    assert len(text) < 4000
    for name in ARRAY_TRAITS:
        assert not isinstance(state.get(name), list)
    total = sum(len(memoryview(b).cast("B")) for b in buffers)
    assert total >= 200 * 2 * 4 + 200 + 200 * 4


def test_array_serialiser_roundtrip_and_refusals():
    a = np.arange(6, dtype=np.float32).reshape(3, 2)
    wire = array_to_json(a)
    assert isinstance(wire["buffer"], memoryview) and wire["shape"] == [3, 2]
    back = array_from_json({**wire, "buffer": bytes(wire["buffer"])})
    assert back.dtype == np.float32 and np.array_equal(back, a)
    assert array_to_json(np.zeros((0, 2), np.float32))["buffer"] == b""
    with pytest.raises(TypeError):
        array_to_json(np.array(["a"], dtype=object))
    with pytest.raises(ValueError, match="dtype"):
        array_from_json({"dtype": "complex128", "shape": [1], "buffer": b"\0" * 16})
    with pytest.raises(ValueError, match="shape"):
        array_from_json({"dtype": "uint32", "shape": [3], "buffer": b"\0" * 8})


def test_array_trait_coerces_and_refuses_values_that_do_not_fit():
    import traitlets

    class Holder(traitlets.HasTraits):
        idx = NDArray("uint32")
        xy = NDArray("float32", (2,))

    h = Holder()
    h.idx = [3, 1]
    assert h.idx.dtype == np.uint32 and not h.idx.flags.writeable
    with pytest.raises(traitlets.TraitError):
        h.idx = [-1]
    with pytest.raises(traitlets.TraitError):
        h.idx = [0.5]
    with pytest.raises(traitlets.TraitError):
        h.xy = np.zeros((4, 3))
    mine = np.zeros((2, 2), dtype=np.float32)
    h.xy = mine
    assert mine.flags.writeable  # the caller's array is not frozen, only the trait's view


# ============================================================================ selection


def test_selection_from_the_browser_arrives_as_sorted_uint32(widget):
    wire = {"dtype": "uint32", "shape": [3], "buffer": memoryview(np.array([9, 4, 1], np.uint32))}
    widget.set_state({"selection": wire})
    assert widget.selection.dtype == np.uint32
    assert widget.selection.tolist() == [1, 4, 9]
    record = widget.include(cluster=2)  # the toolbar path: actions read the synced selection
    assert record.indices == (1, 4, 9)


def test_selection_from_python_goes_to_the_browser_as_bytes(widget):
    widget.comm.sent.clear()
    widget.selection = [12, 3, 3]
    (update,) = widget.comm.updates("selection")
    assert update["state"]["selection"]["dtype"] == "uint32"
    assert ["selection", "buffer"] in update["buffer_paths"]
    assert widget.selection.tolist() == [3, 12]


def test_bad_selection_raises_and_keeps_the_old_one(widget):
    widget.selection = [1, 2]
    with pytest.raises(IndexError, match="out of range"):
        widget.selection = [5, 200]
    assert widget.selection.tolist() == [1, 2]


# ============================================================================ actions


def test_each_action_records_the_right_constraint(widget):
    fb = widget.model.feedback
    widget.include([1, 2], cluster=1)
    assert (fb.items[-1].kind, fb.items[-1].indices, fb.items[-1].cluster) == ("include", (1, 2), 1)

    widget.exclude([5], cluster=0)
    assert (fb.items[-1].kind, fb.items[-1].cluster) == ("exclude", 0)

    widget.must_link([7, 8, 9])
    assert (fb.items[-1].kind, fb.items[-1].indices) == ("must_link", (7, 8, 9))

    widget.cannot_link([10, 11])
    assert (fb.items[-1].kind, fb.items[-1].indices, fb.items[-1].others) == (
        "cannot_link", (10,), (11,))

    assert [item["kind"] for item in widget.feedback_items] == [
        "include", "exclude", "must_link", "cannot_link"]
    assert set(widget.feedback_points.tolist()) == {1, 2, 5, 7, 8, 9, 10, 11}
    assert widget.can_undo and not widget.can_redo

    widget.undo()
    assert len(fb.items) == 3 and widget.can_redo
    widget.redo()
    assert fb.items[-1].kind == "cannot_link"

    removed = widget.remove_feedback(fb.items[0].id)
    assert removed.kind == "include" and len(widget.feedback_items) == 3


def test_not_in_cluster_from_the_selection_uses_each_points_current_cluster(widget):
    labels = widget.labels
    a = int(np.flatnonzero(labels == 0)[0])
    b = int(np.flatnonzero(labels == 1)[0])
    widget.selection = [a, b]
    widget.exclude()
    told = {(c.indices, c.cluster) for c in widget.model.feedback.items}
    assert told == {((a,), 0), ((b,), 1)}


def test_separate_a_group_takes_two_steps(widget):
    widget.selection = [1, 2, 3]
    assert widget.cannot_link() is None
    assert widget.pending_group == 3
    widget.selection = [20, 21]
    record = widget.cannot_link()
    assert (record.indices, record.others) == ((1, 2, 3), (20, 21))
    assert widget.pending_group == 0


def test_cluster_edits_change_the_number_of_clusters(widget):
    k = widget.n_clusters
    widget.selection = [0, 1, 2]
    widget.new_cluster()
    assert widget.n_clusters == k + 1 == widget.model.n_clusters_
    assert widget.active_cluster == k
    assert len(widget.cluster_sizes) == k + 1
    widget.merge(0, k)
    assert widget.n_clusters == k
    assert widget.labels.max() < k
    widget.undo()
    assert widget.n_clusters == k + 1


def test_bad_feedback_raises_and_shows_a_message_without_changing_state(widget):
    before = widget.model.feedback.items
    with pytest.raises(IndexError, match="out of range"):
        widget.include([1], cluster=99)
    assert "out of range" in widget.message
    with pytest.raises(IndexError):
        widget.include([500], cluster=0)
    with pytest.raises(ValueError, match="select"):
        widget.selection = []
        widget.include(cluster=0)
    widget.include([3], cluster=0)
    with pytest.raises(ValueError, match="contradicts"):
        widget.include([3], cluster=1)
    assert widget.model.feedback.items == (*before, widget.model.feedback.items[-1])
    assert "contradicts" in widget.message.lower()


def test_toolbar_messages_act_and_failures_become_the_message(widget):
    widget.selection = [4, 6]
    widget._on_message(widget, {"type": "action", "action": "include", "cluster": 1}, [])
    assert widget.model.feedback.items[-1].indices == (4, 6)
    assert widget.message == ""
    widget._on_message(widget, {"type": "action", "action": "include", "cluster": 7}, [])
    assert "out of range" in widget.message  # no exception escapes into the kernel
    widget._on_message(widget, {"type": "action", "action": "undo"}, [])
    assert widget.model.feedback.items == ()
    widget._on_message(widget, {"type": "action", "action": "undo"}, [])
    assert "nothing to undo" in widget.message.lower()
    widget._on_message(widget, {"type": "action", "action": "fly"}, [])
    assert "unknown action" in widget.message.lower()


def test_merge_from_the_toolbar_takes_the_cluster_most_selected_points_are_in(widget):
    labels = widget.labels
    widget.active_cluster = 0
    widget.selection = np.flatnonzero(labels == 2)[:5]
    widget._on_message(widget, {"type": "action", "action": "merge", "cluster": 0}, [])
    assert widget.message == ""
    record = widget.model.feedback.items[-1]
    assert (record.kind, record.cluster, record.source_clusters) == ("merge", 0, (0, 2))
    assert widget.n_clusters == 2


def test_split_from_the_toolbar_is_seeded_by_the_selection_or_by_2_means(widget):
    members = np.flatnonzero(widget.labels == 1)
    widget.selection = members[:10]
    widget._on_message(widget, {"type": "action", "action": "split", "cluster": 1}, [])
    assert widget.message == ""
    record = widget.model.feedback.items[-1]
    assert (record.kind, record.cluster, record.other_cluster) == ("split", 1, 3)
    assert sorted(record.indices) == sorted(members[:10].tolist())
    assert widget.n_clusters == 4 and len(widget.cluster_sizes) == 4
    widget.selection = []
    widget._on_message(widget, {"type": "action", "action": "split", "cluster": 0}, [])
    assert widget.message == "" and widget.n_clusters == 5  # 2-means inside cluster 0
    widget._on_message(widget, {"type": "action", "action": "undo"}, [])
    assert widget.n_clusters == 4


# ============================================================================ training


def test_refine_returns_at_once_and_streams_frames(widget):
    points_before = widget.points.copy()
    widget.comm.sent.clear()
    start = time.monotonic()
    widget.refine(40)
    assert time.monotonic() - start < 0.5
    assert widget.status == "training"
    assert widget.wait(60)
    elapsed = time.monotonic() - start
    assert widget.status == "idle" and widget.message == ""
    assert widget.epoch == 40 and widget.n_epochs == 40
    frames = widget.comm.updates("points")
    assert len(frames) >= 2  # the picture moved during the run, not only at the end
    assert len(frames) <= elapsed * 10 + 2  # at most ten updates a second
    # Each frame carries what changed: confidence always moves; labels only when some changed.
    assert all("confidence" in f["state"] for f in frames)
    np.testing.assert_array_equal(widget.labels, widget.model.labels_)
    assert not np.array_equal(widget.points, points_before)
    epochs_seen = [d["state"]["epoch"] for d in widget.comm.updates("epoch")]
    assert epochs_seen == sorted(epochs_seen) and epochs_seen[-1] == 40


def test_stop_ends_training_within_one_epoch(widget):
    history = widget.model.history_
    widget.refine(100_000)
    assert wait_for(lambda: widget.epoch >= 2)
    at_stop = len(history)
    widget.stop()
    assert widget.status == "stopping"
    assert widget.wait(10)
    assert len(history) - at_stop <= 1
    assert widget.status == "idle"
    assert widget.model.labels_.shape == (200,)


def test_feedback_during_training_is_applied_safely(widget):
    k = widget.n_clusters
    widget.refine(100_000)
    assert wait_for(lambda: widget.epoch >= 2)
    widget.include([0, 1], cluster=1)  # point feedback: taken at the next epoch boundary
    widget.merge(0, 1)  # a cluster edit: training pauses, the edit applies, training goes on
    assert widget.status == "training"
    assert widget.model.n_clusters_ == k - 1
    epoch_after_merge = widget.epoch
    assert wait_for(lambda: widget.epoch >= epoch_after_merge + 2)
    widget.undo()  # undo of a cluster edit, also while training
    assert widget.model.n_clusters_ == k
    widget.stop()
    assert widget.wait(20)
    assert widget.message == "" and widget.status == "idle"
    assert widget.n_clusters == k and widget.labels.max() < k
    assert np.isfinite(widget.model.embedding_).all()
    assert widget.model.feedback.items[-1].kind == "include"


def test_refine_twice_is_refused_while_running(widget):
    widget.refine(100_000)
    with pytest.raises(RuntimeError, match="already running"):
        widget.refine(5)
    widget._on_message(widget, {"type": "action", "action": "refine", "epochs": 5}, [])
    assert "already running" in widget.message


def test_a_failed_epoch_shows_in_the_widget_and_in_wait(widget, monkeypatch):
    def broken(*args, **kwargs):
        raise FloatingPointError("loss became NaN at epoch 3")

    monkeypatch.setattr(widget.model, "refine", broken)
    widget.refine(5)
    with pytest.raises(RuntimeError, match="NaN"):
        widget.wait(10)
    assert widget.status == "error"
    assert "NaN" in widget.message
    assert widget.wait(1)  # the error is raised once


def test_fitting_happens_in_the_background(blobs):
    X, _ = blobs
    w = nc.ClusterWidget(X[:120], n_clusters=3, random_state=0, pretrain_epochs=8, epochs=5,
                         batch_size=64)
    assert w.status == "fitting"
    assert w.wait(60)
    assert w.status == "idle"
    assert w.labels.shape == (120,) and w.points.shape == (120, 2)
    assert np.abs(w.points).max() <= 1.0
    assert sum(w.cluster_sizes) == 120 and w.n_clusters == 3
    frame = w.to_pandas()
    assert list(frame.columns[-4:]) == ["label", "confidence", "x", "y"]
    assert (frame["label"].to_numpy() == w.labels).all()


def test_update_throttle_allows_ten_per_second():
    now = [0.0]
    throttle = UpdateThrottle(10, clock=lambda: now[0])
    sent = 0
    for _ in range(1000):  # 1000 epochs in one second
        if throttle.ready():
            throttle.mark()
            sent += 1
        now[0] += 0.001
    assert 9 <= sent <= 11


# ============================================================================ data, tooltips, colours


def test_dataframe_text_images_tooltip(blobs, fitted):
    X, y = blobs
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["comment"] = [f"row {i}" for i in range(200)]
    frame["kind"] = np.where(y == 0, "red", "blue")
    images = np.arange(200 * 8 * 8, dtype=np.float64).reshape(200, 8, 8) % 17
    w = nc.ClusterWidget(frame, model=copy.deepcopy(fitted), text="comment", images=images)
    w.comm = RecordingComm()
    assert w.color_options == ["cluster", "confidence", "kind"]
    w._on_message(w, {"type": "tooltip", "index": 7}, [])
    (content, buffers), = w.comm.custom()
    assert content["index"] == 7 and content["text"] == "row 7"
    assert ["kind", frame["kind"][7]] in content["rows"]
    assert ["a", f"{frame['a'][7]:.4g}"] in content["rows"]
    assert content["image"] == {"width": 8, "height": 8}
    assert len(bytes(buffers[0])) == 64
    w._on_message(w, {"type": "tooltip", "index": 10_000}, [])  # ignored, not a crash
    assert len(w.comm.custom()) == 1


def test_colour_by_a_column(widget):
    widget.color_by = "true class"
    assert widget.color_values.dtype == np.uint16
    assert widget.color_categories == ["0", "1", "2"]
    widget.color_by = "confidence"
    assert widget.color_values.size == 0
    with pytest.raises(ValueError, match="cannot colour by"):
        widget.color_by = "nope"


def test_continuous_column_colours_as_a_ramp(blobs, fitted):
    X, _ = blobs
    w = nc.ClusterWidget(X, model=copy.deepcopy(fitted), columns={"x0": X[:, 0]},
                         color_by="x0")
    assert w.color_values.dtype == np.float32 and w.color_categories == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"data": np.zeros(5)}, "2-D"),
        ({"data": np.array([[1.0, np.nan], [1.0, 2.0]])}, "NaN"),
        ({"data": pd.DataFrame({"a": [1.0, 2.0]}), "text": "missing"}, "not a column"),
        ({"data": np.zeros((4, 2)), "images": np.zeros((3, 8, 8))}, "images"),
        ({"data": np.zeros((4, 2)), "text": ["a"]}, "text has 1"),
    ],
)
def test_bad_data_is_refused_with_a_clear_message(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nc.ClusterWidget(**kwargs)


def test_bad_model_parameters_are_refused_before_fitting_starts(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="n_clusters"):
        nc.ClusterWidget(X[:5], n_clusters=8)
    with pytest.raises(ValueError, match="architecture"):
        nc.ClusterWidget(X, n_clusters=3, architecture="huge")
    with pytest.raises(TypeError):
        nc.ClusterWidget(X, n_clusters=3, not_a_parameter=1)


def test_a_fitted_model_on_other_rows_is_refused(blobs, fitted):
    X, _ = blobs
    with pytest.raises(ValueError, match="fitted on 200 rows"):
        nc.ClusterWidget(X[:50], model=fitted)


def test_front_end_bundle_is_pure_esm():
    from nudgecluster.widget import _STATIC

    bundle = _STATIC / "widget.js"
    if not bundle.exists():
        pytest.skip("front end not built (npm run build in js/)")
    text = bundle.read_text()
    assert "export{" in text.replace(" ", "") or "export default" in text
    assert not text.lstrip().startswith("define(")
    assert (_STATIC / "widget.css").exists()


# ============================================================================ a sample on show


def test_max_points_draws_a_uniform_sample_while_the_model_uses_every_row(blobs, fitted):
    X, y = blobs
    w = nc.ClusterWidget(X, model=copy.deepcopy(fitted), columns={"true class": y},
                         max_points=50)
    w.comm = RecordingComm()
    rows = w.shown_rows
    assert len(rows) == 50 and np.all(np.diff(rows) > 0) and rows.max() < 200
    assert w.points.shape == (50, 2) and w.labels.shape == (50,) and w.confidence.shape == (50,)
    np.testing.assert_array_equal(w.labels, w.model.labels_[rows])
    assert sum(w.cluster_sizes) == 200  # sizes count every row, drawn or not
    # The same rows again for the same random_state: a picture that is stable across sessions.
    again = nc.ClusterWidget(X, model=copy.deepcopy(fitted), max_points=50)
    np.testing.assert_array_equal(again.shown_rows, rows)

    # The browser's selection is positions among the drawn points; feedback gets data rows.
    w.selection = np.array([0, 1, 2], dtype=np.uint32)
    np.testing.assert_array_equal(w.selected_rows, rows[:3])
    w.include(cluster=1)
    assert sorted(w.model.feedback.items[-1].indices) == sorted(rows[:3].tolist())
    np.testing.assert_array_equal(w.feedback_points, [0, 1, 2])
    hidden = int(np.setdiff1d(np.arange(200), rows)[0])
    w.exclude([hidden], cluster=0)  # a row that is not drawn: kept, but no outline to draw
    np.testing.assert_array_equal(w.feedback_points, [0, 1, 2])
    with pytest.raises(IndexError, match="out of range"):
        w.selection = [50]

    # Tooltips and colours follow the drawn rows.
    w._on_message(w, {"type": "tooltip", "index": 4}, [])
    (content, _), = w.comm.custom()
    assert content["index"] == 4 and content["row"] == rows[4]
    assert ["true class", str(y[rows[4]])] in content["rows"]
    w.color_by = "true class"
    assert w.color_values.shape == (50,)

    # Training uses every row; the picture and the table follow.
    w.refine(2)
    assert w.wait(30)
    assert w.points.shape == (50, 2) and len(w.model.labels_) == 200
    table = w.to_pandas()
    assert len(table) == 200 and table["x"].notna().sum() == 50
    np.testing.assert_array_equal(table["label"], w.model.labels_)


def test_max_points_is_validated_and_a_small_data_set_is_drawn_whole(blobs, fitted):
    X, _ = blobs
    with pytest.raises(ValueError, match="max_points"):
        nc.ClusterWidget(X, model=copy.deepcopy(fitted), max_points=0)
    w = nc.ClusterWidget(X, model=copy.deepcopy(fitted), max_points=1000)
    np.testing.assert_array_equal(w.shown_rows, np.arange(200))
    assert w.points.shape == (200, 2)


def test_a_memory_mapped_data_set_is_streamed_to_the_model_and_sampled_for_the_picture(
        blobs, tmp_path):
    X, _ = blobs
    path = tmp_path / "rows.npy"
    np.save(path, X)
    data = np.load(path, mmap_mode="r")
    w = nc.ClusterWidget(data, n_clusters=3, max_points=60, random_state=0, pretrain_epochs=3,
                         epochs=2)
    assert w.wait(60)
    assert w.model._data.streamed  # trained from the file, batch by batch
    assert w.points.shape == (60, 2) and len(w.model.labels_) == 200
