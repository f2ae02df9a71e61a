"""The layer catalogue: one entry per node type of the project format.

Each entry carries its parameter schema (defaults, ranges, help texts a student can read),
a shape rule that also counts parameters, and a torch factory. The editor's palette and
inspector, shape inference, the model builder and the exporters all read this one table,
so adding a node type is one entry here.

The table itself imports no torch: the editor reads the schemas and shape rules while the
window starts, before PyTorch has loaded in the background. The factories import it when
they first build a module.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from playground.core.params import Param

if TYPE_CHECKING:
    import torch
    from torch import nn

Shape = tuple[int, ...]

#: Largest number of values one node may produce per sample: beyond it a single batch would
#: exhaust memory on a desktop machine, so the size is refused rather than attempted.
MAX_ACTIVATION_ELEMENTS = 1 << 24
#: Largest parameter count of one node (400 MB of float32 weights).
MAX_NODE_PARAMETERS = 100_000_000


class ShapeError(Exception):
    """A shape rule's refusal; the message says what to change."""


# --------------------------------------------------------------------------- activations

ActivationFamily = Literal["linear", "saturating", "relu", "smooth"]


@dataclass(frozen=True)
class Activation:
    """A non-linearity: how to build it, what it teaches, and what its failure mode is.

    ``family`` tells the probes what to measure: saturating units (sigmoid, tanh) get a
    saturated fraction, ReLU-family units a dead fraction.
    """

    name: str
    help: str
    family: ActivationFamily
    make: Callable[[], nn.Module]
    parameters: int = 0


def _torch_module(name: str, *args: float) -> Callable[[], nn.Module]:
    """A factory of ``torch.nn.<name>(*args)`` that imports torch only when it is called."""
    def make() -> nn.Module:
        from torch import nn

        return getattr(nn, name)(*args)
    return make


def _abs() -> nn.Module:
    from playground.core.modules import Abs

    return Abs()


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", "No non-linearity: stacked linear layers stay one linear map.", "linear",
                   _torch_module("Identity")),
        Activation("sigmoid", "Squashes to (0, 1); its gradient is at most 0.25 and vanishes in the flat "
                   "tails, so deep sigmoid stacks train slowly.", "saturating", _torch_module("Sigmoid")),
        Activation("tanh", "Squashes to (-1, 1), zero-centred; saturates like sigmoid for large inputs.",
                   "saturating", _torch_module("Tanh")),
        Activation("relu", "max(0, z): cheap and does not saturate for positive inputs; units stuck "
                   "below zero stop learning (dead ReLU).", "relu", _torch_module("ReLU")),
        Activation("leaky_relu", "max(0, z) + 0.01·min(0, z): a small slope below zero keeps units "
                   "alive.", "relu", _torch_module("LeakyReLU", 0.01)),
        Activation("prelu", "Leaky ReLU whose negative slope is learned (one parameter).", "relu",
                   _torch_module("PReLU"), parameters=1),
        Activation("elu", "Like ReLU for positive inputs, a smooth exponential curve below zero that "
                   "pushes mean activations towards zero.", "relu", _torch_module("ELU")),
        Activation("selu", "Scaled ELU that keeps activations near zero mean and unit variance with "
                   "LeCun-normal init.", "relu", _torch_module("SELU")),
        Activation("gelu", "Smooth ReLU-like curve used in transformers: z times the Gaussian CDF of z.",
                   "smooth", _torch_module("GELU")),
        Activation("silu", "z·sigmoid(z) (swish): smooth and non-monotonic near zero.", "smooth",
                   _torch_module("SiLU")),
        Activation("softplus", "log(1 + e^z): a smooth ReLU that never has exactly zero gradient.",
                   "smooth", _torch_module("Softplus")),
        Activation("abs", "|z|: absolute-value rectification, the generalised rectifier with alpha = -1.",
                   "relu", _abs),
    )
}

# --------------------------------------------------------------------------- initialisation

InitFn = Callable[["torch.Tensor", dict[str, Any]], None]


@dataclass(frozen=True)
class Init:
    """A weight initialisation scheme. ``data_dependent`` ones need a batch (see build)."""

    name: str
    help: str
    apply: InitFn | None
    data_dependent: bool = False


def _torch_init(name: str, **kwargs: str) -> InitFn:
    """``torch.nn.init.<name>(w, **kwargs)``, importing torch only when it is called."""
    def apply(w: torch.Tensor, p: dict[str, Any]) -> None:
        from torch import nn

        getattr(nn.init, name)(w, **kwargs)
    return apply


def _normal(w: torch.Tensor, p: dict[str, Any]) -> None:
    from torch import nn

    nn.init.normal_(w, 0.0, float(p.get("init_std", 0.01)))


INITS: dict[str, Init] = {
    i.name: i
    for i in (
        Init("default", "PyTorch's default: uniform with a scale from the fan-in.", None),
        Init("xavier_uniform", "Glorot: Var(w) = 2 / (fan_in + fan_out), uniform; suits tanh and sigmoid.",
             _torch_init("xavier_uniform_")),
        Init("xavier_normal", "Glorot: Var(w) = 2 / (fan_in + fan_out), normal.",
             _torch_init("xavier_normal_")),
        Init("he_uniform", "He: Var(w) = 2 / fan_in, uniform; keeps ReLU signals from shrinking.",
             _torch_init("kaiming_uniform_", nonlinearity="relu")),
        Init("he_normal", "He: Var(w) = 2 / fan_in, normal; keeps ReLU signals from shrinking.",
             _torch_init("kaiming_normal_", nonlinearity="relu")),
        Init("lecun_normal", "LeCun: Var(w) = 1 / fan_in, normal; the partner of SELU.",
             _torch_init("kaiming_normal_", nonlinearity="linear")),
        Init("orthogonal", "A random orthogonal matrix (Saxe 2014): preserves norms through the layer.",
             _torch_init("orthogonal_")),
        Init("normal", "Normal with the standard deviation 'init std': too small and signals vanish "
             "layer by layer.", _normal),
        Init("zeros", "All weights zero: every unit computes the same thing and they never become "
             "different (the symmetry problem).", _torch_init("zeros_")),
        Init("lsuv", "Data-dependent (LSUV): orthogonal, then each layer is scaled so its output "
             "variance on a real batch is 1.", _torch_init("orthogonal_"), data_dependent=True),
    )
}


