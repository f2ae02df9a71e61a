"""Training settings of a project: schema, defaults and validation.

Kept apart from the trainer so the project loader, ``playground check`` and the training
panel can validate and describe settings without importing the training loop.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from playground.core.layers import describe
from playground.core.params import Param, Problem, UserError, resolve_params, show_value

if TYPE_CHECKING:
    from playground.core.datasets.base import DatasetMeta

OPTIMIZERS: dict[str, str] = {
    "sgd": "Plain stochastic gradient descent: θ ← θ − η ∇L on each mini-batch.",
    "momentum": "SGD with momentum: a velocity v ← αv − η∇ accumulates, like a ball rolling downhill.",
    "nesterov": "Momentum that evaluates the gradient after the look-ahead step; often a little faster.",
    "adagrad": "Per-parameter learning rates that shrink with the sum of past squared gradients.",
    "rmsprop": "Per-parameter learning rates from a moving average of squared gradients.",
    "adam": "Momentum plus RMSprop-style scaling (first and second moments); a robust default.",
    "adamw": "Adam with decoupled weight decay.",
    "rprop": "Resilient backprop: only the sign of the gradient is used; for full-batch training.",
}

@dataclass(frozen=True)
class Augmentation:
    """One kind of data augmentation: what it does (at strength 1, see ``core.augment``) and
    which data it fits. ``images_only`` kinds move or recolour pixels; ``mirrors`` ones are
    refused on datasets whose classes a mirror changes (``DatasetMeta.mirror_safe``)."""

    help: str
    images_only: bool = True
    mirrors: bool = False


AUGMENTATIONS: dict[str, Augmentation] = {
    "hflip": Augmentation("Mirror half the images left-right (not for digits or letters: a mirrored 2 is not "
                          "a 2).", mirrors=True),
    "rotate": Augmentation("Turn each image by a random angle, up to ±15° at strength 1."),
    "scale": Augmentation("Zoom each image in or out at random, by up to about 15% at strength 1."),
    "shift": Augmentation("Move each image by up to 10% of its size at random (strength 1), filling with "
                          "zeros."),
    "brightness": Augmentation("Brighten or darken each image at random, by up to 0.2 of the data's spread at "
                               "strength 1."),
    "contrast": Augmentation("Raise or lower each image's contrast at random, by up to about 30% at strength "
                             "1."),
    "noise": Augmentation("Add Gaussian noise of 0.1 of each feature's spread (strength 1) to every input.",
                          images_only=False),
}

DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d{1,2})?)$")

TRAINING_PARAMS: tuple[Param, ...] = (
    Param("optimizer", "choice", "adam", "How the gradient becomes a weight update.", choices=tuple(OPTIMIZERS)),
    Param("lr", "float", 0.01, "Learning rate η: too small is slow, too large oscillates or diverges.",
          minimum=0.0, maximum=10.0, min_exclusive=True, log_scale=True, label="Learning rate"),
    Param("momentum", "float", 0.9, "Momentum α for momentum, nesterov and rmsprop (about 0.9).",
          minimum=0.0, maximum=1.0, max_exclusive=True),
    Param("weight_decay", "float", 0.0, "L2 penalty λ on the weights (try 1e-4 ... 1e-1 on a log scale; too "
          "large oversmooths).", minimum=0.0, maximum=1.0, label="Weight decay (L2)", log_scale=True),
    Param("l1", "float", 0.0, "L1 penalty on the weights: pushes many of them to exactly zero.", minimum=0.0,
          maximum=1.0, label="L1", log_scale=True),
    Param("max_norm", "float", None, "Max-norm constraint ('weight clipping'): after every step, each unit's "
          "incoming weight vector is scaled back to at most this length. Try 2 to 4 with dropout.",
          minimum=0.0, maximum=1000.0, min_exclusive=True, nullable=True, label="Max norm", null_label="off"),
    Param("batch_size", "int", 32, "Examples per gradient step: small batches are noisy (which regularises), "
          "large ones smooth.", minimum=1, maximum=65536, label="Batch size"),
    Param("epochs", "int", 20, "Passes over the training data.", minimum=1, maximum=100000),
    Param("val_fraction", "float", 0.2, "Share of the non-test data held out to watch for overfitting.",
          minimum=0.0, maximum=0.9, label="Validation share"),
    Param("augment_strength", "float", 1.0, "How strongly each chosen augmentation changes the examples: 1 "
          "is moderate, 0.5 gentle, 2 strong (twice the angle, zoom, shift, ...).", minimum=0.0, maximum=3.0,
          min_exclusive=True, label="Augment strength"),
    Param("seed", "int", 0, "Random seed: the same seed gives the same run on the CPU.", minimum=0,
          maximum=2**31 - 1),
    Param("device", "str", "auto", "Where to train: auto (a GPU when there is one), cpu, cuda, cuda:N or mps."),
)

SCHEDULERS: dict[str, tuple[str, tuple[Param, ...]]] = {
    "none": ("A constant learning rate.", ()),
    "step": ("Multiply the learning rate by gamma every 'step size' epochs.", (
        Param("step_size", "int", 10, "Epochs between drops.", minimum=1, maximum=100000, label="Step size"),
        Param("gamma", "float", 0.5, "Factor applied at each drop.", minimum=0.0, maximum=1.0,
              min_exclusive=True),
    )),
    "exponential": ("Multiply the learning rate by gamma after every epoch.", (
        Param("gamma", "float", 0.95, "Factor applied each epoch.", minimum=0.0, maximum=1.0,
              min_exclusive=True),
    )),
    "cosine": ("Anneal the learning rate along a cosine to a minimum over the run.", (
        Param("t_max", "int", None, "Epochs of one half cosine; empty means the whole run.", minimum=1,
              maximum=100000, nullable=True, label="Period (epochs)", null_label="all epochs"),
        Param("eta_min", "float", 0.0, "Smallest learning rate reached.", minimum=0.0, maximum=10.0,
              label="Minimum lr"),
    )),
}

GRAD_CLIP_PARAMS = (
    Param("mode", "choice", "norm", "'norm' rescales the whole gradient to at most max; 'value' clips each "
          "component.", choices=("norm", "value")),
    Param("max", "float", 1.0, "The largest gradient norm or value allowed.", minimum=0.0, maximum=1e6,
          min_exclusive=True),
)

EARLY_STOPPING_PARAMS = (
    Param("patience", "int", 10, "Epochs without a better validation loss before stopping.", minimum=1,
          maximum=100000),
    Param("min_delta", "float", 0.0, "How much lower the validation loss must be to count as better.",
          minimum=0.0, maximum=1e6, label="Min improvement"),
)


@dataclass(frozen=True)
class TrainConfig:
    """Resolved training settings: every field has its value, defaults filled in."""

    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    l1: float = 0.0
    batch_size: int = 32
    epochs: int = 20
    val_fraction: float = 0.2
    seed: int = 0
    device: str = "auto"
    scheduler: dict[str, Any] = field(default_factory=lambda: {"name": "none"})
    grad_clip: dict[str, Any] | None = None
    early_stopping: dict[str, Any] | None = None
    augment: tuple[str, ...] = ()
    augment_strength: float = 1.0
    max_norm: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["augment"] = list(self.augment)
        return d


def parse_training(data: Any) -> tuple[TrainConfig, list[Problem]]:
    """Validate a project's ``training`` object; every problem names its field."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        return TrainConfig(), [Problem("training must be an object of settings", field="training")]
    nested = {"scheduler", "grad_clip", "early_stopping", "augment"}
    flat = {k: v for k, v in data.items() if k not in nested}
    values, problems = resolve_params(TRAINING_PARAMS, flat, owner="training", field_prefix="training")
    device = values["device"]
    if not DEVICE_PATTERN.fullmatch(device):
        problems.append(Problem(f"training: device must be auto, cpu, cuda, cuda:N or mps, got {device!r}",
                                field="training.device"))
        values["device"] = "auto"
    values["scheduler"] = _parse_scheduler(data.get("scheduler"), problems)
    values["grad_clip"] = _parse_optional(data.get("grad_clip"), GRAD_CLIP_PARAMS, "grad_clip", problems)
    values["early_stopping"] = _parse_optional(data.get("early_stopping"), EARLY_STOPPING_PARAMS,
                                               "early_stopping", problems)
    values["augment"] = _parse_augment(data.get("augment"), problems)
    return TrainConfig(**values), problems


