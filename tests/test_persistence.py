"""save / load: a model comes back predicting the same, with its feedback, and nothing in a model
file is ever unpickled."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import save_file

import nudgecluster as nc
from nudgecluster import DEC

_UNPICKLED: list[str] = []


def _record_unpickling():
    _UNPICKLED.append("code ran")
    return "payload"


class _Trap:
    """Unpickling this runs `_record_unpickling`: proof that a loader called pickle."""

    def __reduce__(self):
        return (_record_unpickling, ())


@pytest.fixture(scope="module")
def data():
    X, _ = nc.datasets.paper_onehot(n_per_class=10)
    return X


@pytest.fixture(scope="module")
def _trained(data):
    model = DEC(4, pretrain_epochs=5, epochs=5, feedback_mode="paper", random_state=0).fit(data)
    model.feedback.include([1], cluster=2)
    model.feedback.exclude([5], cluster=0, strength=50)
    model.feedback.must_link(3, 7)
    model.feedback.cannot_link(4, [8, 9])
    return model


@pytest.fixture
def trained(_trained):
    return copy.deepcopy(_trained)


def test_round_trip_predicts_the_same(trained, data, tmp_path):
    path = trained.save(tmp_path / "model.safetensors")
    loaded = DEC.load(path)
    np.testing.assert_array_equal(loaded.predict(data), trained.predict(data))
    np.testing.assert_array_equal(loaded.predict_proba(data), trained.predict_proba(data))
    np.testing.assert_array_equal(loaded.transform(data), trained.transform(data))
    np.testing.assert_array_equal(loaded.labels_, trained.labels_)
    np.testing.assert_array_equal(loaded.embedding_, trained.embedding_)
    np.testing.assert_array_equal(loaded.cluster_centers_, trained.cluster_centers_)
    assert loaded.get_params() == trained.get_params()
    assert loaded.history_ == trained.history_
    assert loaded.n_features_in_ == 4 and loaded.n_clusters_ == 4


def test_feedback_survives_and_keeps_working(trained, tmp_path):
    loaded = DEC.load(trained.save(tmp_path / "model.safetensors"))
    assert loaded.feedback.items == trained.feedback.items
    np.testing.assert_array_equal(loaded.feedback.to_matrix(), trained.feedback.to_matrix())
    assert loaded.feedback.to_matrix()[1, 2] == 1000 and loaded.feedback.to_matrix()[5, 0] == -50
    # Conflict checks still see the old constraints; new ones continue the numbering.
    with pytest.raises(nc.FeedbackConflictError):
        loaded.feedback.cannot_link(3, 7)
    assert loaded.feedback.include([12], cluster=1).id == 4


def test_a_model_with_edited_clusters_round_trips(trained, data, tmp_path):
    trained.merge_clusters(0, 3)
    loaded = DEC.load(trained.save(tmp_path / "merged.safetensors"))
    assert loaded.n_clusters_ == 3 and loaded.feedback.n_clusters == 3
    np.testing.assert_array_equal(loaded.predict_proba(data), trained.predict_proba(data))
    loaded.refine(1, X=data)
    assert loaded.n_clusters_ == 3


def test_a_dataframe_models_column_names_survive(data, tmp_path):
    frame = pd.DataFrame(data, columns=["a", "b", "c", "d"])
    model = DEC(4, pretrain_epochs=2, epochs=2, random_state=0).fit(frame)
    loaded = DEC.load(model.save(tmp_path / "frame.safetensors"))
    assert list(loaded.feature_names_in_) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))


def test_refine_after_load_needs_the_data_and_then_continues(trained, data, tmp_path):
    loaded = DEC.load(trained.save(tmp_path / "model.safetensors"))
    with pytest.raises(ValueError, match=r"without its data.*refine\(epochs, X="):
        loaded.refine(2)
    assert loaded.history_ == trained.history_  # the refused call changed nothing
    with pytest.raises(ValueError, match="X has 10 rows but the model was fitted on 40"):
        loaded.refine(2, X=data[:10])
    loaded.refine(2, X=data)
    assert [h["phase"] for h in loaded.history_[-2:]] == ["refine", "refine"]
    assert len(loaded.history_) == len(trained.history_) + 2
    np.testing.assert_array_equal(loaded.predict(data), loaded.labels_)
    loaded.refine(1)  # the data given once is kept for the next round
    assert len(loaded.history_) == len(trained.history_) + 3


def test_the_file_is_safetensors_with_no_pickle(trained, tmp_path):
    path = trained.save(tmp_path / "model.safetensors")
    raw = path.read_bytes()
    header_length = int.from_bytes(raw[:8], "little")
    assert raw[8:9] == b"{" and b"nudgecluster.DEC" in raw[8 : 8 + header_length]
    assert not raw.startswith((b"\x80", b"PK"))  # neither a pickle nor torch's zip of pickles


def test_loading_never_unpickles(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"network": _Trap()}, path)  # what a malicious "model" would look like
    _UNPICKLED.clear()
    with pytest.raises(ValueError, match="not a nudgecluster model file"):
        DEC.load(path)
    assert _UNPICKLED == []


def test_other_files_are_refused_as_not_a_model(tmp_path):
    foreign = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(2, 2)}, str(foreign), metadata={"format": "pt"})
    with pytest.raises(ValueError, match="not a nudgecluster model file"):
        DEC.load(foreign)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a nudgecluster model file"):
        DEC.load(text)
    with pytest.raises(FileNotFoundError):
        DEC.load(tmp_path / "missing.safetensors")


def test_device_auto_resolves_on_load(trained, tmp_path):
    path = trained.save(tmp_path / "model.safetensors")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert DEC.load(path).device_.type == expected
    assert DEC.load(path, device="cpu").device_.type == "cpu"
    assert DEC.load(path).get_params()["device"] == "auto"
