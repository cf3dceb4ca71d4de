"""DEC as a user meets it: a scikit-learn estimator that fits, refuses bad input, takes feedback,
refines, stops on request and reports progress."""

from __future__ import annotations

import copy
import threading

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

import nudgecluster as nc
from nudgecluster import DEC, FeedbackConflictError, Progress


def small(**params) -> DEC:
    """A model that trains in a fraction of a second, on the CPU, where runs repeat exactly."""
    defaults = dict(n_clusters=4, pretrain_epochs=5, epochs=5, random_state=0, device="cpu")
    return DEC(**(defaults | params))


@pytest.fixture(scope="module")
def onehot():
    return nc.datasets.paper_onehot(n_per_class=10)


@pytest.fixture(scope="module")
def _fitted(onehot):
    X, _ = onehot
    return small().fit(X)


@pytest.fixture
def fitted(_fitted):
    """A fitted model of one's own (the module's fit is deep-copied, not repeated)."""
    return copy.deepcopy(_fitted)


def state_of(model: DEC) -> dict:
    """What a failed call must leave as it was."""
    return {
        "labels": model.labels_.copy(),
        "centers": model.cluster_centers_,
        "embedding": model.embedding_.copy(),
        "n_features_in": model.n_features_in_,
        "feedback": model.feedback.to_json(),
        "feedback_version": model.feedback.version,
        "history": len(model.history_),
    }


def assert_unchanged(model: DEC, before: dict) -> None:
    after = state_of(model)
    for key in ("labels", "centers", "embedding"):
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)
    for key in ("n_features_in", "feedback", "feedback_version", "history"):
        assert after[key] == before[key], key


# ================================================================ scikit-learn's own checks


@parametrize_with_checks(
    [DEC(n_clusters=3, pretrain_epochs=3, epochs=3, random_state=0, device="cpu")]
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_get_params_set_params_and_clone_keep_the_configuration():
    from sklearn.base import clone

    model = DEC(n_clusters=5, feedback_mode="paper", architecture=(8, 4), random_state=3)
    copy_ = clone(model.set_params(alpha=2.0))
    assert copy_.get_params() == model.get_params()
    assert copy_.get_params()["alpha"] == 2.0 and copy_.get_params()["architecture"] == (8, 4)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_clusters": 0}, "n_clusters"),
        ({"feedback_mode": "magic"}, "feedback_mode"),
        ({"architecture": "huge"}, "architecture"),
        ({"alpha": 0.0}, "alpha"),
        ({"corruption": 1.0}, "corruption"),
        ({"epochs": -1}, "epochs"),
        ({"precision": "float16"}, "precision"),
    ],
)
def test_bad_parameters_are_refused_at_fit_with_their_name(onehot, params, message):
    X, _ = onehot
    with pytest.raises(ValueError, match=message):
        small(**params).fit(X)


# ================================================================ repeatability


def test_same_random_state_gives_identical_results_and_another_seed_does_not(onehot):
    X, _ = onehot
    a = small(random_state=7).fit(X)
    b = small(random_state=7).fit(X)
    c = small(random_state=8).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert [h["loss"] for h in a.history_] == [h["loss"] for h in b.history_]
    assert not np.allclose(a.embedding_, c.embedding_)


def test_fitted_attributes_agree_with_predict_and_transform(fitted, onehot):
    X, _ = onehot
    n, k = len(X), 4
    assert fitted.labels_.shape == (n,) and fitted.embedding_.shape == (n, k)
    assert fitted.cluster_centers_.shape == (k, k) and fitted.n_clusters_ == k
    np.testing.assert_array_equal(fitted.predict(X), fitted.labels_)
    np.testing.assert_allclose(fitted.transform(X), fitted.embedding_, rtol=1e-6, atol=1e-6)
    proba = fitted.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    assert [h["phase"] for h in fitted.history_] == ["pretrain"] * 5 + ["cluster"] * 5