def augment_problems(kinds: tuple[str, ...], meta: DatasetMeta) -> list[Problem]:
    """Augmentations that do not fit the dataset: pixel changes on data that has no pixels, and
    mirroring where a mirror changes the class (it would teach wrong labels)."""
    problems = []
    if kinds and meta.is_tokens:
        return [Problem(f"training: augmentation '{kinds[0]}' changes numbers, but this dataset's inputs are token "
                        "ids, names rather than quantities: remove it from training.augment", field="training.augment")]
    pixels = [a for a in kinds if AUGMENTATIONS[a].images_only]
    if pixels and not meta.is_image:
        problems.append(Problem(
            f"training: augmentation '{pixels[0]}' needs an image dataset, but this one gives "
            f"{describe(meta.input_shape)} per example: remove it from training.augment or use 'noise'",
            field="training.augment"))
    mirrors = [a for a in kinds if AUGMENTATIONS[a].mirrors]
    if mirrors and meta.is_image and not meta.mirror_safe:
        problems.append(Problem(
            f"training: augmentation '{mirrors[0]}' would teach wrong labels on this dataset: a mirrored image "
            "can be another class or none (a mirrored 2 is not a 2, a mirrored 7 is no digit at all); use "
            "rotate, scale, shift or contrast instead", field="training.augment"))
    return problems


