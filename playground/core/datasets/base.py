"""What every dataset yields, and the one registry that names them.

A dataset entry is a name, a parameter schema (the same ``Param`` type layers use, so the
dataset panel builds its widgets from it) and a loader. The loader returns raw features;
normalisation statistics come from the training split only, and the model applies them as
its first step, so exported models take the same raw input the dataset panel shows.

The registry, schemas and shapes import no torch: the editor reads them while the window
starts, before PyTorch has loaded in the background. Only building a ``Dataset`` needs it.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

import playground
from playground.core.params import Param, Problem, UserError, resolve_params
from playground.core.plane_features import DEFAULT_FEATURES, check_features, feature_values, is_transformed

if TYPE_CHECKING:
    import torch

TargetKind = Literal["classification", "regression"]


class DataError(UserError):
    """Bad data: the message names the file, row or column."""


@dataclass
class Split:
    """Features and targets of one split.

    ``x`` is float32 of shape ``(N, *input_shape)``, raw (not normalised; token ids for token
    data). ``y`` is int64 of shape ``(N,)`` holding class indices for classification (``(N, T)``,
    one per position, with ``DatasetMeta.per_step_targets``), or float32 ``(N, target_size)``
    for regression (``(N, T, target_size)`` per position).
    """

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True)
class DatasetMeta:
    """What shape inference needs to know about a dataset, without its tensors.

    ``input_shape`` is what the Input node hands the first layer. It is the shape of the raw
    examples too, except on a plane whose ``features`` were chosen: the data stays the raw
    points (x1, x2) (``raw_shape``), and the model's first step computes the features.
    """

    input_shape: tuple[int, ...]
    target_kind: TargetKind
    target_size: int
    class_names: tuple[str, ...] = ()
    # False where a left-right flip can change an example's class (a mirrored 2 is no digit), so
    # the ``hflip`` augmentation can refuse it with that reason instead of teaching wrong labels.
    mirror_safe: bool = True
    # The plane features the network sees (``plane_features``), in the catalogue's order; empty
    # when it sees the raw data as it is.
    features: tuple[str, ...] = ()
    # Token data (``text``, ``memory``): the alphabet, one entry per token id. The raw examples
    # are then sequences of ids, ``input_shape`` (T,), held as numbers like every other feature
    # (normalisation is the identity), which only an Embedding can read.
    vocab: tuple[str, ...] = ()
    # One target per position (``text``: the next character at every step), so ``y`` is (N, T)
    # class indices and an Output after a sequence node predicts at every step; otherwise one
    # target per example.
    per_step_targets: bool = False

    @property
    def is_tokens(self) -> bool:
        """The examples are sequences of token ids (see ``vocab``)."""
        return bool(self.vocab)

    @property
    def raw_shape(self) -> tuple[int, ...]:
        """The shape of one raw example: what the data holds and every export takes."""
        return (2,) if self.features else self.input_shape

    @property
    def is_image(self) -> bool:
        return len(self.input_shape) == 3

    @property
    def is_sequence(self) -> bool:
        """Each example is a sequence: token ids (T,) or T steps of F features (T, F)."""
        return self.is_tokens or len(self.input_shape) == 2

    @property
    def is_plane(self) -> bool:
        """Two raw input features: each example a point of the plane (TensorFlow Playground's
        data, what the decision boundary draws), whichever features of it the network sees; two
        token ids are a sequence, not a point."""
        return self.raw_shape == (2,) and not self.is_tokens

    @property
    def is_curve(self) -> bool:
        """One input feature and one regression target: the network's whole function is a curve
        y = f(x) that can be drawn over the data (what the fit view and the dataset preview
        draw), whichever dataset (``curve``, a CSV of two columns) it came from."""
        return self.input_shape == (1,) and self.target_kind == "regression" and self.target_size == 1

    @property
    def animates(self) -> bool:
        """A toy run whose whole function is one picture (a plane's boundary, a curve's fit):
        its live pictures animate, as in TensorFlow Playground."""
        return self.is_plane or self.is_curve

    def with_features(self, features: tuple[str, ...]) -> DatasetMeta:
        """This plane's meta when the network sees ``features`` (the raw point when they are
        the default x1, x2)."""
        if not is_transformed(features):
            return self
        return dataclasses.replace(self, input_shape=(len(features),), features=features)


@dataclass
class Dataset:
    """Train/validation/test tensors plus what the model and the views need to know."""

    name: str
    train: Split
    val: Split
    test: Split
    meta: DatasetMeta
    mean: torch.Tensor
    std: torch.Tensor
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.meta.input_shape

    @property
    def target_kind(self) -> TargetKind:
        return self.meta.target_kind

    @property
    def target_size(self) -> int:
        return self.meta.target_size

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.meta.class_names

    @property
    def raw_std(self) -> torch.Tensor:
        """Spread of the raw training features, per feature or channel, like ``std``: noise
        augmentation perturbs the raw examples, while ``std`` describes what the network sees
        (the chosen features of a plane)."""
        return normalisation_stats(self.train.x)[1] if self.meta.features else self.std


Loader = Callable[[dict[str, Any], "LoadContext"], Dataset]


@dataclass(frozen=True)
class LoadContext:
    """Where relative paths are resolved from, and the validation share from the training settings."""

    base_dir: Path = Path(".")
    val_fraction: float = 0.2

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset in the registry.

    ``path_params`` names the parameters that hold file or folder paths; they must exist
    before loading. ``meta`` gives the shapes cheaply when they are known without reading
    data (built-in datasets). ``peek`` gives them for a file dataset from its headers and
    labels, through the same checks and limits as the loader but without reading the
    features (``check`` uses it); with neither, the loader has to run. ``takes_features``
    marks a plane dataset whose project entry may choose the network's input features
    (``"features"``, see ``plane_features``).
    """

    name: str
    title: str
    group: Literal["2-D", "1-D", "images", "sequences", "files", "downloads"]
    help: str
    params: tuple[Param, ...]
    load: Loader
    meta: Callable[[dict[str, Any]], DatasetMeta] | None = None
    path_params: tuple[str, ...] = ()
    takes_features: bool = False
    peek: Callable[[dict[str, Any], LoadContext], DatasetMeta] | None = None
    #: Human-level or best known error rate, where one is published: the bias/variance panel
    #: measures the avoidable bias against it (the lecture's "human-level baseline").
    reference_error: float | None = None