def apply_init(module: nn.Module, params: dict[str, Any]) -> None:
    """Initialise the weights of a Linear or Conv2d by the node's ``init`` choice.

    Every non-default scheme zeroes the bias, as the lectures' formulas assume.
    """
    import torch
    from torch import nn

    init = INITS[params.get("init", "default")]
    if init.apply is None:
        return
    with torch.no_grad():
        init.apply(module.weight, params)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)


# --------------------------------------------------------------------------- parameter schemas

def _activation_param(default: str = "relu", name: str = "activation") -> Param:
    return Param(name, "choice", default, "The non-linearity applied to this layer's output.",
                 choices=tuple(ACTIVATIONS))


INIT_PARAMS = (
    Param("init", "choice", "default", "How the weights start; the scale decides whether signals and "
          "gradients shrink, grow or stay steady through depth.", choices=tuple(INITS)),
    Param("init_std", "float", 0.01, "Standard deviation of the 'normal' init.", minimum=0.0,
          maximum=10.0, min_exclusive=True, label="Init std", log_scale=True),
)

BIAS_PARAM = Param("bias", "bool", True, "Add a learned offset to every unit.")
DROPOUT_PARAM = Param("dropout", "float", 0.0, "During training, drop each output with this probability; an "
                      "ensemble of thinned networks that fights overfitting.", minimum=0.0, maximum=1.0,
                      max_exclusive=True)
WEIGHTED_EXTRAS = (
    BIAS_PARAM,
    Param("batchnorm", "bool", False, "Normalise each unit over the mini-batch (then scale and shift with "
          "learned gamma, beta) before the activation: less sensitive to init, allows larger learning "
          "rates.", label="Batch norm"),
    DROPOUT_PARAM,
)

#: How many filters and how large: what Conv2d and ConvTranspose2d share.
FILTER_PARAMS = (
    Param("filters", "int", 8, "Number of filters, i.e. output channels.", minimum=1, maximum=4096),
    Param("kernel", "int", 3, "Width and height of each square filter.", minimum=1, maximum=31),
)
POOL_PARAMS = (
    Param("kernel", "int", 2, "Size of the square window that is reduced to one value.", minimum=1,
          maximum=32),
    Param("stride", "int", None, "Step between windows; empty means equal to the kernel size.",
          minimum=1, maximum=32, nullable=True, null_label="= kernel"),
)


# --------------------------------------------------------------------------- shape helpers

@dataclass(frozen=True)
class ShapeContext:
    """What a shape rule may need beyond its inputs: the node's name and the dataset's sizes."""

    node_id: str
    type_name: str
    input_shape: Shape
    output_units: int
    #: The shape of one raw example (``DatasetMeta.raw_shape``): what a reconstruction
    #: (an Output with target "input") must produce.
    raw_shape: Shape = ()
    #: The Input node's id: on a token dataset its output is token ids, which only an Embedding reads.
    input_id: str = ""
    #: Size of a token dataset's vocabulary (``DatasetMeta.vocab``); 0 for numeric data.
    vocab: int = 0
    #: The dataset's examples are sequences (token ids or (T, F) steps).
    sequence_data: bool = False
    #: The dataset has a target at every position (``DatasetMeta.per_step_targets``).
    per_step_targets: bool = False
    #: The nearest recurrent node upstream of this one and its ``return_sequences``: whom an
    #: error about a missing or surplus time axis should point at.
    recurrent_before: tuple[str, bool] | None = None

    @property
    def who(self) -> str:
        return f"{self.type_name} '{self.node_id}'"


def describe(shape: Shape) -> str:
    """A shape in words: '64 features', 'a sequence of 20 steps × 32 features' or 'a 1×8×8 image'."""
    if len(shape) == 1:
        return _count(shape[0], "feature")
    if len(shape) == 2:
        return f"a sequence of {_count(shape[0], 'step')} × {_count(shape[1], 'feature')}"
    return "a " + "×".join(str(s) for s in shape) + " image"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def describe_tokens(steps: int) -> str:
    """The Input's output on a token dataset in words: '20 token ids'."""
    return f"{steps} token ids"


def _require_image(shape: Shape, ctx: ShapeContext) -> Shape:
    if len(shape) == 2:
        raise ShapeError(f"{ctx.who} needs an image input (C, H, W) but gets {describe(shape)}: over time "
                         "steps use a recurrent layer (RNN, LSTM, GRU), or Dense, which acts on every step")
    if len(shape) != 3:
        raise ShapeError(
            f"{ctx.who} needs an image input (C, H, W) but gets {describe(shape)}: "
            "put it before Flatten or use Dense"
        )
    return shape


