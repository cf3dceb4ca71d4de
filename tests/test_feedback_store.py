"""The feedback store: what the person said, kept consistent, undoable and saveable; and the
cluster edits (merge, split, new cluster) a fitted model makes through it."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import nudgecluster as nc
from nudgecluster import Constraint, DEC, Feedback, FeedbackConflictError


def store(n=20, k=3, strength=1000.0) -> Feedback:
    return Feedback(n_samples=n, n_clusters=k, default_strength=strength)


def snapshot(f: Feedback):
    return f.to_json(), f.version, f.can_undo, f.can_redo


# ================================================================ recording


def test_each_kind_of_feedback_is_recorded_as_said():
    f = store()
    inc = f.include([4, 2, 2], cluster=1)
    exc = f.exclude(7, cluster=0, strength=50)
    must = f.must_link(9, 3)
    group = f.must_link([10, 11, 12])
    cannot = f.cannot_link(5, [6, 8])
    assert (inc.kind, inc.indices, inc.cluster, inc.strength) == ("include", (2, 4), 1, None)
    assert (exc.kind, exc.indices, exc.cluster, exc.strength) == ("exclude", (7,), 0, 50.0)
    assert (must.kind, must.indices) == ("must_link", (3, 9))
    assert group.indices == (10, 11, 12)
    assert (cannot.kind, cannot.indices, cannot.others) == ("cannot_link", (5,), (6, 8))
    assert f.items == (inc, exc, must, group, cannot)
    assert [c.id for c in f] == [0, 1, 2, 3, 4]
    assert str(inc) == "#0 include (points 2, 4 in cluster 1)"
    assert str(exc) == "#1 exclude (point 7 not in cluster 0)"
    assert str(cannot) == "#4 cannot_link (point 5 apart from points 6, 8)"
    np.testing.assert_array_equal(f.pairs("must_link"), [[3, 9], [10, 11], [10, 12]])
    np.testing.assert_array_equal(f.pairs("cannot_link"), [[5, 6], [5, 8]])
    np.testing.assert_array_equal(f.marked_points(), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])


def test_a_boolean_mask_selects_points():
    f = store(n=5)
    mask = np.array([False, True, False, True, False])
    assert f.include(mask, cluster=2).indices == (1, 3)
    with pytest.raises(IndexError, match="one entry per point"):
        f.include(mask[:4], cluster=2)


def test_degenerate_pairs_are_refused():
    f = store()
    with pytest.raises(ValueError, match="at least two different points"):
        f.must_link(3, 3)
    with pytest.raises(ValueError, match="point 3 is on both sides"):
        f.cannot_link([1, 3], [3, 4])
    with pytest.raises(ValueError, match="strength must be a positive number"):
        f.include([1], cluster=0, strength=-5)
    assert len(f) == 0 and not f.can_undo


# ================================================================ the paper's T matrix


def test_to_matrix_holds_plus_s_minus_s_and_ones():
    f = store(n=6, k=3)
    f.include([1, 2], cluster=0)
    f.exclude([3], cluster=2)
    f.include([4], cluster=1, strength=50)
    f.must_link(0, 5)  # pairs are not part of the paper's T
    expected = np.ones((6, 3), dtype=np.float32)
    expected[1, 0] = expected[2, 0] = 1000
    expected[3, 2] = -1000
    expected[4, 1] = 50
    np.testing.assert_array_equal(f.to_matrix(6, 3), expected)
    np.testing.assert_array_equal(f.to_matrix(), expected)  # n and k default to the store's
    forced = f.to_matrix(6, 3, strength=7)
    assert forced[1, 0] == 7 and forced[3, 2] == -7 and forced[4, 1] == 7


def test_a_paper_mode_model_gives_its_feedback_strength_1000():
    X, _ = nc.datasets.paper_onehot(n_per_class=5)
    model = DEC(4, pretrain_epochs=1, epochs=1, feedback_mode="paper", random_state=0).fit(X)
    model.feedback.include([2], cluster=3)
    model.feedback.exclude([2], cluster=0)
    t = model.feedback.to_matrix()
    assert t.shape == (20, 4)
    assert t[2, 3] == 1000 and t[2, 0] == -1000
    assert (np.delete(t, 2, axis=0) == 1).all() and t[2, 1] == t[2, 2] == 1


def test_a_new_feedback_strength_applies_to_the_next_refine():
    X, _ = nc.datasets.paper_onehot(n_per_class=5)
    model = DEC(4, pretrain_epochs=1, epochs=1, feedback_mode="paper", random_state=0).fit(X)
    model.set_params(feedback_strength=5000.0)
    model.feedback.include([2], cluster=3)
    model.refine(1)
    assert model.feedback.to_matrix()[2, 3] == 5000


def test_robust_mode_reads_the_same_constraints_as_targets():
    f = store(n=6, k=3)
    f.include([1], cluster=2)
    f.must_link(1, 4)  # the include travels along the link
    f.exclude([3], cluster=0)
    np.testing.assert_array_equal(f.included_clusters(), [-1, 2, -1, -1, 2, -1])
    mask = f.excluded_mask()
    assert mask[3, 0] and mask.sum() == 1


# ================================================================ conflicts


def test_must_link_and_cannot_link_on_one_pair_conflict_either_way():
    f = store()
    must = f.must_link(4, 5)
    before = snapshot(f)
    with pytest.raises(FeedbackConflictError) as info:
        f.cannot_link(4, 5)
    assert str(must) in str(info.value) and "cannot_link (point 4 apart from point 5)" in str(
        info.value
    )
    assert snapshot(f) == before

    g = store()
    cannot = g.cannot_link(6, [7, 8])
    with pytest.raises(FeedbackConflictError) as info:
        g.must_link(8, 6)
    assert str(cannot) in str(info.value) and "must_link (points 6, 8 together)" in str(info.value)
    assert len(g) == 1


def test_cannot_link_conflicts_with_a_chain_of_must_links_naming_every_link():
    f = store()
    first = f.must_link(1, 2)
    second = f.must_link(2, 3)
    f.must_link(10, 11)  # not on the chain: must not be named
    before = snapshot(f)
    with pytest.raises(FeedbackConflictError) as info:
        f.cannot_link(1, 3)
    message = str(info.value)
    assert "cannot_link (point 1 apart from point 3)" in message
    assert str(first) in message and str(second) in message
    assert "10, 11" not in message
    assert snapshot(f) == before


def test_a_point_cannot_be_included_in_two_clusters():
    f = store()
    first = f.include([3, 4], cluster=0)
    before = snapshot(f)
    with pytest.raises(FeedbackConflictError) as info:
        f.include([4], cluster=2)
    assert str(first) in str(info.value) and "point 4 in cluster 2" in str(info.value)
    assert snapshot(f) == before
    f.include([4], cluster=0)  # saying it again is no conflict
    assert len(f) == 2


def test_an_include_conflicts_with_one_given_to_a_linked_point():
    f = store()
    told = f.include([9], cluster=1)
    link = f.must_link(4, 9)
    with pytest.raises(FeedbackConflictError) as info:
        f.include([4], cluster=2)
    assert str(told) in str(info.value) and str(link) in str(info.value)
    with pytest.raises(FeedbackConflictError):
        f.cannot_link(4, 9)
    with pytest.raises(FeedbackConflictError):
        f.exclude([4], cluster=1)


def test_include_and_exclude_in_the_same_cluster_conflict_in_either_order():
    f = store()
    inc = f.include([2], cluster=1)
    with pytest.raises(FeedbackConflictError, match="points 2, 5 not in cluster 1") as info:
        f.exclude([2, 5], cluster=1)
    assert str(inc) in str(info.value)
    f.exclude([2], cluster=0)  # another cluster: fine

    g = store()
    exc = g.exclude([2], cluster=1)
    with pytest.raises(FeedbackConflictError) as info:
        g.include([2], cluster=1)
    assert str(exc) in str(info.value)


def test_a_point_cannot_be_excluded_from_every_cluster():
    f = store(k=3)
    f.exclude([0], cluster=0)
    f.exclude([0], cluster=1)
    before = snapshot(f)
    with pytest.raises(FeedbackConflictError, match="excluded from all 3"):
        f.exclude([0], cluster=2)
    assert snapshot(f) == before


def test_cannot_link_between_points_told_into_the_same_cluster_conflicts():
    f = store()
    a = f.include([1], cluster=2)
    b = f.include([8], cluster=2)
    with pytest.raises(FeedbackConflictError) as info:
        f.cannot_link(1, 8)
    assert str(a) in str(info.value) and str(b) in str(info.value)


def test_a_refused_constraint_does_not_use_up_an_id():
    f = store()
    f.must_link(1, 2)
    with pytest.raises(FeedbackConflictError):
        f.cannot_link(1, 2)
    assert f.include([5], cluster=0).id == 1


# ================================================================ history


def test_undo_redo_remove_and_clear():
    f = store()
    a = f.include([1], cluster=0)
    b = f.exclude([2], cluster=1)
    c = f.must_link(3, 4)
    f.undo()
    assert f.items == (a, b) and f.can_redo
    f.redo()
    assert f.items == (a, b, c) and not f.can_redo
    assert f.remove(b.id) == b
    assert f.items == (a, c)
    f.undo()  # a removal is undone like anything else
    assert f.items == (a, b, c)
    f.clear()
    assert len(f) == 0
    f.undo()
    assert f.items == (a, b, c)
    new = f.include([9], cluster=2)
    assert not f.can_redo  # a new change drops what could be redone
    assert new.id == 3
    with pytest.raises(KeyError, match=r"no feedback with id 42.*\[0, 1, 2, 3\]"):
        f.remove(42)


def test_undo_and_redo_with_nothing_to_do_say_so():
    f = store()
    with pytest.raises(IndexError, match="nothing to undo"):
        f.undo()
    with pytest.raises(IndexError, match="nothing to redo"):
        f.redo()


def test_every_change_bumps_the_version_a_refusal_does_not():
    f = store()
    versions = [f.version]
    f.include([1], cluster=0)
    versions.append(f.version)
    with pytest.raises(FeedbackConflictError):
        f.exclude([1], cluster=0)
    versions.append(f.version)
    f.undo()
    versions.append(f.version)
    assert versions[0] < versions[1] == versions[2] < versions[3]


# ================================================================ JSON


def test_json_round_trip_keeps_every_constraint():
    f = store(n=30, k=4, strength=10.0)
    f.include([1, 2], cluster=3, strength=99)
    f.exclude([5], cluster=0)
    f.must_link([6, 7, 8])
    f.cannot_link([9], [10, 11])
    f.remove(1)
    g = Feedback.from_json(f.to_json())
    assert g.items == f.items
    assert (g.n_samples, g.n_clusters, g.default_strength) == (30, 4, 10.0)
    np.testing.assert_array_equal(g.to_matrix(), f.to_matrix())
    assert g.include([12], cluster=0).id == 4  # ids keep counting where they stopped
    assert Constraint.from_dict(f.items[0].to_dict()) == f.items[0]


def test_json_with_contradicting_constraints_is_refused():
    f = store()
    f.include([1], cluster=0)
    data = f.to_dict()
    data["constraints"].append({"id": 1, "kind": "exclude", "indices": [1], "cluster": 0})
    with pytest.raises(FeedbackConflictError):
        Feedback.from_dict(data)


# ================================================================ cluster edits through a model


@pytest.fixture(scope="module")
def _four_classes():
    """Four one-hot classes, clustered one class per cluster."""
    X, y = nc.datasets.paper_onehot(n_per_class=25)
    model = DEC(4, pretrain_epochs=30, epochs=10, random_state=0, device="cpu").fit(X)
    assert nc.metrics.cluster_accuracy(y, model.labels_) == 1.0
    return model


@pytest.fixture
def model(_four_classes):
    return copy.deepcopy(_four_classes)


def test_merge_reduces_k_remaps_feedback_and_keeps_other_clusters(model):
    labels = model.labels_.copy()
    member = {j: int(np.flatnonzero(labels == j)[0]) for j in range(4)}
    model.feedback.include([member[1]], cluster=1)  # on the merged-away cluster
    model.feedback.exclude([member[3]], cluster=3)  # on a cluster numbered above it
    model.feedback.include([member[0]], cluster=0)  # on a cluster below it
    record = model.merge_clusters(2, 1)
    assert record.kind == "merge"
    assert model.n_clusters_ == 3 and model.cluster_centers_.shape[0] == 3
    assert model.feedback.n_clusters == 3
    # 1 goes into the merged cluster, which is renumbered 2 -> 1; 3 moves down to 2; 0 stays.
    assert [c.cluster for c in model.feedback.items[:3]] == [1, 2, 0]
    # Points of the clusters that took no part keep their cluster (renumbered).
    np.testing.assert_array_equal(model.labels_[labels == 0], 0)
    np.testing.assert_array_equal(model.labels_[labels == 3], 2)
    assert model.labels_.max() <= 2


def test_merge_puts_the_members_of_both_clusters_in_the_merged_cluster(model):
    # The merged centre alone can sit nearer a third cluster than to half of the merged points;
    # the merge records its members as soft targets, so refining gathers them.
    labels = model.labels_.copy()
    record = model.merge_clusters(0, 1)
    assert record.describe() == "clusters 0 and 1 merged into cluster 0"
    model.refine(30)
    assert (model.labels_[(labels == 0) | (labels == 1)] == 0).all()
    assert len(model.feedback.marked_points()) == 0  # a merge outlines no points


def test_split_adds_a_cluster_from_the_split_ones_members(model):
    labels = model.labels_.copy()
    record = model.split_cluster(2)
    assert (record.kind, record.cluster, record.other_cluster) == ("split", 2, 4)
    assert model.n_clusters_ == 5 and model.feedback.n_clusters == 5
    moved = model.labels_[labels == 2]
    assert set(np.unique(moved)) == {2, 4}  # both halves are populated, by its members only
    np.testing.assert_array_equal(model.labels_[labels != 2], labels[labels != 2])


def test_split_seeded_by_chosen_points(model):
    labels = model.labels_.copy()
    # What a lasso picks: one side of the cluster (its points furthest along its main axis).
    members = np.flatnonzero(labels == 1)
    latent = model.embedding_[members] - model.embedding_[members].mean(0)
    axis = np.linalg.svd(latent, full_matrices=False)[2][0]
    seed = members[np.argsort(latent @ axis)[-8:]]
    model.split_cluster(1, indices=seed)
    assert model.n_clusters_ == 5
    np.testing.assert_array_equal(model.labels_[seed], 4)
    np.testing.assert_array_equal(model.labels_[labels != 1], labels[labels != 1])


def test_new_cluster_opens_at_the_chosen_points_and_keeps_them_there(model):
    labels = model.labels_.copy()
    seed = np.flatnonzero(labels == 3)[:4]
    record = model.new_cluster(seed)
    assert model.n_clusters_ == 5 and record.cluster == 4
    np.testing.assert_array_equal(model.labels_[seed], 4)
    np.testing.assert_array_equal(model.labels_[labels != 3], labels[labels != 3])
    t = model.feedback.to_matrix()  # the seeds are told to stay in the new cluster
    assert t.shape == (100, 5) and (t[seed, 4] == model.feedback.default_strength).all()


def test_undo_of_a_cluster_edit_restores_centres_k_and_labels(model):
    labels, centers = model.labels_.copy(), model.cluster_centers_
    for edit in (lambda: model.merge_clusters(0, 3), lambda: model.split_cluster(1),
                 lambda: model.new_cluster([0, 4])):
        edit()
        edited_labels, edited_centers = model.labels_.copy(), model.cluster_centers_
        model.feedback.undo()
        assert model.n_clusters_ == 4 and model.feedback.n_clusters == 4
        np.testing.assert_array_equal(model.cluster_centers_, centers)
        np.testing.assert_array_equal(model.labels_, labels)
        model.feedback.redo()
        np.testing.assert_array_equal(model.cluster_centers_, edited_centers)
        np.testing.assert_array_equal(model.labels_, edited_labels)
        model.feedback.undo()


def test_a_merge_that_would_contradict_the_feedback_is_refused(model):
    labels = model.labels_.copy()
    point = int(np.flatnonzero(labels == 0)[0])
    inc = model.feedback.include([point], cluster=0)
    exc = model.feedback.exclude([point], cluster=1)
    centers, version = model.cluster_centers_, model.feedback.version
    with pytest.raises(FeedbackConflictError) as info:
        model.merge_clusters(0, 1)
    assert f"#{inc.id} include" in str(info.value) and f"#{exc.id} exclude" in str(info.value)
    assert model.n_clusters_ == 4 and model.feedback.version == version
    np.testing.assert_array_equal(model.cluster_centers_, centers)
    np.testing.assert_array_equal(model.labels_, labels)


def test_cluster_edits_are_undone_with_undo_not_remove(model):
    record = model.merge_clusters(0, 1)
    with pytest.raises(ValueError, match="use undo"):
        model.feedback.remove(record.id)


def test_refine_trains_with_the_edited_number_of_clusters(model):
    model.merge_clusters(0, 1)
    model.refine(2)
    assert model.n_clusters_ == 3
    assert model.predict_proba(np.eye(4, dtype=np.float32)).shape == (4, 3)
    assert model.labels_.max() <= 2


def test_a_conflict_through_links_names_the_new_constraint_and_all_it_runs_into():
    f = store(n=10, k=3)
    inc_a = f.include([0], cluster=1)
    inc_b = f.include([5], cluster=1)
    apart = f.cannot_link(0, 7)
    with pytest.raises(FeedbackConflictError) as err:
        f.must_link(7, 5)  # 7 would join 5 in cluster 1, where 0 already is
    message = str(err.value)
    assert message.startswith("#3 must_link")
    for c in (inc_a, inc_b, apart):
        assert f"#{c.id} " in message
    assert len(f) == 3


def test_misplaced_lists_points_outside_their_class_cluster_with_where_they_belong():
    y = np.array(["a", "a", "b", "b", "c"], dtype=object)
    labels = np.array([0, 1, 1, 1, 2])
    points, clusters = nc.metrics.misplaced(y, labels)
    np.testing.assert_array_equal(points, [1])
    np.testing.assert_array_equal(clusters, [0])
    assert nc.metrics.cluster_mapping(pd.Series(y), labels) == {0: "a", 1: "b", 2: "c"}