REGISTRY: dict[str, DatasetEntry] = {}

# Entropy mixed into the seed for the split, so the split does not replay the random numbers
# a generator drew from the same seed.
_SPLIT_STREAM = 0x5B11
# ... and into the seed of the pixel permutation, which must not replay the split's numbers either.
_PERMUTE_STREAM = 0x9E12
_STATS_CHUNK = 4096


def seed_param() -> Param:
    """The ``seed`` parameter every dataset shares, so the same help text appears everywhere."""
    return Param("seed", "int", 1, "Changes which random samples are drawn and how they are split; "
                 "the same seed always gives the same data.", minimum=0)


def test_fraction_param(default: float) -> Param:
    """The ``test_fraction`` parameter: how much data is held back for the final test."""
    return Param("test_fraction", "float", default, "The share of the data kept aside to test the trained "
                 "network on examples it never saw.", minimum=0.05, maximum=0.9)


def samples_param(default: int, maximum: int) -> Param:
    """The ``samples`` parameter of the generated datasets."""
    return Param("samples", "int", default, "How many examples to generate in total.",
                 minimum=10, maximum=maximum)


def permute_pixels_param() -> Param:
    """The ``permute_pixels`` option of image datasets, for the lesson that dense layers ignore
    pixel order and convolutions do not."""
    return Param("permute_pixels", "bool", False, "Shuffles the pixels of every image by one fixed "
                 "permutation (chosen by the seed): a dense network learns just as well, a convolutional one "
                 "loses the neighbourhoods its filters look at.", label="Permute pixels")