def _refuse_sequence(shape: Shape, ctx: ShapeContext, instead: str) -> None:
    """A layer that has no per-step meaning refuses a sequence, saying what to do instead."""
    if len(shape) == 2:
        raise ShapeError(f"{ctx.who} does not work on {describe(shape)}: {instead}")


def _spatial_out(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def _conv_padding(params: dict[str, Any], ctx: ShapeContext) -> int | str:
    if params["padding"] == "valid":
        return 0
    if params["stride"] == 1:
        return "same"
    if params["kernel"] % 2 == 0:
        raise ShapeError(f"{ctx.who}: 'same' padding with stride {params['stride']} needs an odd kernel; "
                         "use kernel 3 or 5, stride 1, or 'valid' padding")
    return params["kernel"] // 2


def _activation_params(params: dict[str, Any], key: str = "activation") -> int:
    return ACTIVATIONS[params[key]].parameters


def _times(shape: Shape) -> str:
    return "×".join(str(s) for s in shape)


def _transposed_padding(params: dict[str, Any], ctx: ShapeContext) -> tuple[int, int]:
    """(padding, output padding) of a transposed convolution: 'valid' pads nothing and gives
    (H - 1)·stride + kernel; 'same' gives H·stride, the inverse of a 'same' Conv2d's size."""
    k, s = params["kernel"], params["stride"]
    if params["padding"] == "valid":
        return 0, 0
    if k < s or (s == 1 and k % 2 == 0):
        raise ShapeError(f"{ctx.who}: 'same' padding with stride {s} needs "
                         + ("an odd kernel" if k >= s else f"a kernel of at least {s}")
                         + "; change the kernel or use 'valid' padding")
    pad = (k - s + 1) // 2
    return pad, 2 * pad - (k - s)


# --------------------------------------------------------------------------- layer types

Inputs = Sequence[tuple[str, Shape]]
InferFn = Callable[[Inputs, dict[str, Any], ShapeContext], tuple[Shape, int]]
BuildFn = Callable[[Inputs, dict[str, Any], ShapeContext], "nn.Module"]


@dataclass(frozen=True)
class LayerType:
    """One node type: schema, arity, shape rule (shape and parameter count), torch factory."""

    name: str
    group: Literal["Input/Output", "Core", "Convolution", "Recurrent", "Regularisation", "Merge"]
    help: str
    params: tuple[Param, ...]
    infer: InferFn
    build: BuildFn
    summary: Callable[[dict[str, Any]], str]
    min_inputs: int = 1
    max_inputs: int | None = 1
    min_outputs: int = 1
    weighted: bool = False
    #: Passes its input on unchanged when the network is evaluated (dropout acts in training
    #: only): what looks for the layer that reads the input (first-layer filters) looks through it.
    transparent_at_test: bool = False
    #: Defaults that depend on other parameters: (given, resolved) -> resolved, applied after
    #: the schema's fixed defaults (an Output reconstructing its input defaults to mse).
    complete: Callable[[Mapping[str, Any], dict[str, Any]], dict[str, Any]] | None = None
    #: Reads a token dataset's ids (an Embedding); every other node refuses them.
    reads_tokens: bool = False

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, given: Mapping[str, Any], resolved: dict[str, Any]) -> dict[str, Any]:
        """``resolved`` (the schema's defaults filled into ``given``) with dependent defaults applied."""
        return self.complete(given, resolved) if self.complete else resolved


def _per_step(shape: Shape) -> bool:
    """Whether a Dense or Output acts on every step of ``shape`` (a sequence (T, F)) rather than on
    all its values at once."""
    return len(shape) == 2


def _dense_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    shape = inputs[0][1]
    units = p["units"]
    if _per_step(shape) and p["batchnorm"]:
        raise ShapeError(f"{ctx.who} acts on every step of {describe(shape)}, where batch norm would mix the "
                         "steps' statistics: turn batch norm off")
    fan_in = shape[-1] if _per_step(shape) else math.prod(shape)
    n = fan_in * units + (units if p["bias"] else 0) + (2 * units if p["batchnorm"] else 0)
    out = (shape[0], units) if _per_step(shape) else (units,)
    return out, n + _activation_params(p)


def _post(p: dict[str, Any], features: int, image: bool) -> list[tuple[str, nn.Module]]:
    """Batch norm, activation and dropout, in the order the format fixes."""
    from torch import nn

    parts: list[tuple[str, nn.Module]] = []
    if p["batchnorm"]:
        parts.append(("bn", nn.BatchNorm2d(features) if image else nn.BatchNorm1d(features)))
    parts.append(("act", ACTIVATIONS[p["activation"]].make()))
    if p["dropout"] > 0:
        parts.append(("drop", nn.Dropout(p["dropout"])))
    return parts


def _dense_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from torch import nn

    shape = inputs[0][1]
    linear = nn.Linear(shape[-1] if _per_step(shape) else math.prod(shape), p["units"], bias=p["bias"])
    apply_init(linear, p)
    parts: list[tuple[str, nn.Module]] = [("flatten", nn.Flatten())] if len(shape) > 2 else []
    parts.append(("linear", linear))
    return nn.Sequential(OrderedDict(parts + _post(p, p["units"], image=False)))


def _dense_summary(p: dict[str, Any]) -> str:
    return " · ".join([f"Dense {p['units']}", p["activation"], *_extras_summary(p)])


def _extras_summary(p: dict[str, Any]) -> list[str]:
    out = []
    if p.get("batchnorm"):
        out.append("BN")
    if p.get("dropout"):
        out.append(f"drop {p['dropout']:g}")
    return out


