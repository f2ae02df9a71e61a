"""Saliency maps: which input pixels (or features) a class score depends on.

The live "Saliency" view asks the training thread for these between steps, so every function
here is pure with respect to the model: it runs in eval mode (dropout off, batch-norm running
statistics read, never updated), restores each submodule's train/eval flag afterwards, takes
gradients with ``torch.autograd.grad`` with respect to the input only (no ``.grad`` is left on
a parameter), and returns owned float32 NumPy copies that are safe to hand to another thread.
Grad mode is thread-local and the training thread may run with it off, so each call switches
it on itself.

Methods (lectures, "Looking inside"):

- ``vanilla_gradient``: |d score_c / d x| (Simonyan et al. 2013).
- ``guided_backprop``: the gradient with every rectifier passing back only positive signal
  where its input was positive (Springenberg et al. 2014); the rule for each activation of
  the catalogue is in ``GUIDED_RULES``.
- ``smoothgrad``: the average map over noisy copies of the input (Smilkov et al. 2017).
- ``integrated_gradients``: (x - x') times the average gradient on the straight path from a
  baseline x' to x (Sundararajan et al. 2017); ``completeness`` checks that the attributions
  add up to score(x) - score(x').
- ``grad_cam``: the last convolution's feature maps weighted by their average gradient
  (Selvaraju et al. 2017), upsampled to the input size.

Inputs ``x`` are raw, un-normalised batches ``(N, *input_shape)``: the model normalises
internally (``GraphModel``'s Input node), so maps are in the units the dataset panel shows.
The ``target`` is one class per sample, or one class for all; by default the predicted class.
A model with a single output unit (two-class BCE) is read as a binary logit z: class 1 scores
z and class 0 scores -z.

Every method shares one core, ``_backprop_score`` (forward, pick the class score, gradient
of its sum with respect to the input or to one layer's output). Per-sample gradients of the
summed score are exact because the model runs in eval mode, where samples do not interact.
Paths with many evaluations per sample (SmoothGrad noise, integrated-gradient steps) stream
through ``_mean_gradient`` in chunks of at most ``chunk`` rows, so memory stays
O(chunk x input size x activations) whatever the number of samples or steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.core.modules import Abs, Normalize
from playground.core.params import UserError

Target = int | Sequence[int] | np.ndarray | torch.Tensor | None
Inputs = np.ndarray | torch.Tensor
Baseline = Literal["zeros", "mean"] | np.ndarray | torch.Tensor

#: Rows (input copies) per forward/backward pass: bounds memory for SmoothGrad and
#: integrated gradients, whose cost is samples x steps evaluations.
DEFAULT_CHUNK = 256


class SaliencyError(UserError, ValueError):
    """A saliency request that cannot be answered; the message says why and what to use instead.

    A ``ValueError`` so plain callers can catch it, a ``UserError`` so the app shows the message
    in the view instead of a traceback.
    """


class NoConvolutionError(SaliencyError):
    """Grad-CAM was asked for on a network without a Conv2d layer."""


# --------------------------------------------------------------------------- guided rules

#: Activation type -> whether the guided rule also requires a positive forward input.
#:
#: Every listed activation passes back ``f'(x) * clamp(grad_out, min=0)``: only positive signal
#: from above (the "deconvnet" half of guided backprop), through the unit's own local
#: derivative (the "backprop" half). Rectifiers that are the identity for positive inputs and
#: merely leak below zero (relu, leaky_relu, prelu, elu, selu) count as active only where
#: their input is positive, as ReLU does, so the mask ``input > 0`` is applied too: this is
#: the original rule ``(x > 0) * clamp(g, 0)`` for ReLU, and ``scale * (x > 0) * clamp(g, 0)``
#: for SELU. ``abs`` is active on both sides (its derivative is sign(x)), so it passes
#: ``sign(x) * clamp(g, 0)``. The smooth ReLU-like curves (gelu, silu, softplus) have no sharp
#: active region: they get the positive-gradient clamp on top of their local derivative.
#: Saturating and linear activations (sigmoid, tanh, identity) are not rectifiers and keep
#: their ordinary gradient.
GUIDED_RULES: dict[type[nn.Module], bool] = {
    nn.ReLU: True,
    nn.ReLU6: True,
    nn.LeakyReLU: True,
    nn.PReLU: True,
    nn.ELU: True,
    nn.CELU: True,
    nn.SELU: True,
    Abs: False,
    nn.GELU: False,
    nn.SiLU: False,
    nn.Softplus: False,
    nn.Mish: False,
}


def guided_rule(module: nn.Module | None) -> bool | None:
    """The guided rule for a module (see ``GUIDED_RULES``), or None when it is not guided."""
    if module is None:
        return None
    for cls in type(module).__mro__:
        if cls in GUIDED_RULES:
            return GUIDED_RULES[cls]
    return None


def _spare(activation: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``x``, or a copy of it when ``activation`` works in place: the guided rule needs the
    pre-activation values after the activation has run."""
    return x.clone() if getattr(activation, "inplace", False) else x