def test_fit_predict_equals_labels(onehot):
    X, _ = onehot
    model = small(random_state=1)
    np.testing.assert_array_equal(model.fit_predict(X), model.labels_)


def test_a_numeric_dataframe_is_accepted_and_its_column_names_remembered(onehot):
    X, _ = onehot
    frame = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    model = small().fit(frame)
    assert list(model.feature_names_in_) == ["w", "x", "y", "z"]
    np.testing.assert_array_equal(model.predict(frame), model.labels_)


# ================================================================ bad input


def test_nan_or_inf_is_refused_naming_the_first_rows(onehot, fitted):
    X, _ = onehot
    bad = X.copy()
    bad[3, 1], bad[7, 0] = np.nan, np.inf
    with pytest.raises(ValueError, match=r"row\(s\) 3, 7\b"):
        small().fit(bad)
    many = X.copy()
    many[:9, 0] = np.nan
    with pytest.raises(ValueError, match=r"row\(s\) 0, 1, 2, 3, 4 and 4 more"):
        small().fit(many)

    before = state_of(fitted)
    for call in (fitted.fit, fitted.predict, fitted.transform, fitted.predict_proba,
                 lambda data: fitted.refine(2, X=data)):
        with pytest.raises(ValueError, match=r"NaN or infinity in row\(s\) 3, 7"):
            call(bad)
    assert_unchanged(fitted, before)