def _maxout_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    _refuse_sequence(inputs[0][1], ctx, "put Flatten before it, or use Dense, which acts on every step")
    fan_in = math.prod(inputs[0][1])
    pieces = p["units"] * p["pieces"]
    return (p["units"],), fan_in * pieces + (pieces if p["bias"] else 0)


def _maxout_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from torch import nn

    from playground.core.modules import Maxout

    shape = inputs[0][1]
    linear = nn.Linear(math.prod(shape), p["units"] * p["pieces"], bias=p["bias"])
    apply_init(linear, p)
    parts: list[tuple[str, nn.Module]] = [("flatten", nn.Flatten())] if len(shape) > 1 else []
    parts += [("linear", linear), ("maxout", Maxout(p["pieces"]))]
    if p["dropout"] > 0:
        parts.append(("drop", nn.Dropout(p["dropout"])))
    return nn.Sequential(OrderedDict(parts))


def _maxout_summary(p: dict[str, Any]) -> str:
    return " · ".join([f"Maxout {p['units']}", f"{p['pieces']} pieces", *_extras_summary(p)])


def _conv_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    c, h, w = _require_image(inputs[0][1], ctx)
    k, s = p["kernel"], p["stride"]
    pad = _conv_padding(p, ctx)
    if pad == "same":
        oh, ow = h, w
    else:
        oh, ow = _spatial_out(h, k, s, pad), _spatial_out(w, k, s, pad)
    if oh <= 0 or ow <= 0:
        raise ShapeError(f"{ctx.who}: kernel {k} is larger than its {h}×{w} input: use a smaller kernel, "
                         "'same' padding, or fewer pooling layers before it")
    f = p["filters"]
    n = c * k * k * f + (f if p["bias"] else 0) + (2 * f if p["batchnorm"] else 0)
    return (f, oh, ow), n + _activation_params(p)


def _conv_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from torch import nn

    c = inputs[0][1][0]
    conv = nn.Conv2d(c, p["filters"], p["kernel"], stride=p["stride"], padding=_conv_padding(p, ctx),
                     bias=p["bias"])
    apply_init(conv, p)
    return nn.Sequential(OrderedDict([("conv", conv), *_post(p, p["filters"], image=True)]))


def _conv_summary(p: dict[str, Any]) -> str:
    k = p["kernel"]
    head = f"Conv2d {p['filters']} {k}×{k}" + (f" /{p['stride']}" if p["stride"] != 1 else "")
    return " · ".join([head, p["activation"], *_extras_summary(p)])


def _conv_transpose_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    c, h, w = _require_image(inputs[0][1], ctx)
    k, s = p["kernel"], p["stride"]
    pad, extra = _transposed_padding(p, ctx)
    f = p["filters"]
    n = c * k * k * f + (f if p["bias"] else 0) + (2 * f if p["batchnorm"] else 0)
    return (f, (h - 1) * s - 2 * pad + k + extra, (w - 1) * s - 2 * pad + k + extra), n + _activation_params(p)


def _conv_transpose_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from torch import nn

    pad, extra = _transposed_padding(p, ctx)
    conv = nn.ConvTranspose2d(inputs[0][1][0], p["filters"], p["kernel"], stride=p["stride"], padding=pad,
                              output_padding=extra, bias=p["bias"])
    apply_init(conv, p)
    return nn.Sequential(OrderedDict([("conv", conv), *_post(p, p["filters"], image=True)]))


def _reshape_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    shape = tuple(p["shape"])
    values = math.prod(inputs[0][1])
    if math.prod(shape) != values:
        raise ShapeError(f"{ctx.who} cannot make {describe(inputs[0][1])} into {_times(shape)} "
                         f"({math.prod(shape):,} values): the shape's sizes must multiply to {values:,}")
    return shape, 0


def _reshape_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from torch import nn

    return nn.Unflatten(1, tuple(p["shape"])) if len(inputs[0][1]) == 1 else nn.Sequential(
        OrderedDict([("flatten", nn.Flatten()), ("unflatten", nn.Unflatten(1, tuple(p["shape"])))]))


def _upsample_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    c, h, w = _require_image(inputs[0][1], ctx)
    return (c, h * p["scale"], w * p["scale"]), 0


def _upsample_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from torch import nn

    return nn.Upsample(scale_factor=p["scale"], mode="nearest")


def _noise_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from playground.core.modules import GaussianNoise

    return GaussianNoise(p["std"])


def _pool_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    c, h, w = _require_image(inputs[0][1], ctx)
    k = p["kernel"]
    s = p["stride"] or k
    if k > h or k > w:
        raise ShapeError(f"{ctx.who}: kernel {k} is larger than its {h}×{w} input: use a smaller kernel "
                         "or remove a pooling layer before it")
    return (c, _spatial_out(h, k, s, 0), _spatial_out(w, k, s, 0)), 0


def _pool_builder(name: str) -> BuildFn:
    """The factory of ``torch.nn.<name>`` (a pooling class) from the node's kernel and stride."""
    def build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
        from torch import nn

        return getattr(nn, name)(p["kernel"], stride=p["stride"] or p["kernel"])
    return build


def _same_shape(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    return inputs[0][1], 0


def _flatten_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    return (math.prod(inputs[0][1]),), 0


def _batchnorm_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    shape = inputs[0][1]
    _refuse_sequence(shape, ctx, "batch norm would mix the statistics of different time steps; leave it out, or "
                     "put it after a recurrent layer that passes on only its last step")
    return shape, 2 * shape[0]


def _batchnorm_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from torch import nn

    shape = inputs[0][1]
    return nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])


def _dropout_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from torch import nn

    return nn.Dropout(p["p"])


