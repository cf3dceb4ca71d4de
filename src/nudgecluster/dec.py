"""DEC, the scikit-learn estimator: pretrain, cluster, take feedback, refine, save.

The training loop lives here and nowhere else. It reads feedback at epoch boundaries, reports each
epoch to an optional callback, and stops cleanly at a batch boundary when `stop()` is called from
any thread. It knows nothing of widgets.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from . import losses
from ._validation import reject_non_finite_rows, reject_non_numeric_columns
from .feedback import Feedback
from .nn import ARCHITECTURES, DEFAULT_LATENT_DIM, Autoencoder, soft_assignment, target_distribution

FEEDBACK_MODES = ("robust", "paper")
OPTIMIZERS = ("adam", "sgd")
PRECISIONS = ("float32", "bfloat16")
#: DEC's clustering step size with optimizer="sgd" (Xie et al., 2016).
SGD_LEARNING_RATE = 0.01
#: Default strength |t_ij| of a constraint, per feedback mode.
#: In robust mode the strength weights a constrained row against an ordinary one (whose weight
#: is 1); 30 moves a whole group with a few corrections yet leaves a border point's correct
#: neighbours where they are (docs/feedback.md has the measurements behind the choice).
DEFAULT_STRENGTH = {"paper": 1000.0, "robust": 30.0}
#: Robust mode keeps the autoencoder's reconstruction loss while refining (IDEC) at this weight.
ROBUST_RECONSTRUCTION_WEIGHT = 1.0
#: Activations in the widest layer per forward pass when encoding the whole data set (4 MiB
#: of float32): bounds the memory of an encode whatever the data's size or the network's width.
#: Blocks this size also stay in cache: 2000-wide layers encode faster than at 4x the rows.
_ENCODE_ELEMENTS = 1 << 20
_FORMAT_VERSION = 1
#: What scikit-learn's validate_data records about the training columns.
_INPUT_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


@dataclass
class Progress:
    """What the callback receives after each epoch.

    For the clustering phases ("cluster", "refine") `embedding` (n, m), `labels` (n,) and
    `confidence` (n,) describe the whole training set as the epoch's training pass saw it: each
    row where the encoder put it when its mini-batch was trained, so reporting costs no extra
    pass over the data. Epochs that end a run or precede a target update re-encode every row
    with the final weights, so after `fit` or `refine` returns (also when stopped) `labels_`
    and `embedding_` are exact.

    `loss` is the mean per row of what the epoch minimised: the reconstruction error while
    pretraining, then the clustering loss with its feedback terms. In paper mode, whose T-matrix
    has a gradient but no loss value, the clustering part is DEC's KL(P || Q).
    """

    phase: str
    epoch: int
    n_epochs: int
    loss: float
    delta_label: float | None = None
    embedding: np.ndarray | None = field(default=None, repr=False)
    labels: np.ndarray | None = field(default=None, repr=False)
    confidence: np.ndarray | None = field(default=None, repr=False)
    stopped: bool = False


Callback = Callable[[Progress], Any]


class DEC(ClusterMixin, TransformerMixin, BaseEstimator):
    """Deep Embedded Clustering that takes feedback.

    Parameters
    ----------
    n_clusters : int, default=3
    architecture : {"paper", "dec"} or tuple of int, default="paper"
        Hidden layer widths of the encoder. "paper" is d-50-50-20-m (Dudarin & Yarushkina, 2020),
        "dec" is d-500-500-2000-m (Xie et al., 2016); the decoder mirrors the encoder.
    latent_dim : int, optional
        m. Defaults to n_clusters for "paper" and tuples, 10 for "dec".
    alpha : float, default=1.0
        Degrees of freedom of the Student's t kernel.
    pretrain_epochs : int, default=200
        Autoencoder pretraining epochs (reconstruction MSE).
    epochs : int, default=100
        Most clustering epochs in `fit`; the tol rule may stop earlier. Also `refine`'s default.
    batch_size : int, default=64
    learning_rate : float, default=1e-3
        Adam's step size, for pretraining and (with optimizer="adam") clustering.
    optimizer : {"adam", "sgd"}, default="adam"
        Clustering-phase optimizer. "sgd" is DEC's original SGD (learning rate 0.01, momentum
        0.9), under which the paper's strength |t| scales the step itself.
    update_interval : int, default=10
        Epochs between two computations of the target distribution P over the whole data set.
    tol : float, default=1e-3
        `fit` stops when less than this share of points changed cluster between two target
        updates.
    corruption : float, default=0.0
        Share of input entries zeroed during pretraining (a denoising autoencoder when > 0).
    feedback_mode : {"robust", "paper"}, default="robust"
        "paper": the T-matrix gradient of Dudarin & Yarushkina. "robust": constraints rewrite the
        targets, must/cannot links act on soft assignments, and the reconstruction loss is kept.
    feedback_strength : float, optional
        Strength of a constraint: |t| in paper mode (default 1000); in robust mode the weight of a
        constrained row against an ordinary row's 1 (default 30).
    precision : {"float32", "bfloat16"}, default="float32"
        Arithmetic of the network's matrix products while training. "bfloat16" is mixed
        precision (torch.autocast): about twice as fast on CPUs with AVX512-BF16 or AMX and on
        recent GPUs, slower on CPUs without; weights, centroids, losses, `transform` and
        `predict` stay float32.
    reconstruction_weight : float or "auto", default="auto"
        Weight of the reconstruction loss while clustering (IDEC). "auto": 0 in `fit` and in paper
        mode (pure DEC), 1 when refining in robust mode.
    n_init : int, default=10
        k-means restarts for the initial centroids.
    device : str, default="auto"
        "auto" (CUDA if available, else CPU), "cpu", "cuda", ...
    random_state : int, RandomState or None
        Makes runs repeatable on CPU.
    verbose : bool, default=False
        Show tqdm progress bars.

    Attributes
    ----------
    labels_, cluster_centers_ (latent space), embedding_ (latent training data), history_ (one
    dict per epoch), n_clusters_ (can change with cluster edits), n_features_in_, feedback.
    """

    def __init__(
        self,
        n_clusters: int = 3,
        *,
        architecture="paper",
        latent_dim: int | None = None,
        alpha: float = 1.0,
        pretrain_epochs: int = 200,
        epochs: int = 100,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        optimizer: str = "adam",
        update_interval: int = 10,
        tol: float = 1e-3,
        corruption: float = 0.0,
        feedback_mode: str = "robust",
        feedback_strength: float | None = None,
        precision: str = "float32",
        reconstruction_weight="auto",
        n_init: int = 10,
        device: str = "auto",
        random_state=None,
        verbose: bool = False,
    ):
        self.n_clusters = n_clusters
        self.architecture = architecture
        self.latent_dim = latent_dim
        self.alpha = alpha
        self.pretrain_epochs = pretrain_epochs
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.update_interval = update_interval
        self.tol = tol
        self.corruption = corruption
        self.feedback_mode = feedback_mode
        self.feedback_strength = feedback_strength
        self.precision = precision
        self.reconstruction_weight = reconstruction_weight
        self.n_init = n_init
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ================================================================== public API
    @property
    def feedback(self) -> Feedback:
        """The feedback store: `model.feedback.include([7], cluster=2)` and friends."""
        store = self.__dict__.get("_feedback")
        if store is None:
            store = self.__dict__["_feedback"] = Feedback(default_strength=self._strength())
        return store

    def fit(self, X, y=None, *, callback: Callback | None = None) -> DEC:
        """Pretrain the autoencoder, initialise centroids by k-means, then cluster (DEC).

        Fitting starts over: weights, centroids and feedback of an earlier fit are replaced.
        """
        self._check_params()
        # validate_data records the columns of X before its checks pass; a refused X must leave
        # a fitted model as it was, expecting the columns it was fitted on.
        fitted_columns = {name: self.__dict__[name] for name in _INPUT_ATTRIBUTES
                          if name in self.__dict__}
        try:
            data = self._validate(X, reset=True)
            if data.shape[0] < self.n_clusters:
                raise ValueError(
                    f"n_samples={data.shape[0]} should be >= n_clusters={self.n_clusters}: "
                    f"give more rows or ask for fewer clusters"
                )
        except Exception:
            for name in _INPUT_ATTRIBUTES:
                self.__dict__.pop(name, None)
            self.__dict__.update(fitted_columns)
            raise
        self._stop_event().clear()
        device = self._resolve_device()
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        hidden, latent = self._layer_sizes()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            network = Autoencoder(data.shape[1], hidden, latent).to(device)
        generator = torch.Generator().manual_seed(seed)

        self.device_ = device
        self._network = network
        self._generator = generator
        self._data = _TrainingData(data, device)
        self._optimizer = None
        self.history_ = []
        self._feedback = Feedback(data.shape[0], self.n_clusters, self._strength())
        self._feedback.geometry = _Geometry(self)

        self._pretrain(callback)
        z = self._encode(self._data)
        kmeans = KMeans(self.n_clusters, n_init=self.n_init, random_state=seed).fit(z)
        self._centers = torch.nn.Parameter(
            torch.as_tensor(kmeans.cluster_centers_, dtype=torch.float32, device=device)
        )
        q_all = self._set_outputs(torch.as_tensor(z, device=device))
        if not self._stop_event().is_set():
            self._cluster(self.epochs, phase="cluster", tol=self.tol, callback=callback,
                          q_all=q_all)
        return self

    def refine(self, epochs: int | None = None, X=None, *, callback: Callback | None = None,
               tol: float | None = None) -> DEC:
        """Continue training from the current weights and centroids under the feedback given.

        Runs `epochs` epochs (default: the `epochs` parameter) unless `stop()` is called or `tol`
        is given and reached. `X` is needed only after `load`, which does not store the data.
        """
        check_is_fitted(self)
        epochs = self.epochs if epochs is None else _positive_int(epochs, "epochs")
        if X is not None:
            data = self._validate(X, reset=False)
            if data.shape[0] != self._feedback.n_samples:
                raise ValueError(
                    f"X has {data.shape[0]} rows but the model was fitted on "
                    f"{self._feedback.n_samples}; feedback indices refer to those rows"
                )
            self._data = _TrainingData(data, self.device_)
        elif getattr(self, "_data", None) is None:
            raise ValueError("this model was loaded from disk without its data: call "
                             "refine(epochs, X=the training data)")
        self._stop_event().clear()
        self._cluster(epochs, phase="refine", tol=tol, callback=callback)
        return self

    def stop(self) -> None:
        """Ask a running fit/refine to end at the next batch boundary (safe from any thread)."""
        self._stop_event().set()

    def predict(self, X) -> np.ndarray:
        """The cluster of each row of X: argmax of `predict_proba`."""
        return self.predict_proba(X).argmax(1)

    def predict_proba(self, X) -> np.ndarray:
        """Q, the soft assignment of each row of X to each cluster (rows sum to 1)."""
        check_is_fitted(self)
        z = torch.as_tensor(self.transform(X), device=self.device_)
        with torch.no_grad():
            return soft_assignment(z, self._centers, self.alpha).cpu().numpy()

    def transform(self, X) -> np.ndarray:
        """The latent representation z = f(x) of each row of X, shape (n, m)."""
        check_is_fitted(self)
        data = self._validate(X, reset=False)
        return self._encode(_TrainingData(data, self.device_))

    def fit_predict(self, X, y=None, **kwargs) -> np.ndarray:
        return self.fit(X, **kwargs).labels_

    def merge_clusters(self, a: int, b: int):
        """Fold cluster b into a (feedback that changes k; undoable with feedback.undo())."""
        return self._structural(self.feedback.merge_clusters, a, b)

    def split_cluster(self, cluster: int, indices=None):
        """Split a cluster in two, seeded by `indices` or by 2-means inside it."""
        return self._structural(self.feedback.split_cluster, cluster, indices)

    def new_cluster(self, indices, strength: float | None = None):
        """Open a new cluster at the given points, which are told to go there."""
        return self._structural(self.feedback.new_cluster, indices, strength)

    @property
    def n_clusters_(self) -> int:
        check_is_fitted(self)
        return int(self._centers.shape[0])

    @property
    def cluster_centers_(self) -> np.ndarray:
        check_is_fitted(self)
        return self._centers.detach().cpu().numpy().copy()

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> Path:
        """Write weights (safetensors) with config, feedback and fitted state in its metadata."""
        from safetensors.torch import save_file

        check_is_fitted(self)
        tensors = {f"network.{k}": v.detach().cpu().contiguous()
                   for k, v in self._network.state_dict().items()}
        tensors["centers"] = self._centers.detach().cpu().contiguous()
        tensors["labels"] = torch.as_tensor(self.labels_, dtype=torch.int64)
        tensors["embedding"] = torch.as_tensor(self.embedding_)
        meta = {
            "format": "nudgecluster.DEC",
            "format_version": str(_FORMAT_VERSION),
            "params": json.dumps(_json_params(self.get_params())),
            "n_features_in": str(self.n_features_in_),
            "layers": json.dumps(self._layer_sizes_fitted()),
            "feedback": self._feedback.to_json(),
            "history": json.dumps(self.history_),
        }
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in"] = json.dumps([str(c) for c in self.feature_names_in_])
        path = Path(path)
        save_file(tensors, str(path), metadata=meta)
        return path

    @classmethod
    def load(cls, path, device: str | None = None) -> DEC:
        """Read a model written by `save`. No pickle: tensors and JSON only."""
        from safetensors import SafetensorError, safe_open
        from safetensors.torch import load_file

        try:
            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
        except SafetensorError as err:
            raise ValueError(f"{path} is not a nudgecluster model file ({err})") from err
        if meta.get("format") != "nudgecluster.DEC":
            raise ValueError(f"{path} is not a nudgecluster model file")
        if int(meta["format_version"]) > _FORMAT_VERSION:
            raise ValueError(f"{path} was written by a newer nudgecluster; upgrade to read it")
        params = json.loads(meta["params"])
        if isinstance(params.get("architecture"), list):
            params["architecture"] = tuple(params["architecture"])
        if device is not None:
            params["device"] = device
        model = cls(**params)
        tensors = load_file(str(path))
        n_features, hidden, latent = json.loads(meta["layers"])
        model.device_ = model._resolve_device()
        model._network = Autoencoder(n_features, hidden, latent).to(model.device_)
        model._network.load_state_dict(
            {k.removeprefix("network."): v for k, v in tensors.items() if k.startswith("network.")}
        )
        model._centers = torch.nn.Parameter(tensors["centers"].to(model.device_))
        model.labels_ = tensors["labels"].numpy()
        model.embedding_ = tensors["embedding"].numpy()
        model.n_features_in_ = int(meta["n_features_in"])
        if "feature_names_in" in meta:
            model.feature_names_in_ = np.asarray(json.loads(meta["feature_names_in"]), dtype=object)
        model.history_ = json.loads(meta.get("history", "[]"))
        model._feedback = Feedback.from_json(meta["feedback"])
        model._feedback.geometry = _Geometry(model)
        model._generator = torch.Generator().manual_seed(0)
        model._data = None
        model._optimizer = None
        return model

    # ================================================================== training
    def _pretrain(self, callback: Callback | None) -> None:
        network, data = self._network, self._data
        optimizer = _adam(network.parameters(), self.learning_rate)

        def batch_loss(batch):
            x = data.rows(batch)
            return torch.nn.functional.mse_loss(self._forward(network, self._corrupt(x))[1], x)

        for epoch in self._epoch_range(self.pretrain_epochs, "pretrain"):
            loss, stopped = self._run_epoch(optimizer, batch_loss)
            self._log("pretrain", epoch, self.pretrain_epochs, loss, None, callback,
                      stopped=stopped)
            if stopped:
                return

    def _run_epoch(self, optimizer, batch_loss) -> tuple[float, bool]:
        """One pass over the shuffled data; ends at a batch boundary when stop() was called.

        `batch_loss(batch)` gives the loss to minimise, or (that loss, the value to report) when
        the two differ. Returns the mean reported loss per row and whether training was stopped.
        """
        total = torch.zeros((), device=self.device_)  # summed on the device: no sync per batch
        seen = 0
        stop = self._stop_event()
        for batch in self._data.batches(self.batch_size, self._generator):
            loss = batch_loss(batch)
            loss, reported = loss if isinstance(loss, tuple) else (loss, loss)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += reported.detach() * len(batch)
            seen += len(batch)
            if stop.is_set():
                break
        return float(total) / max(seen, 1), stop.is_set()

    def _cluster(self, epochs: int, phase: str, tol: float | None,
                 callback: Callback | None, q_all: torch.Tensor | None = None) -> None:
        """Clustering epochs (DEC), under the feedback. `q_all`: Q of every row for the current
        weights when the caller has it (fit, right after encoding for k-means); else encoded."""
        network, data = self._network, self._data
        alpha = float(self.alpha)
        mode = self.feedback_mode
        self._feedback.default_strength = self._strength()  # set_params after fit applies
        optimizer = self._clustering_optimizer()
        q_all = self._q_all() if q_all is None else q_all
        labels = q_all.argmax(1)
        labels_at_update = labels
        recon_weight = self._reconstruction_weight(phase)
        terms = None
        feedback_version = None
        # Where the training pass put each row this epoch: the epoch's report, for free.
        trained_z = torch.empty((data.n, self._centers.shape[1]), device=self.device_)

        def batch_loss(batch):
            x = data.rows(batch)
            z, x_hat = (self._forward(network, x) if recon_weight
                        else (self._forward(network.encoder, x), None))
            trained_z[batch] = z.detach()
            q = soft_assignment(z, self._centers, alpha)
            extra = terms.pair_loss(self, alpha)
            if recon_weight:
                extra = extra + recon_weight * torch.nn.functional.mse_loss(x_hat, x)
            if mode != "paper":
                return terms.robust_loss(z, q, self._centers, batch, alpha) + extra
            # The T-matrix is defined by its gradient: the surrogate that has it has no meaningful
            # value (it goes negative). Report DEC's KL(P || Q) in its place.
            surrogate = losses.tmatrix_loss(z, self._centers, terms.p[batch], q, terms.t[batch],
                                            alpha)
            return surrogate + extra, losses.kl_divergence(terms.p[batch], q) + extra

        for epoch in self._epoch_range(epochs, phase):
            update = (epoch - 1) % self.update_interval == 0
            # Cluster edits from other threads wait for this lock: they land between epochs,
            # never while a batch holds the old centroids.
            with self._edit_lock():
                _, k, version = self._feedback.snapshot()
                if k != self._centers.shape[0]:  # a cluster edit happened between epochs
                    optimizer = self._clustering_optimizer()
                    q_all = self._q_all()
                    update = True
                if update or version != feedback_version:
                    if update:
                        p_all = target_distribution(q_all)
                    terms = _FeedbackTerms.build(self._feedback, p_all, mode, self._strength(),
                                                 self.device_)
                    feedback_version = version
                loss, stopped = self._run_epoch(optimizer, batch_loss)
                # An exact encode where its result is used: the next target update, the tol
                # check and the end of the run. Other epochs report the training pass.
                exact = stopped or epoch == epochs or epoch % self.update_interval == 0
                q_all = self._q_all() if exact else self._set_outputs(trained_z.clone())
                new_labels = q_all.argmax(1)
                delta = float((new_labels != labels).float().mean())
                labels = new_labels
            self._log(phase, epoch, epochs, loss, delta, callback, q_all=q_all, stopped=stopped)
            if stopped:
                return
            if tol is not None and epoch % self.update_interval == 0:
                changed = float((labels != labels_at_update).float().mean())
                labels_at_update = labels
                if changed < tol:
                    return

    def _q_all(self) -> torch.Tensor:
        """Encode every training row (in chunks), refresh the fitted outputs, return Q."""
        z = torch.as_tensor(self._encode(self._data), device=self.device_)
        return self._set_outputs(z)

    def _set_outputs(self, z: torch.Tensor) -> torch.Tensor:
        # Q a block of rows at a time: the soft assignment's n x k temporaries would otherwise
        # take several times the memory of Q itself (hundreds of MiB at a million rows).
        q = torch.empty((z.shape[0], self._centers.shape[0]), dtype=z.dtype, device=z.device)
        step = max(1, _ENCODE_ELEMENTS // max(q.shape[1], z.shape[1]))
        with torch.no_grad():
            for start in range(0, z.shape[0], step):
                q[start:start + step] = soft_assignment(z[start:start + step], self._centers,
                                                        float(self.alpha))
        self.embedding_ = z.cpu().numpy()
        self.labels_ = q.argmax(1).cpu().numpy()
        return q

    def _encode(self, data: _TrainingData) -> np.ndarray:
        encoder = self._network.encoder
        linears = [m for m in encoder if isinstance(m, torch.nn.Linear)]
        widest = max(max(m.in_features, m.out_features) for m in linears)
        chunk = max(1, _ENCODE_ELEMENTS // widest)
        out = np.empty((data.n, linears[-1].out_features), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, data.n, chunk):
                stop = min(start + chunk, data.n)
                out[start:stop] = encoder(data.slice(start, stop)).cpu().numpy()
        return out

    def _log(self, phase, epoch, n_epochs, loss, delta, callback, q_all=None,
             stopped=False) -> None:
        entry = {"phase": phase, "epoch": epoch, "loss": loss}
        if delta is not None:
            entry["delta_label"] = delta
        self.history_.append(entry)
        bar = getattr(self, "_bar", None)
        if bar is not None:
            bar.set_postfix(entry | {"phase": phase}, refresh=False)
        if callback is None:
            return
        progress = Progress(phase, epoch, n_epochs, loss, delta, stopped=stopped)
        if q_all is not None:
            confidence, _ = q_all.max(1)
            progress.embedding = self.embedding_
            progress.labels = self.labels_
            progress.confidence = confidence.cpu().numpy()
        callback(progress)

    def _epoch_range(self, n: int, phase: str):
        if not self.verbose:
            yield from range(1, n + 1)
            return
        from tqdm.auto import tqdm

        self._bar = tqdm(range(1, n + 1), desc=phase, leave=False)
        try:
            yield from self._bar
        finally:  # also when training ends early (tol or stop)
            self._bar.close()
            self._bar = None

    def _clustering_optimizer(self) -> torch.optim.Optimizer:
        """The optimizer over the network and the centroids, kept across refine calls.

        Adam normalises step sizes, so a constraint's strength acts only relative to the other
        rows of its batch. SGD with momentum (DEC's own choice, and the paper's) turns |t| into a
        force multiplier, which is what the paper's T-matrix assumes.
        """
        if self._optimizer is None or self._optimizer_centers is not self._centers:
            params = [*self._network.parameters(), self._centers]
            if self.optimizer == "sgd":
                self._optimizer = torch.optim.SGD(params, lr=SGD_LEARNING_RATE, momentum=0.9)
            else:
                self._optimizer = _adam(params, self.learning_rate)
            self._optimizer_centers = self._centers
        return self._optimizer

    def _forward(self, module: torch.nn.Module, x: torch.Tensor):
        """A training forward pass, in the chosen precision; what comes out is float32."""
        if self.precision == "float32":
            return module(x)
        with torch.autocast(self.device_.type, dtype=torch.bfloat16):
            out = module(x)
        return out.float() if isinstance(out, torch.Tensor) else tuple(o.float() for o in out)

    def _corrupt(self, x: torch.Tensor) -> torch.Tensor:
        if not self.corruption:
            return x
        keep = torch.rand(x.shape, generator=self._generator).to(x.device) >= self.corruption
        return x * keep

    def _reconstruction_weight(self, phase: str) -> float:
        if self.reconstruction_weight == "auto":
            robust_refine = phase == "refine" and self.feedback_mode == "robust"
            return ROBUST_RECONSTRUCTION_WEIGHT if robust_refine else 0.0
        return float(self.reconstruction_weight)

    def _structural(self, operation, *args):
        check_is_fitted(self)
        with self._edit_lock():
            record = operation(*args)
            self._q_all()
        return record

    # ================================================================== helpers
    def _strength(self) -> float:
        if self.feedback_strength is not None:
            return float(self.feedback_strength)
        return DEFAULT_STRENGTH.get(self.feedback_mode, DEFAULT_STRENGTH["robust"])

    def _edit_lock(self) -> threading.RLock:
        lock = self.__dict__.get("_lock")
        if lock is None:
            lock = self.__dict__["_lock"] = threading.RLock()
        return lock

    def _stop_event(self) -> threading.Event:
        event = self.__dict__.get("_stop")
        if event is None:
            event = self.__dict__["_stop"] = threading.Event()
        return event

    def _resolve_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    def _layer_sizes(self) -> tuple[tuple[int, ...], int]:
        arch = self.architecture
        if isinstance(arch, str):
            hidden = ARCHITECTURES[arch]
            latent = self.latent_dim or DEFAULT_LATENT_DIM[arch] or self.n_clusters
        else:
            hidden = tuple(int(h) for h in arch)
            latent = self.latent_dim or self.n_clusters
        return hidden, int(latent)

    def _layer_sizes_fitted(self) -> tuple[int, list[int], int]:
        linears = [m for m in self._network.encoder if isinstance(m, torch.nn.Linear)]
        return (linears[0].in_features, [m.out_features for m in linears[:-1]],
                linears[-1].out_features)

    def _check_params(self) -> None:
        _positive_int(self.n_clusters, "n_clusters")
        _positive_int(self.batch_size, "batch_size")
        _positive_int(self.update_interval, "update_interval")
        _positive_int(self.n_init, "n_init")
        for name in ("pretrain_epochs", "epochs"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if isinstance(self.architecture, str) and self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {sorted(ARCHITECTURES)} or a tuple of "
                             f"layer widths, got {self.architecture!r}")
        if self.feedback_mode not in FEEDBACK_MODES:
            raise ValueError(f"feedback_mode must be one of {FEEDBACK_MODES}, "
                             f"got {self.feedback_mode!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if not self.alpha > 0:
            raise ValueError(f"alpha must be positive, got {self.alpha!r}")
        if not 0 <= self.corruption < 1:
            raise ValueError(f"corruption must be in [0, 1), got {self.corruption!r}")

    def _validate(self, X, reset: bool) -> np.ndarray:
        if isinstance(X, np.memmap):
            return self._validate_memmap(X, reset)
        reject_non_numeric_columns(X)
        data = validate_data(self, X, reset=reset, dtype=[np.float32, np.float64],
                             ensure_all_finite=False, ensure_min_samples=1)
        reject_non_finite_rows(data)
        return np.asarray(data, dtype=np.float32)

    def _validate_memmap(self, X: np.memmap, reset: bool) -> np.memmap:
        """Check a memory-mapped X without loading it: it stays on disk and is streamed.

        `validate_data` would return a plain ndarray view (losing the memmap type that selects
        streaming) and, for any dtype but float32, a full in-memory copy. So its rules (2-D,
        numeric, n_features_in_) are applied to the first rows, and the finite check reads the
        file through once without holding it.
        """
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (rows x features), got a memmap of shape {X.shape}")
        validate_data(self, X[:2], reset=reset, dtype=[np.float32, np.float64],
                      ensure_all_finite=False, ensure_min_samples=1)
        reject_non_finite_rows(X)
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_centers")

    def __getstate__(self):
        state = self.__dict__.copy()
        for transient in ("_stop", "_lock", "_bar", "_optimizer", "_optimizer_centers"):
            state.pop(transient, None)
        if "_generator" in state:
            state["_generator"] = state["_generator"].get_state()
        return state

    def __setstate__(self, state):
        generator = state.get("_generator")
        if isinstance(generator, torch.Tensor):
            state["_generator"] = torch.Generator()
            state["_generator"].set_state(generator)
        state.setdefault("_optimizer", None)
        self.__dict__.update(state)
        if "_feedback" in state and state["_feedback"] is not None:
            state["_feedback"].geometry = _Geometry(self)


@dataclass
class _FeedbackTerms:
    """The feedback, turned into tensors for one stretch of epochs between two changes."""

    p: torch.Tensor
    t: torch.Tensor | None = None
    weight: torch.Tensor | None = None
    must: torch.Tensor | None = None
    cannot: torch.Tensor | None = None
    pair_strength: float = 0.0
    include: torch.Tensor | None = None

    @classmethod
    def build(cls, store: Feedback, p: torch.Tensor, mode: str, strength: float,
              device) -> _FeedbackTerms:
        """Paper mode: the T matrix. Robust mode: constrained targets and row weights.

        Must- and cannot-links are not part of the paper; both modes apply them through the
        pairwise terms, weighted by the robust mode's strength.
        """
        n, k = p.shape
        must = torch.as_tensor(store.pairs("must_link"), device=device)
        cannot = torch.as_tensor(store.pairs("cannot_link"), device=device)
        pairs = dict(must=must if len(must) else None, cannot=cannot if len(cannot) else None,
                     pair_strength=strength if mode == "robust" else DEFAULT_STRENGTH["robust"])
        if mode == "paper":
            return cls(p=p, t=torch.as_tensor(store.to_matrix(n, k), device=device), **pairs)
        include = torch.as_tensor(store.included_clusters(n), device=device)
        exclude = torch.as_tensor(store.excluded_mask(n, k), device=device)
        weight = torch.ones(n, device=device)
        weight[(include >= 0) | exclude.any(1)] = strength
        return cls(p=losses.constrain_targets(p, include, exclude), weight=weight,
                   include=include, **pairs)

    def robust_loss(self, z, q, centers, batch, alpha: float) -> torch.Tensor:
        """KL to the constrained targets, with "in cluster j" rows pulled straight to mu_j.

        For an included row the KL term -log q_ij can also fall by fleeing every centroid (far
        away, q tends to uniform), and the repulsion from the nearby current centroid beats the
        attraction of the far target one. The pull -log K_ij = (alpha+1)/2 log(1 + d_ij/alpha)
        has its minimum at mu_j, so such rows get it instead of their KL term.
        """
        include = self.include[batch]
        included = include >= 0
        weight = self.weight[batch]
        loss = losses.weighted_kl_divergence(self.p[batch], q, torch.where(included, 0.0, weight))
        if included.any():
            loss = loss + losses.centroid_pull(z[included], centers, include[included],
                                               weight[included], alpha) * (
                included.float().mean())
        return loss

    def pair_loss(self, model: DEC, alpha: float) -> torch.Tensor | float:
        if self.must is None and self.cannot is None:
            return 0.0
        total = 0.0
        for pairs, loss_fn in ((self.must, losses.must_link_loss),
                               (self.cannot, losses.cannot_link_loss)):
            if pairs is None:
                continue
            if len(pairs) > model.batch_size:
                pick = torch.randint(len(pairs), (model.batch_size,), generator=model._generator)
                pairs = pairs[pick.to(pairs.device)]
            z = model._forward(model._network.encoder, model._data.rows(pairs.reshape(-1)))
            q = soft_assignment(z, model._centers, alpha).reshape(len(pairs), 2, -1)
            total = total + self.pair_strength * loss_fn(q[:, 0], q[:, 1])
        return total


class _TrainingData:
    """Rows to train on: a tensor on the device, or a memory-mapped array streamed in batches."""

    def __init__(self, data: np.ndarray, device: torch.device):
        self.n = data.shape[0]
        self.device = device
        self.streamed = isinstance(data, np.memmap)
        self._array = data if self.streamed else None
        self._tensor = None if self.streamed else torch.from_numpy(
            np.ascontiguousarray(data, dtype=np.float32)).to(device)

    def batches(self, batch_size: int, generator: torch.Generator):
        order = torch.randperm(self.n, generator=generator)
        for start in range(0, self.n, batch_size):
            yield order[start:start + batch_size].to(self.device)

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        if not self.streamed:
            return self._tensor[index]
        # Read the rows in file order (far faster on a memory map), then put them back in the
        # order asked for: targets and weights are gathered with the same index.
        index = index.cpu().numpy()
        order = np.argsort(index)
        rows = np.empty((len(index), self._array.shape[1]), dtype=np.float32)
        rows[order] = self._array[index[order]]
        return torch.from_numpy(rows).to(self.device)

    def slice(self, start: int, stop: int) -> torch.Tensor:
        if not self.streamed:
            return self._tensor[start:stop]
        # A copy: a view of a read-only map is not something to hand torch.
        return torch.from_numpy(np.array(self._array[start:stop], dtype=np.float32)).to(
            self.device)


class _Geometry:
    """The model's side of cluster edits (see feedback.ClusterGeometry)."""

    def __init__(self, model: DEC):
        self._model = model

    @property
    def lock(self) -> threading.RLock:
        """Held by the training loop during each epoch; cluster edits wait for it."""
        return self._model._edit_lock()

    def get_centers(self) -> np.ndarray:
        return self._model.cluster_centers_

    def set_centers(self, centers: np.ndarray) -> None:
        model = self._model
        model._centers = torch.nn.Parameter(
            torch.as_tensor(np.asarray(centers, dtype=np.float32), device=model.device_))
        # Labels follow the new centres at once, also when feedback.undo()/redo() sets them.
        model._set_outputs(torch.as_tensor(model.embedding_, device=model.device_))

    def latent_of(self, indices: np.ndarray) -> np.ndarray:
        return self._model.embedding_[np.asarray(indices, dtype=np.int64)]

    def members_of(self, cluster: int) -> np.ndarray:
        return np.flatnonzero(self._model.labels_ == cluster)


def _adam(params, learning_rate: float) -> torch.optim.Adam:
    """Adam as one fused kernel per parameter where torch has it (CPU from torch 2.4, CUDA).

    The same update as the default implementation, in one pass over each parameter's memory
    instead of about ten: a tenth of a DEC training step on CPU.
    """
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=learning_rate, fused=True)
    except RuntimeError:  # an older torch fuses on CUDA only
        return torch.optim.Adam(params, lr=learning_rate)


def _positive_int(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        if key == "random_state" and not (value is None or isinstance(value, (int, np.integer))):
            warnings.warn("random_state is not an int; it is saved as None", stacklevel=3)
            value = None
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, np.integer):
            value = int(value)
        out[key] = value
    return out