class _GuidedFunction(torch.autograd.Function):
    """Forward: the activation unchanged. Backward: the guided rule instead of the gradient.

    The local derivative comes from autograd on the activation itself, so one function serves
    every elementwise activation (PReLU's learned slope included) without hand-written
    derivatives that could drift from the modules torch builds.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, activation: nn.Module, positive_only: bool) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.activation = activation
        ctx.positive_only = positive_only
        # Called like any module, so hooks others put on the activation still see it run.
        return activation(_spare(activation, x))

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            leaf = x.detach().requires_grad_(True)
            y = ctx.activation.forward(_spare(ctx.activation, leaf))  # .forward: no hooks fire twice
            (grad_in,) = torch.autograd.grad(y, leaf, grad_out.clamp(min=0))
        if ctx.positive_only:
            grad_in = grad_in * (x > 0)
        return grad_in, None, None


class _GuidedActivation(nn.Module):
    """Stands in for an activation module while guided backprop runs."""

    def __init__(self, activation: nn.Module, positive_only: bool) -> None:
        super().__init__()
        self.activation = activation
        self.positive_only = positive_only

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _GuidedFunction.apply(x, self.activation, self.positive_only)


@contextmanager
def _guided(model: nn.Module) -> Iterator[None]:
    """Swap every guided activation module for a ``_GuidedActivation``; put them back on exit.

    Swapping modules (rather than ``register_full_backward_hook``) works with in-place
    operations, and the ``finally`` restores the very same module objects even when the
    computation raises. Activations applied as functions (``F.relu``) are not modules and
    keep their ordinary gradient.
    """
    swapped: list[tuple[nn.Module, str, nn.Module]] = []
    try:
        for parent in list(model.modules()):
            for name, child in list(parent._modules.items()):
                rule = guided_rule(child)
                if child is not None and rule is not None:
                    parent._modules[name] = _GuidedActivation(child, rule)
                    swapped.append((parent, name, child))
        yield
    finally:
        for parent, name, child in reversed(swapped):
            parent._modules[name] = child


# --------------------------------------------------------------------------- the shared core

@contextmanager
def _inspecting(model: nn.Module) -> Iterator[torch.device]:
    """Eval mode and grad mode for the duration; every submodule's own flag restored after.

    Flags are restored one module at a time, not with ``model.train(was)``, so a model whose
    parts were in mixed modes comes back exactly as it was. ``inference_mode(False)`` because
    ``enable_grad`` alone does not lift inference mode.
    """
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.inference_mode(False), torch.enable_grad():
            yield _model_device(model)
    finally:
        for m, training in modes:
            m.training = training


def _model_device(model: nn.Module) -> torch.device:
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def _as_batch(x: Inputs, device: torch.device) -> torch.Tensor:
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if t.ndim < 2 or t.shape[0] == 0:
        raise SaliencyError(f"saliency needs a non-empty batch shaped (N, *input_shape), got shape {tuple(t.shape)}")
    return t.detach().to(device=device, dtype=torch.float32)


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    """An owned float32 copy: the training thread keeps changing the model after we return."""
    return t.detach().float().cpu().numpy().copy()


def _chunks(total: int, chunk: int) -> Iterator[slice]:
    for start in range(0, total, chunk):
        yield slice(start, min(start + chunk, total))


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if int(value) < 1:
            raise SaliencyError(f"{name} must be at least 1, got {value}")


def _as_logits(out: torch.Tensor) -> torch.Tensor:
    """The model's output as (N, classes); (N,) is one binary logit per sample."""
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2:
        raise SaliencyError(f"saliency needs class scores shaped (N, classes), the model gives {tuple(out.shape)}")
    return out