def _position_axes(shape: tuple[int, ...]) -> int:
    """How many trailing axes index a position: (H, W) of an image, the one axis of features."""
    return 2 if len(shape) == 3 else 1


def pixel_permutation(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Where each pixel of an example of ``shape`` comes from after permuting: a permutation of
    the H * W positions of a (C, H, W) image, the same for every channel and image (of a flat
    example's features), fixed by ``seed``."""
    return np.random.default_rng([seed, _PERMUTE_STREAM]).permutation(int(np.prod(shape[-_position_axes(shape):])))


def _permuted(x: np.ndarray, order: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    flat = x.reshape(*x.shape[:x.ndim - _position_axes(shape)], -1)
    return flat[..., order].reshape(x.shape)


def split_indices(n: int, test_fraction: float, val_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """Shuffle ``range(n)`` by seed and cut it into train, validation and test index arrays.

    The test part comes off first, then the validation part from what is left, so changing
    ``val_fraction`` in the training settings never moves an example into or out of the test
    set. Every part that was asked for gets at least one example and training always keeps one,
    which takes ``n >= 2``.
    """
    order = np.random.default_rng([seed, _SPLIT_STREAM]).permutation(n)
    n_test, n_val = split_sizes(n, test_fraction, val_fraction)
    rest = order[n_test:]
    return rest[n_val:], rest[:n_val], order[:n_test]


def split_sizes(n: int, test_fraction: float, val_fraction: float) -> tuple[int, int]:
    """How many of ``n`` examples go to test and to validation (see ``split_indices``)."""
    n_test = min(max(round(n * test_fraction), 1), n - 1) if test_fraction > 0 else 0
    rest = n - n_test
    n_val = min(max(round(rest * val_fraction), 1), rest - 1) if val_fraction > 0 else 0
    return n_test, n_val


def position_indices(n: int, test_fraction: float, val_fraction: float) -> tuple[np.ndarray, ...]:
    """Train, validation and test index arrays of ``range(n)`` cut in order, as sizes like
    ``split_indices``: for windows of one text, where shuffled neighbours would leak the
    validation and test text into training."""
    n_test, n_val = split_sizes(n, test_fraction, val_fraction)
    n_train = n - n_test - n_val
    order = np.arange(n)
    return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]


def normalisation_stats(x_train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std of the training features: per channel ``(C, 1, 1)`` for images, per feature
    ``(F,)`` over every step of sequences (T, F), per feature otherwise.

    Only the training split counts, so nothing about the validation or test examples leaks
    into the model. A (near) constant feature gets std 1 so normalising never divides by zero.
    Two passes in float64 over chunks keep it exact without a float64 copy of MNIST.
    """
    import torch

    image = x_train.ndim == 4
    sequence = x_train.ndim == 3
    dims = (0, 2, 3) if image else (0, 1) if sequence else (0,)
    count = x_train.numel() // x_train.shape[-1 if sequence else 1]
    chunks = x_train.split(_STATS_CHUNK)
    mean = sum(c.double().sum(dim=dims) for c in chunks) / count
    centre = mean.reshape(1, -1, 1, 1) if image else mean
    var = sum(((c.double() - centre) ** 2).sum(dim=dims) for c in chunks) / count
    std = var.sqrt()
    std = torch.where(std < 1e-6, torch.ones_like(std), std)
    shape = (-1, 1, 1) if image else (-1,)
    return mean.float().reshape(shape), std.float().reshape(shape)


def _split(x: np.ndarray, y: np.ndarray, meta: DatasetMeta) -> Split:
    import torch

    ty = torch.from_numpy(np.ascontiguousarray(y))
    if meta.target_kind == "classification":
        ty = ty.long().reshape(len(y), -1) if meta.per_step_targets else ty.long().reshape(-1)
    else:
        ty = ty.float().reshape(len(y), *(meta.input_shape[:1] if meta.per_step_targets else ()), meta.target_size)
    return Split(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), ty)


def build_dataset(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    meta: DatasetMeta,
    ctx: LoadContext,
    *,
    seed: int,
    test_fraction: float = 0.0,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    info: dict[str, Any] | None = None,
    source: str = "",
    permute_pixels: bool = False,
    by_position: bool = False,
) -> Dataset:
    """Turn raw arrays into a ``Dataset``: the one place where data is split and its statistics taken.

    ``x`` holds raw features of shape ``(N, *meta.input_shape)``; ``y`` class indices or
    regression targets. The test split is carved off by ``test_fraction``, or given as
    ``test`` when the data comes with its own (MNIST). Validation always comes out of the
    non-test data by ``ctx.val_fraction``, deterministic by ``seed``. The statistics are those
    of what the network sees: the chosen features of a plane, not its raw points. ``source`` (a file or
    folder name) is what a message about too little data names. ``permute_pixels`` shuffles the
    pixels of every image, of every split, by one permutation fixed by ``seed``. ``by_position`` cuts
    the splits in order (training first, the test split last) instead of shuffling. Token data
    keeps its ids: its statistics are the identity.
    """
    if tuple(x.shape[1:]) != meta.raw_shape or len(x) != len(y):
        raise ValueError(f"{name}: arrays {x.shape}/{y.shape} do not match {meta}")
    if len(x) < 2:
        raise DataError(f"{source or name} has {len(x)} example(s); it needs at least 2 to train and test on")
    if permute_pixels:
        order = pixel_permutation(meta.input_shape, seed)
        x = _permuted(x, order, meta.input_shape)
        test = (_permuted(test[0], order, meta.input_shape), test[1]) if test is not None else None
    own_test = 0.0 if test is not None else test_fraction
    if by_position:
        train_idx, val_idx, test_idx = position_indices(len(x), own_test, ctx.val_fraction)
    else:
        train_idx, val_idx, test_idx = split_indices(len(x), own_test, ctx.val_fraction, seed)
    train = _split(x[train_idx], y[train_idx], meta)
    val = _split(x[val_idx], y[val_idx], meta)
    test_split = _split(*test, meta) if test is not None else _split(x[test_idx], y[test_idx], meta)
    if meta.is_tokens:
        import torch

        mean, std = torch.zeros(meta.input_shape), torch.ones(meta.input_shape)
    else:
        mean, std = normalisation_stats(feature_values(train.x, meta.features) if meta.features else train.x)
    return Dataset(name, train, val, test_split, meta, mean, std, dict(info or {}))


def resources_dir() -> Path:
    """The folder of shipped resources (example projects, small datasets, the lecture notes).

    They are package data (``playground/resources``), so a wheel, pip or pipx install carries
    them like the code. ``PLAYGROUND_RESOURCES`` wins so packagers can put the files elsewhere.
    Readers open files by path (numpy, the project loader), so a package imported from a zip
    archive, whose resources are not files, is refused with a message rather than misread.
    """
    override = os.environ.get("PLAYGROUND_RESOURCES")
    if override:
        return Path(override).expanduser()
    shipped = importlib.resources.files(playground) / "resources"
    if not isinstance(shipped, Path):
        raise UserError(f"the playground's resources ({shipped}) are inside an archive; install the "
                        "package with pip or pipx, or point PLAYGROUND_RESOURCES at a copy of its resources folder")
    return shipped


def register(entry: DatasetEntry) -> DatasetEntry:
    """Add an entry; names are unique because projects refer to datasets by name."""
    if entry.name in REGISTRY:
        raise ValueError(f"dataset {entry.name!r} registered twice")
    REGISTRY[entry.name] = entry
    return entry


def resolve_dataset_spec(
    spec: Any, ctx: LoadContext | None = None
) -> tuple[DatasetEntry | None, dict[str, Any], list[Problem]]:
    """Check a project's ``dataset`` object: known name, known parameters, values in range,
    data files present. Returns the entry, the parameters with defaults filled, and problems.
    """
    ctx = ctx or LoadContext()
    if not isinstance(spec, Mapping):
        return None, {}, [Problem("dataset must be an object with a 'name'", field="dataset")]
    name = spec.get("name")
    entry = REGISTRY.get(name) if isinstance(name, str) else None
    if entry is None:
        known = ", ".join(sorted(REGISTRY))
        problem = Problem(f"dataset: unknown dataset {name!r} (known: {known})", field="dataset.name")
        return None, {}, [problem]
    given = {k: v for k, v in spec.items() if k != "name"}
    chosen = given.pop("features", DEFAULT_FEATURES) if entry.takes_features else DEFAULT_FEATURES
    params, problems = resolve_params(
        entry.params, given, owner=f"dataset '{entry.name}'", field_prefix="dataset"
    )
    if entry.takes_features:
        features, error = check_features(chosen)
        if error:
            problems.append(Problem(f"dataset '{entry.name}': features {error}", field="dataset.features"))
        params["features"] = features or DEFAULT_FEATURES
    for key in entry.path_params:
        value = params.get(key)
        if not isinstance(value, str) or any(p.field == f"dataset.{key}" for p in problems):
            continue
        if not value.strip():
            message = f"dataset '{entry.name}': {key} is not set; choose a file or folder"
            problems.append(Problem(message, field=f"dataset.{key}"))
        else:
            problem = _path_problem(ctx.resolve(value))
            if problem:
                problems.append(Problem(f"dataset '{entry.name}': {key} '{value}' {problem}", field=f"dataset.{key}"))
    return entry, params, problems


def _path_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a dataset's file or folder, or None; never raises (a name too long
    for the file system is an ``OSError`` from ``stat``, not a missing file)."""
    try:
        path.stat()
    except FileNotFoundError:
        return f"does not exist (looked in {path.parent})"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    except ValueError as exc:  # an embedded NUL character
        return f"is not a usable path ({exc})"
    return None


_cache_lock = threading.Lock()
_cache: dict[tuple, Dataset] = {}


def _cache_key(name: str, params: dict[str, Any], ctx: LoadContext, entry: DatasetEntry) -> tuple:
    stamps = []
    for key in entry.path_params:
        value = params.get(key)
        if isinstance(value, str):
            p = ctx.resolve(value)
            try:
                stamp: int | None = p.stat().st_mtime_ns
            except (OSError, ValueError):
                stamp = None
            stamps.append((str(p), stamp))
    return (name, tuple(sorted((k, repr(v)) for k, v in params.items())), ctx.val_fraction,
            str(ctx.base_dir), tuple(stamps))


def load_dataset(spec: Mapping[str, Any], ctx: LoadContext | None = None) -> Dataset:
    """Load (or reuse a cached copy of) the dataset a project names.

    Raises ``DataError`` with a message naming the file, row, column or field at fault.
    Cached because the editor asks again on every edit; a changed file is reloaded.
    """
    ctx = ctx or LoadContext()
    entry, params, problems = resolve_dataset_spec(spec, ctx)
    if problems or entry is None:
        raise DataError("; ".join(p.message for p in problems), problems)
    key = _cache_key(entry.name, params, ctx, entry)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    data = entry.load(params, ctx)
    with _cache_lock:
        if len(_cache) >= 8:
            _cache.pop(next(iter(_cache)))
        _cache[key] = data
    return data


def dataset_meta(spec: Mapping[str, Any], ctx: LoadContext | None = None) -> DatasetMeta:
    """Shapes and target kind of a dataset, loading it only when that is the only way to know.

    File datasets answer from their headers and labels (``DatasetEntry.peek``), so checking a
    project finds a missing, unreadable or oversized data file without reading all its data.
    """
    ctx = ctx or LoadContext()
    entry, params, problems = resolve_dataset_spec(spec, ctx)
    if problems or entry is None:
        raise DataError("; ".join(p.message for p in problems), problems)
    if entry.meta is not None:
        return entry.meta(params)
    with _cache_lock:
        hit = _cache.get(_cache_key(entry.name, params, ctx, entry))
    if hit is not None:
        return hit.meta
    if entry.peek is not None:
        return entry.peek(params, ctx)
    return load_dataset(spec, ctx).meta