def _embedding_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    source, shape = inputs[0]
    if not ctx.vocab:
        raise ShapeError(f"{ctx.who} looks up token ids, which only a token dataset (text, memory) gives, but "
                         f"gets {describe(shape)}: use Dense to learn from numbers")
    if source != ctx.input_id:
        raise ShapeError(f"{ctx.who} looks up the token ids the Input gives but gets {describe(shape)} from "
                         f"'{source}': connect it straight to the Input")
    return (shape[0], p["dim"]), ctx.vocab * p["dim"]


def _embedding_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from playground.core.modules import TokenEmbedding

    return TokenEmbedding(ctx.vocab, p["dim"])


#: Weight sets per recurrent layer type: a plain RNN has one, an LSTM one per gate and one for
#: the candidate cell value (4), a GRU two gates and the candidate (3).
_RECURRENT_BLOCKS = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _recurrent_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    shape = inputs[0][1]
    if len(shape) != 2:
        before, keeps_steps = ctx.recurrent_before or ("", True)
        if not keeps_steps:
            fix = f"turn return_sequences on for '{before}' so that it passes on every step"
        elif ctx.vocab:
            fix = "put an Embedding first"
        elif len(shape) == 3:
            fix = f"use Reshape to read it as a sequence, e.g. shape [{shape[1]}, {shape[0] * shape[2]}]"
        else:
            fix = f"use Reshape to read the features as a sequence, e.g. shape [{shape[0]}, 1]"
        raise ShapeError(f"{ctx.who} needs a sequence input (T, F) but gets {describe(shape)}: {fix}")
    steps, features = shape
    units = p["units"]
    # PyTorch's layers carry two biases per weight set (input and recurrent), as cuDNN does
    count = _RECURRENT_BLOCKS[ctx.type_name] * (units * (features + units) + 2 * units)
    return ((steps, units) if p["return_sequences"] else (units,)), count


def _recurrent_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from playground.core.modules import Recurrent

    return Recurrent(ctx.type_name, inputs[0][1][1], p["units"], return_sequences=p["return_sequences"],
                     activation=p.get("activation", "tanh"), bptt=p["bptt"])


def _recurrent_summary(kind: str) -> Callable[[dict[str, Any]], str]:
    def summary(p: dict[str, Any]) -> str:
        parts = [f"{kind} {p['units']}", *([p["activation"]] if "activation" in p else []),
                 "all steps" if p["return_sequences"] else "last step"]
        return " · ".join(parts + ([f"bptt {p['bptt']}"] if p["bptt"] else []))
    return summary


def _recurrent_params(help_units: str) -> tuple[Param, ...]:
    """Units, ``return_sequences`` and ``bptt``: what every recurrent layer type takes."""
    return (
        Param("units", "int", 64, help_units, minimum=1, maximum=4096),
        Param("return_sequences", "bool", True, "On: pass on the hidden state of every step, a sequence (T, "
              "units), for another recurrent layer or an Output that predicts at every position. Off: only "
              "the last step's, a summary of the whole sequence (units) for one prediction per sequence.",
              label="Return sequences"),
        Param("bptt", "int", None, "Truncated backpropagation through time: gradients flow back at most this "
              "many steps; empty = the whole sequence.", minimum=1, maximum=100_000, nullable=True,
              null_label="whole sequence", label="BPTT length"),
    )


def _fixed(name: str) -> BuildFn:
    """The factory of a node type without parameters, ``torch.nn.<name>()``; torch loads on the
    first call."""
    def build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
        from torch import nn

        return getattr(nn, name)()
    return build


def _merge(name: str) -> BuildFn:
    """The factory of a merge node, the playground's own module ``core.modules.<name>``."""
    def build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
        from playground.core import modules

        return getattr(modules, name)()
    return build


def _sources(inputs: Inputs) -> str:
    return ", ".join(f"{describe(s)} from '{src}'" for src, s in inputs)


def _add_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    first = inputs[0][1]
    if any(s != first for _, s in inputs[1:]):
        raise ShapeError(f"{ctx.who} needs inputs of equal shape but gets {_sources(inputs)}: "
                         "make their sizes equal or use Concat")
    return first, 0


def _concat_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    shapes = [s for _, s in inputs]
    if all(len(s) == 1 for s in shapes):
        return (sum(s[0] for s in shapes),), 0
    if all(len(s) == 3 for s in shapes) and len({s[1:] for s in shapes}) == 1:
        return (sum(s[0] for s in shapes), *shapes[0][1:]), 0
    raise ShapeError(f"{ctx.who} joins features, or images of equal height and width, but gets "
                     f"{_sources(inputs)}: add Flatten or pooling so they match")


def _input_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    return tuple(ctx.input_shape), 0


def reconstructs(params: dict[str, Any]) -> bool:
    """Whether an Output's resolved params make the network reconstruct its input."""
    return params.get("target") == "input"


def _reconstruction_head(incoming: Shape, ctx: ShapeContext) -> str:
    """How an Output with target "input" turns ``incoming`` into the raw input's shape:
    "conv" (a 1×1 convolution to the input's channels, for an image of the input's height and
    width) or "linear" (a linear layer to every input value, reshaped to the input's shape)."""
    target = ctx.raw_shape
    if len(incoming) == 3 and len(target) == 3:
        if incoming[1:] != target[1:]:
            raise ShapeError(
                f"{ctx.who}: the decoder ends at {'×'.join(map(str, incoming))} but the input is "
                f"{'×'.join(map(str, target))}: upsample (Upsample, ConvTranspose2d) or pool to "
                f"{target[1]}×{target[2]}, or Flatten before the Output")
        return "conv"
    return "linear"