def _class_count(logits: torch.Tensor) -> int:
    return 2 if logits.shape[1] == 1 else logits.shape[1]


def _class_scores(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Score of each row's target class; a single output unit is a binary logit (class 0 = -z)."""
    logits = _as_logits(out)
    if logits.shape[1] == 1:
        z = logits[:, 0]
        return torch.where(target == 1, z, -z)
    return logits.gather(1, target[:, None])[:, 0]


def _predict(logits: torch.Tensor) -> torch.Tensor:
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).long()
    return logits.argmax(dim=1)


def _forward(model: nn.Module, x: torch.Tensor, chunk: int) -> torch.Tensor:
    with torch.no_grad():
        return _as_logits(torch.cat([model(x[s]) for s in _chunks(len(x), chunk)]))


def _resolve_target(model: nn.Module, x: torch.Tensor, target: Target, chunk: int) -> torch.Tensor:
    """One class index per sample on the model's device; the prediction when ``target`` is None."""
    logits = _forward(model, x, chunk)
    if target is None:
        return _predict(logits)
    t = torch.as_tensor(np.asarray(target.cpu() if isinstance(target, torch.Tensor) else target))
    t = t.reshape(-1).long().to(x.device)
    if t.numel() == 1:
        t = t.expand(len(x))
    if t.numel() != len(x):
        raise SaliencyError(f"got {t.numel()} target classes for {len(x)} samples: give one per sample or one for all")
    classes = _class_count(logits)
    bad = (t < 0) | (t >= classes)
    if bool(bad.any()):
        raise SaliencyError(f"target class {int(t[bad][0])} does not exist: the model has {classes} classes "
                            f"(0..{classes - 1})")
    return t.contiguous()


@dataclass
class _Backprop:
    grad: torch.Tensor
    score: torch.Tensor
    activation: torch.Tensor | None


def _backprop_score(model: nn.Module, x: torch.Tensor, target: torch.Tensor,
                    at: nn.Module | None = None) -> _Backprop:
    """Forward ``x``, take each row's target score, and differentiate their sum.

    With ``at=None`` the gradient is with respect to the input; otherwise with respect to the
    output of module ``at``, captured by a forward hook (forward hooks, unlike full backward
    hooks, work with in-place operations). ``torch.autograd.grad`` never writes ``.grad``.
    """
    captured: list[torch.Tensor] = []
    handle = at.register_forward_hook(lambda m, i, o: captured.append(o)) if at is not None else None
    try:
        with torch.enable_grad():
            leaf = x.detach().clone().requires_grad_(True)
            score = _class_scores(model(leaf), target)
            wrt = leaf if at is None else captured[-1]
            (grad,) = torch.autograd.grad(score.sum(), wrt)
    finally:
        if handle is not None:
            handle.remove()
    return _Backprop(grad.detach(), score.detach(), None if at is None else wrt.detach())


def _mean_gradient(model: nn.Module, x: torch.Tensor, target: torch.Tensor, count: int,
                   row: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                   transform: Callable[[torch.Tensor], torch.Tensor], chunk: int) -> torch.Tensor:
    """For each sample i, the mean over k < count of ``transform(grad at row(i, k))``.

    The (sample, k) pairs are streamed as one flat sequence in chunks of ``chunk`` rows, so
    memory does not grow with ``count`` (noise samples, path steps) nor with the batch.
    """
    total = torch.zeros_like(x)
    for part in _chunks(len(x) * count, chunk):
        flat = torch.arange(part.start, part.stop, device=x.device)
        i, k = flat // count, flat % count
        grad = _backprop_score(model, row(i, k), target[i]).grad
        total.index_add_(0, i, transform(grad))
    return total / count