def training_config(data: Any) -> TrainConfig:
    """Parse settings that must be valid; raise ``UserError`` naming the first bad field otherwise."""
    config, problems = parse_training(data)
    if problems:
        raise UserError("; ".join(p.message for p in problems), problems)
    return config


def _parse_scheduler(raw: Any, problems: list[Problem]) -> dict[str, Any]:
    if raw is None:
        return {"name": "none"}
    if isinstance(raw, str):
        raw = {"name": raw}
    name = raw.get("name") if isinstance(raw, Mapping) else raw
    if not isinstance(raw, Mapping) or not isinstance(name, str) or name not in SCHEDULERS:
        problems.append(Problem(f"training: scheduler must be one of {', '.join(SCHEDULERS)}, got {show_value(name)}",
                                field="training.scheduler"))
        return {"name": "none"}
    values, found = resolve_params(SCHEDULERS[name][1], {k: v for k, v in raw.items() if k != "name"},
                                   owner=f"training: scheduler '{name}'", field_prefix="training.scheduler")
    problems.extend(found)
    return {"name": name, **values}


def _parse_optional(raw: Any, schema: tuple[Param, ...], key: str,
                    problems: list[Problem]) -> dict[str, Any] | None:
    if raw is None or raw is False:
        return None
    values, found = resolve_params(schema, raw, owner=f"training: {key}", field_prefix=f"training.{key}")
    problems.extend(found)
    return values


def _parse_augment(raw: Any, problems: list[Problem]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        problems.append(Problem("training: augment must be a list such as [\"rotate\", \"scale\"]",
                                field="training.augment"))
        return ()
    known = [a for a in raw if isinstance(a, str) and a in AUGMENTATIONS]
    if len(known) < len(raw):
        bad = next(a for a in raw if not (isinstance(a, str) and a in AUGMENTATIONS))
        problems.append(Problem(f"training: unknown augmentation {show_value(bad)} (known: {', '.join(AUGMENTATIONS)})",
                                field="training.augment"))
    return tuple(known)