def test_non_numeric_dataframe_columns_are_named(onehot, fitted):
    X, _ = onehot
    frame = pd.DataFrame(X[:, :2], columns=["height", "width"])
    frame["colour"] = ["red", "blue"] * (len(X) // 2)
    frame["kind"] = pd.Categorical(["a", "b"] * (len(X) // 2))
    with pytest.raises(ValueError, match=r"non-numeric columns \['colour', 'kind'\]") as info:
        small().fit(frame)
    assert "height" not in str(info.value)
    before = state_of(fitted)
    with pytest.raises(ValueError, match="colour"):
        fitted.fit(frame)
    assert_unchanged(fitted, before)


def test_fewer_samples_than_clusters_is_refused(onehot, fitted):
    X, _ = onehot
    with pytest.raises(ValueError, match=r"n_samples=3 should be >= n_clusters=4"):
        small().fit(X[:3])
    before = state_of(fitted)
    with pytest.raises(ValueError, match="n_clusters=4"):
        fitted.fit(X[:3])
    assert_unchanged(fitted, before)


def test_one_dimensional_x_is_refused_with_a_hint(onehot, fitted):
    X, _ = onehot
    with pytest.raises(ValueError, match="(?s)Expected 2D array.*Reshape your data"):
        small().fit(X[:, 0])
    with pytest.raises(ValueError, match="Expected 2D array"):
        fitted.predict(X[0])


def test_using_an_unfitted_model_says_fit_first(onehot):
    X, _ = onehot
    model = small()
    for call in (model.predict, model.predict_proba, model.transform):
        with pytest.raises(NotFittedError):
            call(X)
    with pytest.raises(NotFittedError):
        model.refine(1)
    with pytest.raises(NotFittedError):
        model.save("never-written.safetensors")
    with pytest.raises(ValueError, match=r"call fit\(X\) first"):
        model.feedback.include([0], cluster=0)


def test_a_different_feature_count_is_refused(onehot, fitted):
    X, _ = onehot
    before = state_of(fitted)
    with pytest.raises(ValueError, match="X has 3 features, but DEC is expecting 4"):
        fitted.predict(X[:, :3])
    with pytest.raises(ValueError, match="expecting 4 features"):
        fitted.refine(2, X=np.hstack([X, X]))
    with pytest.raises(ValueError, match="X has 10 rows but the model was fitted on 40"):
        fitted.refine(2, X=X[:10])
    assert_unchanged(fitted, before)


def test_a_refused_refit_leaves_the_model_usable_on_its_own_data(onehot, fitted):
    X, _ = onehot
    wider = np.hstack([X, X[:, :1]])
    wider[2, 0] = np.nan
    before = state_of(fitted)
    with pytest.raises(ValueError, match="NaN"):
        fitted.fit(wider)
    with pytest.raises(ValueError, match="n_clusters=4"):
        fitted.fit(np.ones((2, 7)))
    assert_unchanged(fitted, before)
    np.testing.assert_array_equal(fitted.predict(X), fitted.labels_)

    frame = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    named = small().fit(frame)
    with pytest.raises(ValueError, match="NaN"):
        named.fit(pd.DataFrame(wider, columns=["a", "b", "c", "d", "e"]))
    assert list(named.feature_names_in_) == ["w", "x", "y", "z"]
    np.testing.assert_array_equal(named.predict(frame), named.labels_)


@pytest.mark.parametrize(
    "give, error, message",
    [
        (lambda f: f.include([40], cluster=0), IndexError, "point index 40 is out of range.*0..39"),
        (lambda f: f.include([-1], cluster=0), IndexError, "point index -1 is out of range"),
        (lambda f: f.exclude([0], cluster=4), IndexError, r"cluster 4 is out of range.*\(0..3\)"),
        (lambda f: f.include([0], cluster=-1), IndexError, "cluster -1 is out of range"),
        (lambda f: f.must_link(0, 99), IndexError, "point index 99"),
        (lambda f: f.cannot_link([0, 1], [77]), IndexError, "point index 77"),
        (lambda f: f.include([0.5], cluster=0), IndexError, "integers"),
        (lambda f: f.include([], cluster=0), ValueError, "no points"),
    ],
)
def test_feedback_out_of_range_is_refused_and_changes_nothing(fitted, give, error, message):
    before = state_of(fitted)
    with pytest.raises(error, match=message):
        give(fitted.feedback)
    assert_unchanged(fitted, before)


def test_cluster_edits_out_of_range_are_refused_and_change_nothing(fitted):
    before = state_of(fitted)
    with pytest.raises(IndexError, match="cluster 4 is out of range"):
        fitted.merge_clusters(0, 4)
    with pytest.raises(ValueError, match="two different clusters"):
        fitted.merge_clusters(1, 1)
    with pytest.raises(IndexError, match="cluster 9 is out of range"):
        fitted.split_cluster(9)
    with pytest.raises(IndexError, match="point index 40"):
        fitted.new_cluster([3, 40])
    assert_unchanged(fitted, before)
    assert fitted.n_clusters_ == 4


def test_include_and_exclude_of_one_point_in_one_cluster_conflict(fitted):
    kept = fitted.feedback.include([5, 6], cluster=1)
    before = state_of(fitted)
    with pytest.raises(FeedbackConflictError) as info:
        fitted.feedback.exclude([6], cluster=1)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert str(kept) in message and "point 6 not in cluster 1" in message
    assert_unchanged(fitted, before)


# ================================================================ refine and steering


def test_refine_continues_from_the_current_weights(fitted, onehot):
    X, _ = onehot
    n_before = len(fitted.history_)
    embedding, centers = fitted.embedding_.copy(), fitted.cluster_centers_
    scale = embedding.std()
    seen: list[Progress] = []
    fitted.refine(3, callback=seen.append)
    new = fitted.history_[n_before:]
    assert [(h["phase"], h["epoch"]) for h in new] == [("refine", 1), ("refine", 2), ("refine", 3)]
    # One epoch nudges the fitted embedding; new or re-pretrained weights would put it elsewhere.
    assert np.abs(seen[0].embedding - embedding).max() < 0.25 * scale
    assert np.abs(fitted.cluster_centers_ - centers).max() < 0.25 * scale
    assert not np.array_equal(fitted.embedding_, embedding)  # and it did train
    np.testing.assert_array_equal(fitted.predict(X), fitted.labels_)


def steer(mode: str, n_per_class: int, epochs: int, seed: int = 0):
    """The paper's first experiment: 2 clusters of one-hot classes; one point is told to go over.

    Returns the model, the classes, the labels before feedback, the point and its target cluster.
    """
    X, y = nc.datasets.paper_onehot(n_per_class=n_per_class)
    model = DEC(2, pretrain_epochs=30, epochs=10, feedback_mode=mode, random_state=seed,
                device="cpu").fit(X)
    before = model.labels_.copy()
    i = 1
    j = 1 - int(before[i])
    model.feedback.include([i], cluster=j)
    model.refine(epochs)
    return model, y, before, i, j


def test_paper_mode_include_carries_the_point_and_its_class_into_the_cluster():
    model, y, before, i, j = steer("paper", n_per_class=25, epochs=60)
    assert model.feedback.to_matrix()[i, j] == 1000.0
    assert model.labels_[i] == j
    # As in the paper: the whole class follows its one corrected member, the others stay.
    assert (model.labels_[y == y[i]] == j).all()
    np.testing.assert_array_equal(model.labels_[y != y[i]], before[y != y[i]])


def test_robust_mode_include_moves_the_point_into_the_cluster():
    model, y, before, i, j = steer("robust", n_per_class=25, epochs=100)
    assert model.labels_[i] == j
    np.testing.assert_array_equal(model.labels_[y != y[i]], before[y != y[i]])


@pytest.mark.xfail(
    strict=True,
    reason="paper mode at strength 1000 does not move one point of a 125-point class in 100 "
    "epochs on the paper's own 500-row set (the paper reports it does): the pull 1000*p_ij "
    "(p_ij ~ 1e-2) only balances the class's own self-training force",
)
def test_paper_mode_include_steers_on_the_papers_full_size_set():
    model, y, _, i, j = steer("paper", n_per_class=125, epochs=100)
    assert model.labels_[i] == j


# ================================================================ callbacks, stop, verbose


def test_callback_receives_progress_with_the_clustering_state(onehot):
    X, _ = onehot
    seen: list[Progress] = []
    model = small(pretrain_epochs=2, epochs=3).fit(X, callback=seen.append)
    assert [(p.phase, p.epoch, p.n_epochs) for p in seen] == [
        ("pretrain", 1, 2), ("pretrain", 2, 2), ("cluster", 1, 3), ("cluster", 2, 3),
        ("cluster", 3, 3),
    ]
    for p in seen:
        assert np.isfinite(p.loss) and not p.stopped
    for p in seen[2:]:
        assert p.embedding.shape == (len(X), 4)
        assert p.labels.shape == (len(X),) and set(np.unique(p.labels)) <= {0, 1, 2, 3}
        assert p.confidence.shape == (len(X),)
        assert (p.confidence >= 0.25 - 1e-6).all() and (p.confidence <= 1 + 1e-6).all()
    np.testing.assert_array_equal(seen[-1].labels, model.labels_)
    np.testing.assert_allclose(seen[-1].confidence, model.predict_proba(X).max(1), rtol=1e-5)

    refined: list[Progress] = []
    model.refine(2, callback=refined.append)
    assert [(p.phase, p.epoch, p.n_epochs) for p in refined] == [("refine", 1, 2), ("refine", 2, 2)]


def test_stop_from_a_callback_ends_refine_at_a_batch_boundary(onehot):
    X, _ = onehot
    model = small(batch_size=4).fit(X)  # ten batches per epoch
    n_before = len(model.history_)
    seen: list[Progress] = []
    exact: list[np.ndarray] = []  # every row encoded by the weights at the end of each epoch

    def stop_at_third_epoch(progress):
        seen.append(copy.copy(progress))
        exact.append(model.transform(X))
        if progress.epoch == 3:
            model.stop()

    model.refine(200, callback=stop_at_third_epoch)
    new = model.history_[n_before:]
    # The request arrives after epoch 3; epoch 4 ends at its first batch boundary.
    assert [h["epoch"] for h in new] == [1, 2, 3, 4]
    assert seen[-1].stopped and not any(p.stopped for p in seen[:-1])
    full_epoch = min(np.abs(exact[i + 1] - exact[i]).max() for i in (0, 1))
    stopped_epoch = np.abs(exact[3] - exact[2]).max()
    assert 0 < stopped_epoch < 0.3 * full_epoch  # one step, not ten
    # The model is consistent: its outputs are those of its current weights.
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    np.testing.assert_allclose(model.transform(X), model.embedding_, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(seen[-1].labels, model.labels_)
    np.testing.assert_array_equal(seen[-1].embedding, exact[-1])  # the last report is exact
    # Stop is a request for one run, not a lasting state: the next refine trains normally.
    model.refine(2)
    assert [h["epoch"] for h in model.history_[n_before + 4:]] == [1, 2]


def test_stop_from_another_thread_ends_training_promptly(onehot):
    X, _ = onehot
    model = small(batch_size=8).fit(X)
    n_before = len(model.history_)
    running = threading.Event()
    worker = threading.Thread(
        target=model.refine,
        args=(100_000,),
        kwargs={"callback": lambda p: p.epoch >= 2 and running.set()},
        daemon=True,
    )
    worker.start()
    assert running.wait(30), "training did not start"
    model.stop()
    worker.join(30)
    assert not worker.is_alive(), "stop() did not end training"
    assert 2 <= len(model.history_) - n_before < 1000
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_stop_during_pretraining_still_leaves_a_usable_model(onehot):
    X, _ = onehot
    model = small(pretrain_epochs=50)

    def stop_early(progress):
        if progress.phase == "pretrain" and progress.epoch == 2:
            model.stop()

    model.fit(X, callback=stop_early)
    assert [h["phase"] for h in model.history_] == ["pretrain"] * 3
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_verbose_shows_progress_bars(onehot, capsys):
    X, _ = onehot
    small(pretrain_epochs=2, epochs=2, verbose=True).fit(X)
    err = capsys.readouterr().err
    assert "pretrain" in err and "cluster" in err
    small(pretrain_epochs=2, epochs=2).fit(X)
    assert capsys.readouterr().err == ""


def test_device_auto_resolves_to_the_available_device(onehot):
    X, _ = onehot
    model = DEC(4, pretrain_epochs=1, epochs=1, random_state=0).fit(X)
    assert model.get_params()["device"] == "auto"
    assert model.device_.type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_the_whole_cycle_runs_on_cuda(onehot, tmp_path):
    X, _ = onehot
    model = DEC(4, pretrain_epochs=3, epochs=3, random_state=0, device="cuda").fit(X)
    assert model.device_.type == "cuda"
    model.feedback.include([1], cluster=2)
    model.feedback.must_link(3, 7)
    model.refine(2)
    model.merge_clusters(0, 3)
    model.feedback.undo()
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    loaded = DEC.load(model.save(tmp_path / "gpu.safetensors"), device="cpu")
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-5)


def test_robust_mode_steers_a_whole_class_on_the_papers_full_size_set():
    # The paper's first experiment at its own size (500 rows, 2 clusters), with the few points a
    # lasso picks: four "in cluster" carry their 125-strong class along and leave the other
    # classes where they were. (One point at the default strength does not carry a whole tight
    # class - by design, so a corrected border point does not drag its correct neighbours.)
    X, y = nc.datasets.paper_onehot()
    model = DEC(2, random_state=0, device="cpu").fit(X)
    start = model.labels_.copy()
    target = 1 - start[1]
    model.feedback.include([1, 5, 9, 13], cluster=target)
    model.refine(60)
    assert model.labels_[1] == target
    assert np.mean(model.labels_[y == 1] == target) == 1.0
    others = y != 1
    assert np.mean(model.labels_[others] != start[others]) < 0.01


def test_sgd_optimizer_is_available_and_validated():
    X, _ = nc.datasets.paper_onehot(n_per_class=10)
    small(optimizer="sgd").fit(X)
    with pytest.raises(ValueError, match="optimizer"):
        small(optimizer="lbfgs").fit(X)


def test_bfloat16_precision_trains_in_mixed_precision_and_answers_in_float32():
    X, y = nc.datasets.paper_onehot(n_per_class=25)
    model = small(precision="bfloat16", pretrain_epochs=60, epochs=20).fit(X)
    assert model.embedding_.dtype == np.float32 and model.predict_proba(X).dtype == np.float32
    assert all(p.dtype == torch.float32 for p in model._network.parameters())
    assert nc.metrics.cluster_accuracy(y, model.labels_) > 0.9
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    model.feedback.include([0], cluster=int(model.labels_[1]))
    model.refine(2)  # the robust refine's decoder and the pairwise terms take the same path


@pytest.mark.parametrize("mode", ["paper", "robust"])
def test_pairwise_feedback_acts_in_both_modes(mode):
    # Points 0 and 1 come from different one-hot groups; a must-link brings them together.
    X, y = nc.datasets.paper_onehot(n_per_class=10)
    model = small(n_clusters=4, feedback_mode=mode, pretrain_epochs=60, epochs=40).fit(X)
    a, b = 0, 1
    assert model.labels_[a] != model.labels_[b]
    model.feedback.must_link(a, b)
    model.refine(60)
    assert model.labels_[a] == model.labels_[b]


@pytest.mark.xfail(strict=True, reason=(
    "known bug: robust mode at the default strength lets a large correction (32 of 600 points, "
    "each weighing 30 rows) drag the shared encoder so far that every cluster empties into the "
    "target one; a strength capped by the corrected share of the data is the likely fix"))
def test_a_large_correction_does_not_empty_the_other_clusters():
    X, _ = nc.datasets.iris_augmented()
    model = DEC(3, random_state=0, pretrain_epochs=30, epochs=20, device="cpu").fit(X)
    smallest = int(np.argmin(np.bincount(model.labels_, minlength=3)))
    members = np.flatnonzero(model.labels_ == smallest)
    centre = model.embedding_[members].mean(0)
    core = members[np.argsort(np.linalg.norm(model.embedding_[members] - centre, axis=1))[:32]]
    model.feedback.include(core, cluster=(smallest + 1) % 3)
    model.refine(5)
    sizes = np.bincount(model.labels_, minlength=3)
    assert (sizes > 0).sum() >= 2, f"clusters collapsed to sizes {sizes.tolist()}"


def test_epoch_reports_come_from_the_training_pass_and_the_end_is_exact(onehot):
    X, _ = onehot
    model = small(update_interval=3).fit(X)
    seen: list[tuple[int, np.ndarray, np.ndarray]] = []
    model.refine(4, callback=lambda p: seen.append((p.epoch, p.embedding.copy(),
                                                    model.transform(X))))
    stale = {epoch: np.abs(reported - exact).max() for epoch, reported, exact in seen}
    # Epoch 3 precedes a target update and epoch 4 ends the run: both re-encode every row.
    assert stale[3] == 0 and stale[4] == 0
    # Epochs 1 and 2 report where each row's batch put it: close to the final weights, not equal.
    assert 0 < stale[1] < 0.25 * np.abs(seen[0][2]).max()
    np.testing.assert_array_equal(model.embedding_, model.transform(X))
    np.testing.assert_array_equal(model.labels_, model.predict(X))


def test_paper_mode_reports_a_meaningful_loss():
    # The T-matrix surrogate has the paper's gradient but no meaningful value (it can go below
    # zero); the loss in history_ and in the progress line is DEC's KL(P || Q), never negative.
    X, _ = nc.datasets.paper_onehot(n_per_class=10)
    model = small(feedback_mode="paper", pretrain_epochs=30, epochs=5).fit(X)
    model.refine(3)
    model.feedback.include([0, 1, 2, 3], cluster=int(model.labels_[20]))
    model.refine(3)
    clustering = [h["loss"] for h in model.history_ if h["phase"] != "pretrain"]
    assert len(clustering) == 11 and min(clustering) >= 0