def _output_infer(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> tuple[Shape, int]:
    incoming = inputs[0][1]
    if reconstructs(p):
        if ctx.vocab:
            raise ShapeError(f"{ctx.who}: the inputs of a token dataset are token ids, names rather than "
                             "quantities, so there is nothing to reconstruct: use target 'label'")
        target = ctx.raw_shape
        if _reconstruction_head(incoming, ctx) == "conv":
            return target, incoming[0] * target[0] + target[0]
        size = math.prod(target)
        return target, math.prod(incoming) * size + size
    units = ctx.output_units
    if _output_per_step(incoming, ctx):
        return (incoming[0], units), incoming[1] * units + units
    fan_in = math.prod(incoming)
    return (units,), fan_in * units + units


def _output_per_step(incoming: Shape, ctx: ShapeContext) -> bool:
    """Whether the Output predicts at every step of ``incoming``: a sequence, on a dataset with a
    target per position. A ``ShapeError`` when the time axis and the dataset's targets disagree,
    pointing at the recurrent layer whose ``return_sequences`` decides it."""
    sequence = len(incoming) == 2
    before, keeps_steps = ctx.recurrent_before or ("", False)
    if ctx.per_step_targets and not sequence:
        fix = (f"turn return_sequences on for '{before}'" if before and not keeps_steps
               else "keep the sequence (T, F) up to the Output (no Flatten, return_sequences on)")
        raise ShapeError(f"{ctx.who} predicts at every position (the dataset has a target for each step) but "
                         f"gets {describe(incoming)}: {fix}")
    if sequence and ctx.sequence_data and not ctx.per_step_targets:
        fix = (f"turn return_sequences off for '{before}' so that it passes on only its last step"
               if before and keeps_steps else "put Flatten before it, or a recurrent layer that passes on "
               "only its last step")
        raise ShapeError(f"{ctx.who} gets {describe(incoming)} but the dataset has one target per sequence: {fix}")
    return sequence and ctx.per_step_targets


def _output_build(inputs: Inputs, p: dict[str, Any], ctx: ShapeContext) -> nn.Module:
    from torch import nn

    shape = inputs[0][1]
    if reconstructs(p) and _reconstruction_head(shape, ctx) == "conv":
        conv = nn.Conv2d(shape[0], ctx.raw_shape[0], 1)
        apply_init(conv, p)
        return conv
    if not reconstructs(p) and _output_per_step(shape, ctx):
        linear = nn.Linear(shape[1], ctx.output_units)
        apply_init(linear, p)
        return linear
    size = math.prod(ctx.raw_shape) if reconstructs(p) else ctx.output_units
    linear = nn.Linear(math.prod(shape), size)
    apply_init(linear, p)
    parts: list[tuple[str, nn.Module]] = [("flatten", nn.Flatten())] if len(shape) > 1 else []
    parts.append(("linear", linear))
    if reconstructs(p) and len(ctx.raw_shape) > 1:
        parts.append(("unflatten", nn.Unflatten(1, ctx.raw_shape)))
    return parts[0][1] if len(parts) == 1 else nn.Sequential(OrderedDict(parts))


def _output_complete(given: Mapping[str, Any], resolved: dict[str, Any]) -> dict[str, Any]:
    """A reconstruction's loss defaults to mse: cross-entropy, the default otherwise, is for classes."""
    if reconstructs(resolved) and "loss" not in given:
        return {**resolved, "loss": "mse"}
    return resolved


def _output_summary(p: dict[str, Any]) -> str:
    return "Output · " + ("reconstruct · " if reconstructs(p) else "") + p["loss"]


LOSSES = {
    "cross_entropy": "Softmax + categorical cross-entropy: the loss for choosing one of several classes.",
    "bce": "Sigmoid + binary cross-entropy: one output unit giving the probability of class 1 (two "
           "classes); on a reconstruction, each value's probability of being on (inputs in [0, 1]).",
    "mse": "Mean squared error: regression that punishes large errors hard; on classes, against one-hot "
           "targets (the lecture's comparison with cross-entropy).",
    "l1": "Mean absolute error: regression that is robust to outliers; on classes, against one-hot targets.",
}

_CATALOGUE = (
    LayerType(
        "Input", "Input/Output",
        "Where the data enters; its shape comes from the dataset, normalised with training-split statistics.",
        (), _input_infer, _fixed("Identity"), lambda p: "Input",
        min_inputs=0, max_inputs=0,
    ),
    LayerType(
        "Dense", "Core",
        "A fully connected layer: every unit sees every input (flattening images first). After a sequence "
        "(T, F) it acts on every step alike, with the same weights: (T, units).",
        (Param("units", "int", 16, "Number of units (neurons) in this layer.", minimum=1, maximum=65536),
         _activation_param(), *INIT_PARAMS, *WEIGHTED_EXTRAS),
        _dense_infer, _dense_build, _dense_summary, weighted=True,
    ),
    LayerType(
        "Maxout", "Core",
        "A fully connected layer of maxout units: each unit computes several linear pieces and keeps the "
        "largest, so it learns its own convex piecewise-linear activation (ReLU and |z| are special "
        "cases).",
        (Param("units", "int", 16, "Number of maxout units in this layer.", minimum=1, maximum=65536),
         Param("pieces", "int", 2, "Linear pieces per unit (k): the unit outputs the largest; each piece "
               "costs a full set of weights.", minimum=2, maximum=16),
         *INIT_PARAMS, BIAS_PARAM, DROPOUT_PARAM),
        _maxout_infer, _maxout_build, _maxout_summary, weighted=True,
    ),
    LayerType(
        "Conv2d", "Convolution",
        "A convolution: small filters slide over the image, sharing weights across positions, so it "
        "keeps the spatial layout with few parameters.",
        (*FILTER_PARAMS,
         Param("stride", "int", 1, "Step between filter positions; 2 halves the image size.", minimum=1,
               maximum=16),
         Param("padding", "choice", "same", "'same' pads the border to keep the size (stride 1); "
               "'valid' does not pad and shrinks the image.", choices=("same", "valid")),
         _activation_param(), *INIT_PARAMS, *WEIGHTED_EXTRAS),
        _conv_infer, _conv_build, _conv_summary, weighted=True,
    ),
    LayerType(
        "ConvTranspose2d", "Convolution",
        "A transposed convolution: each input pixel stamps a learned filter onto a larger output, so "
        "with stride 2 it doubles the image size; the decoder's counterpart of Conv2d.",
        (*FILTER_PARAMS,
         Param("stride", "int", 1, "Step between stamped filters in the output; 2 doubles the image size.",
               minimum=1, maximum=16),
         Param("padding", "choice", "same", "'same' makes the output exactly stride times the input's size; "
               "'valid' keeps every stamped pixel: (size - 1)·stride + kernel.", choices=("same", "valid")),
         _activation_param(), *INIT_PARAMS, *WEIGHTED_EXTRAS),
        _conv_transpose_infer, _conv_transpose_build,
        lambda p: " · ".join([f"ConvTranspose2d {p['filters']} {p['kernel']}×{p['kernel']}"
                              + (f" ×{p['stride']}" if p["stride"] != 1 else ""), p["activation"],
                              *_extras_summary(p)]),
        weighted=True,
    ),
    LayerType(
        "Upsample", "Convolution",
        "Enlarges the image by repeating each pixel scale × scale times (nearest neighbour): the "
        "parameter-free way back up in a decoder.",
        (Param("scale", "int", 2, "How many times larger the height and width become.", minimum=1, maximum=8),),
        _upsample_infer, _upsample_build, lambda p: f"Upsample ×{p['scale']}",
    ),
    LayerType(
        "MaxPool2d", "Convolution",
        "Keeps the largest value of each window: downsamples and adds some translation invariance.",
        POOL_PARAMS, _pool_infer, _pool_builder("MaxPool2d"),
        lambda p: f"MaxPool2d {p['kernel']}×{p['kernel']}",
    ),
    LayerType(
        "AvgPool2d", "Convolution",
        "Averages each window: downsamples smoothly.",
        POOL_PARAMS, _pool_infer, _pool_builder("AvgPool2d"),
        lambda p: f"AvgPool2d {p['kernel']}×{p['kernel']}",
    ),
    LayerType(
        "Flatten", "Core",
        "Unrolls an image (C, H, W) into one feature vector, as Dense layers expect.",
        (), _flatten_infer, _fixed("Flatten"), lambda p: "Flatten",
    ),
    LayerType(
        "Reshape", "Core",
        "Gives its input a new shape holding the same values, e.g. 256 features as a 16×4×4 image for a "
        "convolutional decoder.",
        (Param("shape", "ints", (16, 4, 4), "The new shape: features (one number), a sequence (two) or an "
               "image C, H, W (three); the sizes must multiply to the input's number of values.",
               minimum=1, maximum=65536, extra={"length": (1, 3)}),),
        _reshape_infer, _reshape_build, lambda p: f"Reshape {_times(tuple(p['shape']))}",
    ),
    LayerType(
        "Activation", "Core",
        "A non-linearity on its own; without one, stacked layers collapse into a single linear map.",
        (_activation_param(name="function"),),
        lambda i, p, c: (i[0][1], _activation_params(p, "function")),
        lambda i, p, c: ACTIVATIONS[p["function"]].make(), lambda p: p["function"],
    ),
    LayerType(
        "Embedding", "Recurrent",
        "Turns each token id into a learned vector of 'dim' numbers. A token id is a name, not a quantity "
        "(character 7 is not 'more' than character 3), so a network cannot compute with it directly; the "
        "embedding learns where to place each token so that similar tokens get similar vectors. Connect it "
        "straight to the Input of a token dataset: it makes the ids a sequence (T, dim).",
        (Param("dim", "int", 32, "Length of each token's vector.", minimum=1, maximum=4096),),
        _embedding_infer, _embedding_build, lambda p: f"Embedding {p['dim']}", weighted=True, reads_tokens=True,
    ),
    LayerType(
        "RNN", "Recurrent",
        "A plain recurrent layer: at each step its state is s_t = f(U x_t + W s_t-1), the same weights at "
        "every step, so it can read sequences of any length. Trained by backpropagation through time, its "
        "gradients shrink (or grow) by the same factor at every step back: it forgets what lies more than "
        "about ten steps back.",
        (*_recurrent_params("Size of the hidden state carried from step to step."),
         Param("activation", "choice", "tanh", "The non-linearity f of the state update.",
               choices=("tanh", "relu"))),
        _recurrent_infer, _recurrent_build, _recurrent_summary("RNN"), weighted=True,
    ),
    LayerType(
        "LSTM", "Recurrent",
        "Long short-term memory: besides its output it carries a cell state that is changed only by gates, "
        "numbers between 0 and 1 learned from the input and the previous output. The forget gate decides "
        "what of the cell to keep, the input gate what to write into it, the output gate what to show. A "
        "cell that is kept passes information (and gradients) on unchanged, so an LSTM can remember over "
        "long spans where a plain RNN forgets.",
        _recurrent_params("Size of the cell state and of the output at each step."),
        _recurrent_infer, _recurrent_build, _recurrent_summary("LSTM"), weighted=True,
    ),
    LayerType(
        "GRU", "Recurrent",
        "Gated recurrent unit: a lighter LSTM with no separate cell. An update gate mixes the old state "
        "with a new candidate (keeping the old state carries information over long spans) and a reset gate "
        "decides how much of the old state the candidate sees.",
        _recurrent_params("Size of the hidden state carried from step to step."),
        _recurrent_infer, _recurrent_build, _recurrent_summary("GRU"), weighted=True,
    ),
    LayerType(
        "BatchNorm", "Regularisation",
        "Normalises each feature or channel over the mini-batch, then scales and shifts it with learned "
        "gamma and beta; uses running statistics at test time.",
        (), _batchnorm_infer, _batchnorm_build, lambda p: "BatchNorm",
    ),
    LayerType(
        "Dropout", "Regularisation",
        "During training, zeroes each value with probability p (and rescales the rest); does nothing at "
        "test time.",
        (Param("p", "float", 0.5, "Probability of dropping each value during training.", minimum=0.0,
               maximum=1.0, max_exclusive=True),),
        _same_shape, _dropout_build, lambda p: f"Dropout {p['p']:g}", transparent_at_test=True,
    ),
    LayerType(
        "Noise", "Regularisation",
        "During training, adds Gaussian noise to every value; does nothing at test time. After the Input "
        "(whose values are normalised) it corrupts the images a denoising autoencoder learns to clean.",
        (Param("std", "float", 0.1, "Standard deviation of the noise, in the units of the values it gets "
               "(after the Input: of the data's spread).", minimum=0.0, maximum=10.0, min_exclusive=True),),
        _same_shape, _noise_build, lambda p: f"Noise σ {p['std']:g}", transparent_at_test=True,
    ),
    LayerType(
        "Add", "Merge",
        "Sums two or more inputs of equal shape: a residual connection, F(x) + x, that lets very deep "
        "networks train.",
        (), _add_infer, _merge("Add"), lambda p: "Add",
        min_inputs=2, max_inputs=None,
    ),
    LayerType(
        "Concat", "Merge",
        "Joins two or more inputs along the feature or channel axis, as DenseNet does.",
        (), _concat_infer, _merge("Concat"), lambda p: "Concat",
        min_inputs=2, max_inputs=None,
    ),
    LayerType(
        "Output", "Input/Output",
        "The final linear layer; the dataset sets its size (one unit per class, or per regression target). "
        "With target 'input' the network reconstructs its raw input (an autoencoder): from features, a "
        "linear layer to every input value, reshaped to the input's shape; from an image of the input's "
        "height and width, a 1×1 convolution to its channels. After a sequence (T, F), on a dataset with a "
        "target at every position (text: the next character), it predicts at every step.",
        (Param("target", "choice", "label", "What the network predicts: the dataset's labels, or its own raw "
               "input (an autoencoder; loss mse by default, bce for inputs in [0, 1]).",
               choices=("label", "input")),
         Param("loss", "choice", "cross_entropy", "What the network is trained to minimise (mse when the "
               "target is the input).", choices=tuple(LOSSES)),
         Param("label_smoothing", "float", 0.0, "Target 1 - ε for the true class, ε spread over the "
               "others (cross-entropy, and mse or l1 on classes); discourages over-confidence.", minimum=0.0,
               maximum=1.0, max_exclusive=True),
         *INIT_PARAMS),
        _output_infer, _output_build, _output_summary, min_outputs=0, weighted=True,
        complete=_output_complete,
    ),
)

LAYER_TYPES: dict[str, LayerType] = {t.name: t for t in _CATALOGUE}
#: The recurrent layer types (RNN, LSTM, GRU): those that take ``return_sequences``, what the
#: sequence views, the advisor and a comparison of kinds look for.
RECURRENT_TYPES: tuple[str, ...] = tuple(t.name for t in _CATALOGUE
                                         if any(p.name == "return_sequences" for p in t.params))
#: The recurrent types with gates (``modules.Recurrent.GATES``): a plain RNN has none.
GATED_TYPES: tuple[str, ...] = ("LSTM", "GRU")
GROUPS: tuple[str, ...] = ("Input/Output", "Core", "Convolution", "Regularisation", "Merge", "Recurrent")


def output_units(loss: str, target_kind: str, target_size: int) -> int:
    """Size of the Output layer: one unit for two-class BCE, else one per class or target."""
    if loss == "bce" and target_kind == "classification":
        return 1
    return target_size


RECONSTRUCTION_LOSSES = ("mse", "l1", "bce")


def loss_problem(loss: str, target_kind: str, target_size: int, *, reconstruct: bool = False) -> str | None:
    """Why a loss does not fit the dataset's targets (or, with ``reconstruct``, the network's
    own inputs), or None when it does."""
    if reconstruct:
        if loss not in RECONSTRUCTION_LOSSES:
            return (f"loss '{loss}' is for classes but target 'input' reconstructs the input's values: "
                    "use 'mse' (or 'bce' for inputs in [0, 1])")
        return None
    if target_kind == "regression" and loss in ("cross_entropy", "bce"):
        return f"loss '{loss}' is for classes but this dataset has regression targets: use 'mse' or 'l1'"
    if loss == "bce" and target_kind == "classification" and target_size != 2:
        return f"loss 'bce' needs two classes but this dataset has {target_size}: use 'cross_entropy'"
    return None