def _gradient_map(model: nn.Module, x: Inputs, target: Target, chunk: int, *, guided: bool,
                  samples: int = 1, noise: float = 0.0, seed: int = 0,
                  magnitude: bool = True) -> np.ndarray:
    """Vanilla, guided and SmoothGrad maps: the mean gradient over ``samples`` noisy copies."""
    _check_positive(chunk=chunk, samples=samples)
    if not noise >= 0:
        raise SaliencyError(f"SmoothGrad noise must be a fraction >= 0 of the input range, got {noise}")
    with _inspecting(model) as device:
        xt = _as_batch(x, device)
        t = _resolve_target(model, xt, target, chunk)
        flat = xt.reshape(len(xt), -1)
        sigma = (noise * (flat.amax(dim=1) - flat.amin(dim=1))).reshape(-1, *[1] * (xt.ndim - 1))
        generator = torch.Generator(device=device)
        generator.manual_seed(seed)

        def row(i: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
            if noise == 0:
                return xt[i]
            return xt[i] + sigma[i] * torch.randn(xt[i].shape, generator=generator, device=device)

        transform = torch.abs if magnitude else (lambda g: g)
        with _guided(model) if guided else nullcontext():
            result = _mean_gradient(model, xt, t, samples, row, transform, chunk)
    return _to_numpy(result)


# --------------------------------------------------------------------------- public methods

def vanilla_gradient(model: nn.Module, x: Inputs, target: Target = None, *,
                     chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """|d score_c / d x| per input value (Simonyan 2013): how much a tiny change of each pixel
    would move the class score. Shaped like ``x``, non-negative, float32.

    ``model`` maps ``(N, *input_shape)`` raw inputs to class scores (a ``GraphModel`` or any
    ``nn.Module``); ``target`` is the class per sample (or one for all), default the prediction.
    """
    return _gradient_map(model, x, target, chunk, guided=False)


def guided_backprop(model: nn.Module, x: Inputs, target: Target = None, *,
                    chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """Guided backpropagation (Springenberg 2014): the gradient with every rectifier passing
    back only positive signal where it was active (``GUIDED_RULES``), which suppresses the
    noise of vanilla maps and leaves sharper, image-like pictures of what raised the score.

    Signed, shaped like ``x``, float32: positive where a brighter pixel supports the class
    (``reduce_channels`` or ``np.abs`` for a magnitude map). The activation modules are
    swapped for guided stand-ins only for the duration of the call; the same module objects
    are back in place afterwards, also when it raises.
    """
    return _gradient_map(model, x, target, chunk, guided=True, magnitude=False)


def smoothgrad(model: nn.Module, x: Inputs, target: Target = None, *, samples: int = 25,
               noise: float = 0.15, guided: bool = False, seed: int = 0,
               chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """SmoothGrad (Smilkov 2017): the average gradient magnitude over ``samples`` copies of each
    input with Gaussian noise of standard deviation ``noise x (max - min)`` of that input.

    Gradient maps of ReLU networks flicker from pixel to pixel; averaging over nearby inputs
    keeps what is stable. With ``guided`` the averaged map is guided backprop's. With
    ``noise=0`` it equals ``vanilla_gradient`` (or ``abs(guided_backprop)``). Evaluations are
    streamed in chunks of ``chunk`` rows, so memory does not grow with ``samples``. ``seed``
    makes the noise, and so the map, reproducible.
    """
    return _gradient_map(model, x, target, chunk, guided=guided, samples=samples, noise=noise, seed=seed)


def _baseline(model: nn.Module, xt: torch.Tensor, baseline: Baseline) -> torch.Tensor:
    """The integrated-gradients baseline as a batch like ``xt``, in raw input space."""
    if isinstance(baseline, str):
        if baseline == "zeros":
            return torch.zeros_like(xt)
        if baseline == "mean":
            norm = next((m for m in model.modules() if isinstance(m, Normalize)), None)
            if norm is None:
                raise SaliencyError("baseline 'mean' needs the dataset mean, but this model has no input "
                                    "normalisation: use baseline 'zeros' or pass a baseline array")
            return norm.mean.to(xt).expand_as(xt).clone()
        raise SaliencyError(f"unknown baseline {baseline!r}: use 'zeros', 'mean' or an array shaped like the input")
    b = _as_batch(baseline[None] if baseline.ndim == xt.ndim - 1 else baseline, xt.device)
    try:
        return b.expand_as(xt).clone()
    except RuntimeError:
        raise SaliencyError(f"baseline shaped {tuple(b.shape)} does not match the input {tuple(xt.shape)}") from None


def integrated_gradients(model: nn.Module, x: Inputs, target: Target = None, *,
                         baseline: Baseline = "zeros", steps: int = 32,
                         chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """Integrated gradients (Sundararajan 2017): ``(x - x') * mean_k grad(x' + a_k (x - x'))``
    with ``a_k = (k + 1/2) / steps`` (midpoint rule).

    Unlike a single gradient, the attributions add up to ``score(x) - score(x')``
    (completeness; ``completeness`` measures how closely with a given ``steps``), so each value
    says how much of the score that input value is responsible for. Signed, shaped like ``x``.

    ``baseline`` is the input that means "nothing": ``"zeros"`` (default) is all-zero *raw*
    input, for digits a blank page; ``"mean"`` is the training-set mean the model's Input node
    normalises with (the grey average image, which normalises to zero); or an array shaped
    like one input or like ``x``. The ``steps`` x N path points are evaluated ``chunk`` rows
    at a time, so memory is O(chunk x input) whatever ``steps`` is.
    """
    _check_positive(steps=steps, chunk=chunk)
    with _inspecting(model) as device:
        xt = _as_batch(x, device)
        t = _resolve_target(model, xt, target, chunk)
        base = _baseline(model, xt, baseline)
        delta = xt - base
        alphas = (torch.arange(steps, device=device, dtype=xt.dtype) + 0.5) / steps
        shape = (-1, *[1] * (xt.ndim - 1))

        def row(i: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
            return base[i] + alphas[k].reshape(shape) * delta[i]

        mean_grad = _mean_gradient(model, xt, t, steps, row, lambda g: g, chunk)
    return _to_numpy(delta * mean_grad)


@dataclass(frozen=True)
class Completeness:
    """How well attributions add up: ``attribution_sum`` should equal ``score_difference``
    (score(x) - score(baseline)) for integrated gradients; both shaped ``(N,)``."""

    attribution_sum: np.ndarray
    score_difference: np.ndarray

    @property
    def gap(self) -> np.ndarray:
        """Absolute error per sample."""
        return np.abs(self.attribution_sum - self.score_difference)

    @property
    def relative_gap(self) -> np.ndarray:
        """Error relative to the score difference it should explain."""
        return self.gap / np.maximum(np.abs(self.score_difference), 1e-12)


def completeness(model: nn.Module, x: Inputs, attributions: Inputs, target: Target = None, *,
                 baseline: Baseline = "zeros", chunk: int = DEFAULT_CHUNK) -> Completeness:
    """Check integrated gradients' completeness axiom on ``attributions`` for ``x``: pass the
    same ``target`` and ``baseline`` as to ``integrated_gradients``. A large relative gap says
    ``steps`` is too small for this model."""
    _check_positive(chunk=chunk)
    with _inspecting(model) as device:
        xt = _as_batch(x, device)
        t = _resolve_target(model, xt, target, chunk)
        base = _baseline(model, xt, baseline)
        scores = _class_scores(_forward(model, xt, chunk), t) - _class_scores(_forward(model, base, chunk), t)
    attr = np.asarray(attributions, dtype=np.float64).reshape(len(xt), -1).sum(axis=1)
    return Completeness(attr, _to_numpy(scores).astype(np.float64))


def last_conv_layer(model: nn.Module) -> tuple[str, nn.Module]:
    """The layer Grad-CAM looks at: (node id, module) of the last Conv2d node in topological
    order for a ``GraphModel`` (its output is after activation, batch norm and dropout), or
    (name, module) of the last registered ``nn.Conv2d`` of any other module.

    Raises ``NoConvolutionError`` when there is none.
    """
    node_types = getattr(model, "node_types", None)
    if isinstance(node_types, dict) and hasattr(model, "node_modules"):
        convs = [(n, m) for n, m in model.node_modules() if node_types.get(n) == "Conv2d"]
    else:
        convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise NoConvolutionError("Grad-CAM needs a Conv2d layer, whose feature maps it weighs, and this network "
                                 "has none: use vanilla gradient, guided backprop, SmoothGrad or integrated "
                                 "gradients instead")
    return convs[-1]


def grad_cam(model: nn.Module, x: Inputs, target: Target = None, *, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """Grad-CAM (Selvaraju 2017): ``relu(sum_k w_k A_k)`` with ``A_k`` the feature maps of the
    last convolution (``last_conv_layer``) and ``w_k`` the spatial mean of d score / d A_k.

    Coarse (the last conv's resolution) but class-specific: it shows *where* the evidence for
    the class lies. Returned ``(N, H, W)``, non-negative, upsampled bilinearly to the input's
    height and width. Raises ``NoConvolutionError`` (a ``ValueError``) when the network has no
    Conv2d, so the view can show its message in place of the map.
    """
    _check_positive(chunk=chunk)
    _, layer = last_conv_layer(model)
    with _inspecting(model) as device:
        xt = _as_batch(x, device)
        if xt.ndim != 4:
            raise SaliencyError(f"Grad-CAM needs image inputs (N, C, H, W), got shape {tuple(xt.shape)}")
        t = _resolve_target(model, xt, target, chunk)
        maps = []
        for part in _chunks(len(xt), chunk):
            back = _backprop_score(model, xt[part], t[part], at=layer)
            assert back.activation is not None
            weights = back.grad.mean(dim=(2, 3), keepdim=True)
            maps.append(torch.relu((weights * back.activation).sum(dim=1, keepdim=True)))
        cam = F.interpolate(torch.cat(maps), size=tuple(xt.shape[2:]), mode="bilinear", align_corners=False)
    return _to_numpy(cam[:, 0].clamp(min=0))


def predicted_classes(model: nn.Module, x: Inputs, *, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """The class each sample is predicted as (the default target), as int64 ``(N,)``."""
    _check_positive(chunk=chunk)
    with _inspecting(model) as device:
        return _resolve_target(model, _as_batch(x, device), None, chunk).cpu().numpy().copy()


def reduce_channels(maps: np.ndarray, *, keep_sign: bool = False) -> np.ndarray:
    """``(N, C, H, W)`` maps -> ``(N, H, W)`` for display: per pixel the channel value of largest
    magnitude (Simonyan's max over colour channels). Its absolute value by default; with
    ``keep_sign`` the value itself, for signed maps such as integrated gradients or guided
    backprop. ``(N, H, W)`` maps (Grad-CAM) pass through the same way."""
    a = np.asarray(maps, dtype=np.float32)
    if a.ndim == 3:
        a = a[:, None]
    if a.ndim != 4:
        raise SaliencyError(f"reduce_channels needs image maps (N, C, H, W) or (N, H, W), got shape {a.shape}")
    pick = np.take_along_axis(a, np.abs(a).argmax(axis=1)[:, None], axis=1)[:, 0]
    return np.ascontiguousarray(pick if keep_sign else np.abs(pick), dtype=np.float32)


# --------------------------------------------------------------------------- registry for the view

@dataclass(frozen=True)
class SaliencyMethod:
    """One choice in the Saliency view: its name, a label, what it shows, and the function
    ``(model, x, target) -> map`` (options left at their defaults)."""

    name: str
    title: str
    help: str
    compute: Callable[..., np.ndarray]
    signed: bool = False
    per_channel: bool = True


SALIENCY_METHODS: dict[str, SaliencyMethod] = {
    m.name: m
    for m in (
        SaliencyMethod("vanilla", "Gradient", "|d score / d pixel| (Simonyan 2013): which pixels would change the "
                       "class score most.", vanilla_gradient),
        SaliencyMethod("guided", "Guided backprop", "Gradient with only positive signal passed back through "
                       "rectifiers (Springenberg 2014): sharper maps.", guided_backprop, signed=True),
        SaliencyMethod("smoothgrad", "SmoothGrad", "Gradient magnitude averaged over noisy copies of the input "
                       "(Smilkov 2017): less speckle.", smoothgrad),
        SaliencyMethod("grad_cam", "Grad-CAM", "Last convolution's feature maps weighted by their gradient "
                       "(Selvaraju 2017): where the evidence lies.", grad_cam, per_channel=False),
        SaliencyMethod("integrated_gradients", "Integrated gradients", "Gradient integrated from a blank input "
                       "(Sundararajan 2017): attributions that add up to the score.", integrated_gradients,
                       signed=True),
    )
}
