"""The feedback store: what the person said about the clustering, kept consistent and undoable.

A `Feedback` holds constraints - "these points are in cluster j", "not in cluster j", "these go
together", "these are apart" - and cluster edits (merge, split, new cluster). It checks every new
constraint against the ones already given, so contradicting feedback is refused with a message that
names both sides and leaves the store as it was. It knows nothing of torch or of the estimator; the
estimator reads it through `to_matrix` (the paper's T) and `included_clusters`, `excluded_mask`,
`pairs` (the robust mode), and does the geometry of cluster edits through the `ClusterGeometry`
hooks it registers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

import numpy as np

POINT_KINDS = ("include", "exclude", "must_link", "cannot_link")
CLUSTER_KINDS = ("merge", "split", "new_cluster")


class FeedbackConflictError(ValueError):
    """Raised when new feedback contradicts feedback already given; the store is left unchanged."""


@dataclass(frozen=True)
class Constraint:
    """One piece of feedback.

    kind: "include" (indices in `cluster`), "exclude" (indices not in `cluster`), "must_link"
    (all `indices` together), "cannot_link" (no point of `indices` with any point of `others`),
    "merge" (clusters `source_clusters` became `cluster`; `indices` were their members),
    "split" (`cluster` split, the part holding `indices` numbered `other_cluster`),
    "new_cluster" (`indices` seed the new cluster `cluster`).

    The members recorded by a merge or split are soft targets: they steer training toward the
    edited clusters, yield to any explicit constraint, and never raise a conflict.
    """

    id: int
    kind: str
    indices: tuple[int, ...] = ()
    others: tuple[int, ...] = ()
    cluster: int | None = None
    other_cluster: int | None = None
    strength: float | None = None
    source_clusters: tuple[int, ...] = ()

    @property
    def soft_target(self) -> int | None:
        """The cluster a merge or split asks its recorded members to be in (None otherwise)."""
        if self.kind == "merge":
            return self.cluster
        if self.kind == "split":
            return self.other_cluster
        return None

    def describe(self) -> str:
        """A short human-readable sentence, as the widget's feedback panel shows it."""
        pts = _format_points(self.indices)
        if self.kind == "include":
            return f"{pts} in cluster {self.cluster}"
        if self.kind == "exclude":
            return f"{pts} not in cluster {self.cluster}"
        if self.kind == "must_link":
            return f"{pts} together"
        if self.kind == "cannot_link":
            return f"{pts} apart from {_format_points(self.others)}"
        if self.kind == "merge":
            a, b = self.source_clusters or (self.cluster, self.other_cluster)
            return f"clusters {a} and {b} merged into cluster {self.cluster}"
        if self.kind == "split":
            return f"cluster {self.cluster} split; new cluster {self.other_cluster}"
        if self.kind == "new_cluster":
            return f"new cluster {self.cluster} from {pts}"
        return self.kind

    def __str__(self) -> str:
        return f"#{self.id} {self.kind} ({self.describe()})"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind}
        for name in ("indices", "others", "source_clusters"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        for name in ("cluster", "other_cluster", "strength"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Constraint:
        return cls(
            id=int(d["id"]),
            kind=str(d["kind"]),
            indices=tuple(int(i) for i in d.get("indices", ())),
            others=tuple(int(i) for i in d.get("others", ())),
            cluster=None if d.get("cluster") is None else int(d["cluster"]),
            other_cluster=None if d.get("other_cluster") is None else int(d["other_cluster"]),
            strength=None if d.get("strength") is None else float(d["strength"]),
            source_clusters=tuple(int(j) for j in d.get("source_clusters", ())),
        )


def _format_points(indices: Sequence[int], most: int = 4) -> str:
    if len(indices) == 1:
        return f"point {indices[0]}"
    shown = ", ".join(str(i) for i in indices[:most])
    more = f", … (+{len(indices) - most})" if len(indices) > most else ""
    return f"points {shown}{more}"


class ClusterGeometry(Protocol):
    """What a cluster edit needs from the model: centres in, centres out (numpy, shape (k, m))."""

    def get_centers(self) -> np.ndarray: ...

    def set_centers(self, centers: np.ndarray) -> None: ...

    def latent_of(self, indices: np.ndarray) -> np.ndarray: ...

    def members_of(self, cluster: int) -> np.ndarray: ...

    @property
    def lock(self) -> AbstractContextManager:
        """Held while the model trains an epoch; edits of the centroids wait for it."""
        ...


@dataclass(frozen=True)
class _State:
    constraints: tuple[Constraint, ...]
    n_clusters: int
    centers: np.ndarray | None = field(default=None, compare=False)


class Feedback:
    """The constraint store of one model: add, check, undo/redo, export for training, save.

    Thread-safe: the widget adds feedback from the comm thread while the estimator trains; the
    training loop reads a consistent `snapshot()` at each epoch boundary.
    """

    def __init__(
        self,
        n_samples: int | None = None,
        n_clusters: int | None = None,
        default_strength: float = 1000.0,
    ):
        self.n_samples = n_samples
        self.n_clusters = n_clusters
        self.default_strength = float(default_strength)
        self.geometry: ClusterGeometry | None = None
        self._constraints: tuple[Constraint, ...] = ()
        self._undo: list[_State] = []
        self._redo: list[_State] = []
        self._next_id = 0
        self._version = 0
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ reading
    @property
    def items(self) -> tuple[Constraint, ...]:
        """The constraints in force, oldest first."""
        return self._constraints

    @property
    def version(self) -> int:
        """Grows by one with every change; the training loop uses it to notice new feedback."""
        return self._version

    def __iter__(self) -> Iterator[Constraint]:
        return iter(self._constraints)

    def __len__(self) -> int:
        return len(self._constraints)

    def __bool__(self) -> bool:
        return True

    # A lock cannot be pickled or deep-copied; a copy gets a fresh one (and so does the estimator
    # that owns this store, which pickles with it).
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        lines = [f"Feedback({len(self)} constraints, n_clusters={self.n_clusters})"]
        lines += [f"  {c}" for c in self._constraints]
        return "\n".join(lines)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def snapshot(self) -> tuple[tuple[Constraint, ...], int | None, int]:
        """(constraints, n_clusters, version), read atomically."""
        with self._lock:
            return self._constraints, self.n_clusters, self._version

    def marked_points(self) -> np.ndarray:
        """Sorted indices of every point that some point constraint names (not a merge's members)."""
        pts: set[int] = set()
        for c in self._constraints:
            if c.soft_target is not None:
                continue
            pts.update(c.indices)
            pts.update(c.others)
        return np.fromiter(sorted(pts), dtype=np.int64, count=len(pts))

    # ------------------------------------------------------------------ adding point feedback
    def include(self, indices, cluster: int, strength: float | None = None) -> Constraint:
        """Say that the points `indices` belong in `cluster`."""
        return self._add(
            "include", indices=self._points(indices), cluster=self._cluster(cluster),
            strength=self._strength(strength),
        )

    def exclude(self, indices, cluster: int, strength: float | None = None) -> Constraint:
        """Say that the points `indices` do not belong in `cluster`."""
        return self._add(
            "exclude", indices=self._points(indices), cluster=self._cluster(cluster),
            strength=self._strength(strength),
        )

    def must_link(self, a, b=None, strength: float | None = None) -> Constraint:
        """Say that points go together: `must_link(4, 9)`, or a whole group `must_link([4, 9, 11])`."""
        group = self._points(a if b is None else np.concatenate([np.ravel(a), np.ravel(b)]))
        if len(group) < 2:
            raise ValueError("must_link needs at least two different points")
        return self._add("must_link", indices=group, strength=self._strength(strength))

    def cannot_link(self, a, b, strength: float | None = None) -> Constraint:
        """Say that no point of `a` goes with any point of `b` (each an index or a list)."""
        left, right = self._points(a), self._points(b)
        shared = sorted(set(left) & set(right))
        if shared:
            raise ValueError(f"cannot_link: point {shared[0]} is on both sides")
        return self._add(
            "cannot_link", indices=left, others=right, strength=self._strength(strength)
        )

    # ------------------------------------------------------------------ cluster edits
    def merge_clusters(self, a: int, b: int) -> Constraint:
        """Fold cluster `b` into cluster `a`; clusters numbered above `b` move down by one."""
        a, b = self._cluster(a), self._cluster(b)
        if a == b:
            raise ValueError("merge_clusters needs two different clusters")
        geometry = self._need_geometry("merge_clusters")
        with geometry.lock, self._lock:
            centers = geometry.get_centers()
            size_a, size_b = len(geometry.members_of(a)), len(geometry.members_of(b))
            merged = (centers[a] * max(size_a, 1) + centers[b] * max(size_b, 1)) / (
                max(size_a, 1) + max(size_b, 1)
            )
            new_centers = np.delete(centers, b, axis=0)
            new_centers[a - (a > b)] = merged

            def remap(j: int | None) -> int | None:
                if j is None:
                    return None
                j = a if j == b else j
                return j - 1 if j > b else j

            remapped = tuple(replace(c, cluster=remap(c.cluster),
                                     other_cluster=remap(c.other_cluster))
                             for c in self._constraints)
            members = np.union1d(geometry.members_of(a), geometry.members_of(b))
            record = Constraint(self._next_id, "merge", indices=tuple(int(i) for i in members),
                                cluster=remap(a), source_clusters=(a, b))
            try:
                # "5 in cluster a" and "5 not in cluster b" cannot both hold once a and b are one.
                self._check(remapped + (record,), self.n_clusters - 1, record)
            except FeedbackConflictError as err:
                raise FeedbackConflictError(
                    f"merging cluster {b} into cluster {a} would make the feedback contradict "
                    f"itself (numbers as after the merge): {err}"
                ) from None
            return self._commit(remapped + (record,), self.n_clusters - 1, centers, new_centers)

    def split_cluster(self, cluster: int, indices=None) -> Constraint:
        """Split `cluster` in two: the new part is seeded by `indices`, or by 2-means inside it."""
        j = self._cluster(cluster)
        geometry = self._need_geometry("split_cluster")
        with geometry.lock, self._lock:
            centers = geometry.get_centers()
            members = geometry.members_of(j)
            if indices is not None:
                seed = self._points(indices)
                seed_center = geometry.latent_of(np.asarray(seed)).mean(0)
                rest = np.setdiff1d(members, seed)
                keep_center = geometry.latent_of(rest).mean(0) if len(rest) else centers[j]
            else:
                if len(members) < 2:
                    raise ValueError(f"cluster {j} has {len(members)} point(s): nothing to split")
                from sklearn.cluster import KMeans

                km = KMeans(2, n_init=10, random_state=0).fit(geometry.latent_of(members))
                keep_center, seed_center = km.cluster_centers_
                seed = tuple(int(i) for i in members[km.labels_ == 1])
            new_centers = np.vstack([centers, seed_center[None, :]])
            new_centers[j] = keep_center
            k_new = self.n_clusters
            constraints = self._constraints
            record = Constraint(
                self._next_id, "split", indices=tuple(seed), cluster=j, other_cluster=k_new
            )
            return self._commit(constraints + (record,), k_new + 1, centers, new_centers)

    def new_cluster(self, indices, strength: float | None = None) -> Constraint:
        """Open a new cluster seeded at the selection; the selected points are told to go there."""
        seed = self._points(indices)
        geometry = self._need_geometry("new_cluster")
        with geometry.lock, self._lock:
            centers = geometry.get_centers()
            new_centers = np.vstack([centers, geometry.latent_of(np.asarray(seed)).mean(0)[None]])
            record = Constraint(
                self._next_id, "new_cluster", indices=seed, cluster=self.n_clusters,
                strength=self._strength(strength),
            )
            self._check(self._constraints + (record,), self.n_clusters + 1, record)
            return self._commit(
                self._constraints + (record,), self.n_clusters + 1, centers, new_centers
            )

    # ------------------------------------------------------------------ history
    def remove(self, constraint_id: int) -> Constraint:
        """Take back one point constraint by its id (cluster edits are taken back with `undo`)."""
        with self._lock:
            for c in self._constraints:
                if c.id == constraint_id:
                    if c.kind in CLUSTER_KINDS:
                        raise ValueError(
                            f"{c} is a cluster edit; use undo() to take it back in order"
                        )
                    rest = tuple(x for x in self._constraints if x.id != constraint_id)
                    self._commit(rest, self.n_clusters)
                    return c
            raise KeyError(f"no feedback with id {constraint_id}; ids in force: "
                           f"{[c.id for c in self._constraints]}")

    def undo(self) -> None:
        """Take back the last change (constraint, removal, cluster edit or clear)."""
        self._travel(self._undo, self._redo, "undo")

    def redo(self) -> None:
        """Apply again the change that `undo` took back."""
        self._travel(self._redo, self._undo, "redo")

    def _travel(self, source: list[_State], target: list[_State], word: str) -> None:
        """Restore the newest state of `source`, keeping the current one on `target`."""
        with self._geometry_lock(), self._lock:
            if not source:
                raise IndexError(f"nothing to {word}")
            target.append(self._current_state(source[-1].centers is not None))
            self._restore(source.pop())

    def clear(self) -> None:
        """Drop every point constraint (undoable). Cluster edits already made stay."""
        with self._lock:
            kept = tuple(c for c in self._constraints if c.kind in CLUSTER_KINDS)
            self._commit(kept, self.n_clusters)

    # ------------------------------------------------------------------ export for training
    def to_matrix(self, n: int | None = None, k: int | None = None,
                  strength: float | None = None) -> np.ndarray:
        """The paper's feedback matrix T (n, k): +s "in cluster j", -s "not in j", 1 elsewhere."""
        n = self.n_samples if n is None else n
        k = self.n_clusters if k is None else k
        if n is None or k is None:
            raise ValueError("to_matrix needs n and k (or a fitted model's feedback)")
        t = np.ones((n, k), dtype=np.float32)
        soft_first = sorted(self._constraints, key=lambda c: c.soft_target is None)
        for c in soft_first:
            s = float(strength if strength is not None else (c.strength or self.default_strength))
            rows = list(c.indices)
            if c.soft_target is not None:
                t[rows, c.soft_target] = s
            elif c.kind in ("include", "new_cluster"):
                t[rows] = 1.0  # an explicit "in j" overrides a merge's or split's soft target
                t[rows, c.cluster] = s
            elif c.kind == "exclude":
                t[list(c.indices), c.cluster] = -s
        return t

    def included_clusters(self, n: int | None = None) -> np.ndarray:
        """(n,) the cluster each point was told to be in, -1 where none; must-links propagate it."""
        n = self.n_samples if n is None else n
        out = np.full(n, -1, dtype=np.int64)
        for c in self._constraints:
            if c.soft_target is not None:
                out[list(c.indices)] = c.soft_target
        for c in self._constraints:
            if c.kind in ("include", "new_cluster"):
                out[list(c.indices)] = c.cluster
        components = _Components(self._constraints)
        for group in components.groups():
            told = out[group]
            told = told[told >= 0]
            if len(told):
                out[group] = told[0]
        return out

    def excluded_mask(self, n: int | None = None, k: int | None = None) -> np.ndarray:
        """(n, k) True where a point was told it is not in a cluster."""
        n = self.n_samples if n is None else n
        k = self.n_clusters if k is None else k
        out = np.zeros((n, k), dtype=bool)
        for c in self._constraints:
            if c.kind == "exclude":
                out[list(c.indices), c.cluster] = True
        return out

    def pairs(self, kind: str) -> np.ndarray:
        """(m, 2) index pairs of all "must_link" or "cannot_link" constraints."""
        rows: list[tuple[int, int]] = []
        for c in self._constraints:
            if c.kind != kind:
                continue
            if kind == "must_link":
                rows += [(c.indices[0], i) for i in c.indices[1:]]
            else:
                rows += [(i, j) for i in c.indices for j in c.others]
        return np.array(rows, dtype=np.int64).reshape(-1, 2)

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            "n_samples": self.n_samples,
            "n_clusters": self.n_clusters,
            "default_strength": self.default_strength,
            "next_id": self._next_id,
            "constraints": [c.to_dict() for c in self._constraints],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Feedback:
        store = cls(d.get("n_samples"), d.get("n_clusters"), d.get("default_strength", 1000.0))
        constraints = tuple(Constraint.from_dict(c) for c in d.get("constraints", ()))
        if constraints and store.n_clusters is not None:
            store._check(constraints, store.n_clusters, constraints[-1])
        store._constraints = constraints
        store._next_id = int(d.get("next_id", max((c.id for c in constraints), default=-1) + 1))
        return store

    @classmethod
    def from_json(cls, text: str) -> Feedback:
        return cls.from_dict(json.loads(text))

    def load_state(self, other: Feedback) -> None:
        """Take the constraints of `other` (e.g. read from JSON), keeping this store's owner."""
        with self._lock:
            self._commit(other._constraints, other.n_clusters or self.n_clusters)
            self._next_id = max(self._next_id, other._next_id)

    # ------------------------------------------------------------------ internals
    def _points(self, indices) -> tuple[int, ...]:
        if self.n_samples is None:
            raise ValueError("feedback needs a fitted model: call fit(X) first")
        arr = np.asarray(indices)
        if arr.dtype == bool:
            if arr.shape != (self.n_samples,):
                raise IndexError(
                    f"a boolean mask must have one entry per point ({self.n_samples}), "
                    f"got shape {arr.shape}"
                )
            arr = np.flatnonzero(arr)
        arr = np.ravel(arr)
        if arr.size == 0:
            raise ValueError("no points given: select some points first")
        if not np.issubdtype(arr.dtype, np.integer):
            if np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
                arr = arr.astype(np.int64)
            else:
                raise IndexError(f"point indices must be integers, got {arr.dtype}")
        bad = arr[(arr < 0) | (arr >= self.n_samples)]
        if bad.size:
            raise IndexError(
                f"point index {int(bad[0])} is out of range: the data has {self.n_samples} "
                f"points (valid indices 0..{self.n_samples - 1})"
            )
        return tuple(int(i) for i in np.unique(arr))

    def _cluster(self, cluster) -> int:
        if self.n_clusters is None:
            raise ValueError("feedback needs a fitted model: call fit(X) first")
        if isinstance(cluster, (bool, np.bool_)) or not isinstance(cluster, (int, np.integer)):
            raise IndexError(f"cluster must be an integer, got {cluster!r}")
        if not 0 <= int(cluster) < self.n_clusters:
            raise IndexError(
                f"cluster {cluster} is out of range: the model has {self.n_clusters} clusters "
                f"(0..{self.n_clusters - 1})"
            )
        return int(cluster)

    @staticmethod
    def _strength(strength) -> float | None:
        if strength is None:
            return None
        s = float(strength)
        if not np.isfinite(s) or s <= 0:
            raise ValueError(f"strength must be a positive number, got {strength!r}")
        return s

    def _geometry_lock(self) -> AbstractContextManager:
        return self.geometry.lock if self.geometry is not None else nullcontext()

    def _need_geometry(self, what: str) -> ClusterGeometry:
        if self.geometry is None:
            raise ValueError(f"{what} needs a fitted model: call fit(X) first")
        return self.geometry

    def _add(self, kind: str, **fields) -> Constraint:
        with self._lock:
            record = Constraint(self._next_id, kind, **fields)
            candidate = self._constraints + (record,)
            self._check(candidate, self.n_clusters, record)
            return self._commit(candidate, self.n_clusters)

    def _commit(self, constraints, n_clusters, centers_before=None, centers_after=None):
        """Record the current state for undo, then switch to the new one."""
        self._undo.append(self._current_state(False, centers_before))
        self._redo.clear()
        if centers_after is not None:
            self.geometry.set_centers(centers_after)
        self._constraints = tuple(constraints)
        self.n_clusters = n_clusters
        self._version += 1
        new = [c for c in self._constraints if c.id >= self._next_id]
        self._next_id = max([self._next_id] + [c.id + 1 for c in new])
        return new[-1] if new else None

    def _current_state(self, with_centers: bool, centers=None) -> _State:
        if with_centers and centers is None and self.geometry is not None:
            centers = self.geometry.get_centers()
        return _State(self._constraints, self.n_clusters, centers)

    def _restore(self, state: _State) -> None:
        if state.centers is not None:
            self.geometry.set_centers(state.centers)
        self._constraints = state.constraints
        self.n_clusters = state.n_clusters
        self._version += 1

    def _check(self, constraints: tuple[Constraint, ...], n_clusters, new: Constraint) -> None:
        """Raise FeedbackConflictError naming `new` and the constraint it contradicts."""
        components = _Components(constraints)
        told_in: dict[int, tuple[int, Constraint]] = {}  # component root -> (cluster, source)
        told_out: dict[tuple[int, int], Constraint] = {}  # (root, cluster) -> source
        # Check older constraints first so the message names the newest one as the newcomer.
        ordered = sorted(constraints, key=lambda c: c is new)
        for c in ordered:
            if c.kind in ("include", "new_cluster"):
                for i in c.indices:
                    root = components.find(i)
                    if root in told_in and told_in[root][0] != c.cluster:
                        _conflict(c, told_in[root][1], components, i)
                    told_in.setdefault(root, (c.cluster, c))
                    if (root, c.cluster) in told_out:
                        _conflict(c, told_out[(root, c.cluster)], components, i)
            elif c.kind == "exclude":
                for i in c.indices:
                    root = components.find(i)
                    told_out.setdefault((root, c.cluster), c)
                    if root in told_in and told_in[root][0] == c.cluster:
                        _conflict(c, told_in[root][1], components, i)
                    if n_clusters is not None and all(
                        (root, j) in told_out for j in range(n_clusters)
                    ):
                        raise FeedbackConflictError(
                            f"{c} leaves point {i} no cluster: it is excluded from all "
                            f"{n_clusters}. Remove one of the exclusions first."
                        )
        for c in ordered:
            if c.kind != "cannot_link":
                continue
            for i in c.indices:
                for j in c.others:
                    ri, rj = components.find(i), components.find(j)
                    if ri == rj:
                        _refuse(new, [c, *components.path(i, j)],
                                f"points {i} and {j} are linked together")
                    ci, cj = told_in.get(ri), told_in.get(rj)
                    if ci and cj and ci[0] == cj[0]:
                        _refuse(new, [c, ci[1], cj[1]],
                                f"points {i} and {j} are both told to be in cluster {ci[0]}")


def _refuse(new: Constraint, involved: list[Constraint], reason: str) -> None:
    """Raise a conflict that names the new constraint and every other one it runs into."""
    others = [c for c in dict.fromkeys(involved) if c is not new]
    raise FeedbackConflictError(
        f"{new} contradicts {', '.join(map(str, others))}: {reason}. Remove one of them first "
        f"(e.g. feedback.remove({others[-1].id})) or undo()."
    )


def _conflict(new: Constraint, old: Constraint, components: _Components, point: int) -> None:
    if new is old:
        raise FeedbackConflictError(f"{new} contradicts itself at point {point}")
    linked = ""
    if set(old.indices) and point not in old.indices:
        other = next(iter(old.indices))
        chain = components.path(point, other)
        if chain:
            linked = f" through {', '.join(map(str, chain))}"
    raise FeedbackConflictError(
        f"{new} contradicts {old}{linked} at point {point}. "
        f"Remove one of them first (feedback.remove({old.id}) or undo())."
    )


class _Components:
    """Connected components of the must-link graph, with the constraints along a path."""

    def __init__(self, constraints: Iterable[Constraint]):
        self._parent: dict[int, int] = {}
        self._edges: dict[int, list[tuple[int, Constraint]]] = {}
        for c in constraints:
            if c.kind == "must_link":
                first = c.indices[0]
                for i in c.indices[1:]:
                    self._union(first, i)
                    self._edges.setdefault(first, []).append((i, c))
                    self._edges.setdefault(i, []).append((first, c))

    def find(self, i: int) -> int:
        parent = self._parent
        root = i
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(i, i) != root:
            parent[i], i = root, parent[i]
        return root

    def _union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        by_root: dict[int, list[int]] = {}
        for i in self._edges:
            by_root.setdefault(self.find(i), []).append(i)
        return list(by_root.values())

    def path(self, a: int, b: int) -> list[Constraint]:
        """The must-link constraints on a shortest chain from a to b (empty if a == b or none)."""
        if a == b:
            return []
        previous: dict[int, tuple[int, Constraint] | None] = {a: None}
        frontier = [a]
        while frontier:
            nxt = []
            for u in frontier:
                for v, c in self._edges.get(u, ()):
                    if v not in previous:
                        previous[v] = (u, c)
                        nxt.append(v)
            frontier = nxt
            if b in previous:
                break
        if b not in previous:
            return []
        chain: list[Constraint] = []
        node = b
        while previous[node] is not None:
            node, c = previous[node]
            if c not in chain:
                chain.append(c)
        return chain[::-1]
