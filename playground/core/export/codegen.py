"""Standalone Python source for a built model: ``class Net``, ``build()``, nothing from playground.

The code is generated from the built modules, not from the project's parameters, so it
describes the very model the app runs: each module is written by an explicit table of the
constructor arguments its class takes (a value is written only when it differs from
PyTorch's default). The helper classes PyTorch lacks are copied from
``playground.core.modules`` with ``inspect.getsource``, so the file and the app run the same
definitions. Attribute names come from ``attribute_names`` as in the app, so state-dict keys
agree and the safetensors export loads into ``build()`` as it is.
"""

from __future__ import annotations

import inspect
import json
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from playground.core import modules as helpers
from playground.core.build import GraphModel
from playground.core.datasets.base import DatasetMeta
from playground.core.layers import LAYER_TYPES, output_units, reconstructs
from playground.core.project import Project
from playground.core.shapes import ShapeReport

#: Width the generated text is wrapped at: within the project's line length and common editors.
WIDTH = 100
INDENT = "    "

#: Marks a keyword that is always written: a pool's stride defaults to "the kernel size", not a value.
_NO_DEFAULT = object()


@dataclass(frozen=True)
class _Ctor:
    """How to write one module class: its name in the generated code, the attributes passed
    positionally, and the keyword attributes with PyTorch's defaults (omitted when equal)."""

    name: str
    positional: tuple[str, ...] = ()
    keywords: tuple[tuple[str, Any], ...] = ()
    #: Attributes written as the tuple they are even when every item is equal (a shape, not a size).
    sequences: tuple[str, ...] = ()


_INPLACE = (("inplace", False),)
_CONSTRUCTORS: dict[type[nn.Module], _Ctor] = {
    nn.Linear: _Ctor("nn.Linear", ("in_features", "out_features"), (("bias", True),)),
    nn.Conv2d: _Ctor("nn.Conv2d", ("in_channels", "out_channels", "kernel_size"), (
        ("stride", (1, 1)), ("padding", (0, 0)), ("dilation", (1, 1)), ("groups", 1), ("bias", True),
        ("padding_mode", "zeros"))),
    nn.ConvTranspose2d: _Ctor("nn.ConvTranspose2d", ("in_channels", "out_channels", "kernel_size"), (
        ("stride", (1, 1)), ("padding", (0, 0)), ("output_padding", (0, 0)), ("groups", 1), ("bias", True),
        ("dilation", (1, 1)), ("padding_mode", "zeros"))),
    nn.Upsample: _Ctor("nn.Upsample", (), (
        ("size", None), ("scale_factor", None), ("mode", "nearest"), ("align_corners", None),
        ("recompute_scale_factor", None))),
    nn.Unflatten: _Ctor("nn.Unflatten", ("dim", "unflattened_size"), sequences=("unflattened_size",)),
    **{cls: _Ctor(f"nn.{cls.__name__}", ("num_features",), (
        ("eps", 1e-5), ("momentum", 0.1), ("affine", True), ("track_running_stats", True)))
       for cls in (nn.BatchNorm1d, nn.BatchNorm2d)},
    nn.MaxPool2d: _Ctor("nn.MaxPool2d", ("kernel_size",), (
        ("stride", _NO_DEFAULT), ("padding", 0), ("dilation", 1), ("return_indices", False),
        ("ceil_mode", False))),
    nn.AvgPool2d: _Ctor("nn.AvgPool2d", ("kernel_size",), (
        ("stride", _NO_DEFAULT), ("padding", 0), ("ceil_mode", False), ("count_include_pad", True),
        ("divisor_override", None))),
    nn.Flatten: _Ctor("nn.Flatten", (), (("start_dim", 1), ("end_dim", -1))),
    nn.Dropout: _Ctor("nn.Dropout", ("p",), _INPLACE),
    nn.Identity: _Ctor("nn.Identity"),
    nn.Sigmoid: _Ctor("nn.Sigmoid"),
    nn.Tanh: _Ctor("nn.Tanh"),
    nn.ReLU: _Ctor("nn.ReLU", (), _INPLACE),
    nn.LeakyReLU: _Ctor("nn.LeakyReLU", ("negative_slope",), _INPLACE),
    nn.PReLU: _Ctor("nn.PReLU", (), (("num_parameters", 1),)),
    nn.ELU: _Ctor("nn.ELU", (), (("alpha", 1.0), *_INPLACE)),
    nn.SELU: _Ctor("nn.SELU", (), _INPLACE),
    nn.GELU: _Ctor("nn.GELU", (), (("approximate", "none"),)),
    nn.SiLU: _Ctor("nn.SiLU", (), _INPLACE),
    nn.Softplus: _Ctor("nn.Softplus", (), (("beta", 1.0), ("threshold", 20.0))),
    helpers.Abs: _Ctor("Abs"),
    helpers.Maxout: _Ctor("Maxout", ("pieces",)),
    helpers.Add: _Ctor("Add"),
    helpers.Concat: _Ctor("Concat"),
    helpers.GaussianNoise: _Ctor("GaussianNoise", ("std",)),
}
#: Classes whose source is copied into the generated file when the model uses them.
_COPIED = (helpers.Normalize, helpers.PlaneFeatures, helpers.Abs, helpers.Maxout, helpers.Add, helpers.Concat,
           helpers.GaussianNoise, helpers.TokenEmbedding, helpers.Recurrent)

#: What a copied class needs besides torch and nn.
_COPIED_IMPORTS: dict[type[nn.Module], tuple[str, ...]] = {helpers.Recurrent: ("from typing import ClassVar",)}


def _token_embedding(module: helpers.TokenEmbedding) -> str:
    return f"TokenEmbedding({module.embedding.num_embeddings}, {module.embedding.embedding_dim})"


def _recurrent(module: helpers.Recurrent) -> str:
    """``Recurrent(kind, features, units)`` and the keywords that differ from its defaults."""
    args = [json.dumps(module.kind), str(module.layer.input_size), str(module.units)]
    if not module.return_sequences:
        args.append("return_sequences=False")
    if module.activation != "tanh":
        args.append(f"activation={json.dumps(module.activation)}")
    if module.bptt is not None:
        args.append(f"bptt={module.bptt}")
    return f"Recurrent({', '.join(args)})"


#: Writers of the helper classes whose constructor arguments are not attributes of the module.
_WRITERS: dict[type[nn.Module], Callable[[Any], str]] = {
    helpers.TokenEmbedding: _token_embedding,
    helpers.Recurrent: _recurrent,
}


@dataclass
class Source:
    """A generated file in parts, so the training script can add imports and code to the model's."""

    doc: str
    imports: set[str] = field(default_factory=set)
    blocks: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The file text: docstring, imports grouped and sorted as isort does, blocks two lines apart."""
        def group(lines: Iterable[str]) -> str:
            return "\n".join(sorted(lines, key=lambda s: (s.startswith("from"), s.split()[1])))

        first = [i for i in self.imports if i.split()[1].split(".")[0] in sys.stdlib_module_names]
        rest = [i for i in self.imports if i not in first]
        head = "\n\n".join(part for part in (group(first), group(rest)) if part)
        return f'"""{self.doc}"""\n\n{head}\n\n\n' + "\n\n\n".join(self.blocks) + "\n"


def model_source(model: GraphModel, project: Project, meta: DatasetMeta, report: ShapeReport) -> Source:
    """The standalone model file for ``model`` (built from ``project`` for a dataset of ``meta``);
    ``report`` gives the output shapes written as comments."""
    used = {type(m) for m in model.modules()}
    source = Source(_module_doc(model, project, meta),
                    {"import torch", "from torch import nn"}
                    | ({"from collections import OrderedDict"} if nn.Sequential in used else set()))
    source.blocks += [inspect.getsource(cls).rstrip() for cls in _COPIED if cls in used]
    source.imports |= {line for cls, lines in _COPIED_IMPORTS.items() if cls in used for line in lines}
    source.blocks.append(_net_class(model, project, meta, report))
    source.blocks.append(
        "def build() -> Net:\n"
        f'{INDENT}"""The network with fresh weights; load the safetensors export for the trained ones."""\n'
        f"{INDENT}return Net()"
    )
    return source


def _net_class(model: GraphModel, project: Project, meta: DatasetMeta, report: ShapeReport) -> str:
    init = [f"{INDENT * 2}super().__init__()"]
    forward = []
    names = _local_names(attr for _, attr, _ in model.plan)
    for node_id, attr, sources in model.plan:
        module = model.get_submodule(attr)
        node = project.graph.nodes[node_id]
        shape = report.nodes[node_id].shape or ()
        if node.type == "Input":
            init += _comment_lines(_input_comment(node_id, module, shape, meta), INDENT * 2)
        else:
            summary = LAYER_TYPES[node.type].summary(node.resolved_params())
            init.append(f"{INDENT * 2}# {node_id}: {summary}")
        init.append(f"{INDENT * 2}self.{attr} = {_expression(module, INDENT * 2)}")
        args = [names[model.attrs[s]] for s in sources] if sources else ["x"]
        step = _FIRST_STEPS.get(type(module), "")
        forward += _call(names[attr], attr, args, f"{step}{_batch_shape(shape)}")
    out = names[model.attrs[model.output_id]]
    in_shape = _batch_shape(meta.raw_shape)
    name = _doc_text(project.name)
    return "\n".join([
        "class Net(nn.Module):",
        f'{INDENT}"""{name}: one attribute per node of the network, named after the node id."""',
        "",
        f"{INDENT}def __init__(self) -> None:",
        *init,
        "",
        f"{INDENT}def forward(self, x: torch.Tensor) -> torch.Tensor:",
        f'{INDENT * 2}"""Raw inputs x of shape {in_shape} -> the Output node\'s values."""',
        *forward,
        f"{INDENT * 2}return {out}",
    ])


def _call(target: str, attr: str, args: list[str], comment: str) -> list[str]:
    """``target = self.attr(args)  # comment``, with one argument per line where that is too long
    (a Concat of many inputs with long ids)."""
    line = f"{INDENT * 2}{target} = self.{attr}({', '.join(args)})  # {comment}"
    if len(line) <= WIDTH:
        return [line]
    return [f"{INDENT * 2}# {comment}", f"{INDENT * 2}{target} = self.{attr}(",
            *(f"{INDENT * 3}{a}," for a in args), f"{INDENT * 2})"]


#: How the forward's comment names the Input's module, the model's first step.
_FIRST_STEPS: dict[type[nn.Module], str] = {
    helpers.Normalize: "step 1, normalise: ",
    helpers.PlaneFeatures: "step 1, features: ",
}


def _input_comment(node_id: str, module: nn.Module, shape: tuple[int, ...], meta: DatasetMeta) -> str:
    if isinstance(module, helpers.PlaneFeatures):
        return (f"{node_id}: Input of raw points (x1, x2). The model's first step computes the {shape[0]} "
                f"chosen features ({', '.join(module.features)}) and standardises them with the training "
                "split's statistics of those features. build() starts with mean 0 and std 1; the weights "
                "file holds the dataset's values.")
    if meta.is_tokens:
        return f"{node_id}: Input of {shape[0]} token ids, used as they are (ids are names, not quantities)."
    if not isinstance(module, helpers.Normalize):
        return f"{node_id}: Input of shape {_shape(shape)}, used as it is (the dataset is not normalised)."
    return (f"{node_id}: Input of shape {_shape(shape)}. The model's first step standardises the raw input "
            "with the training split's statistics, (x - mean) / std. build() starts with mean 0 and std 1; "
            "the weights file holds the dataset's values.")


def _expression(module: nn.Module, indent: str) -> str:
    """Python source that constructs ``module`` (nested Sequentials over several lines)."""
    if isinstance(module, nn.Sequential):
        inner = indent + INDENT
        items = [f'{inner}("{name}", {_expression(child, inner)}),' for name, child in module.named_children()]
        return "nn.Sequential(OrderedDict([\n" + "\n".join(items) + f"\n{indent}]))"
    if isinstance(module, (helpers.Normalize, helpers.PlaneFeatures)):
        dims = ", ".join(str(d) for d in module.mean.shape)
        stats = f"torch.zeros({dims}), torch.ones({dims})"
        if isinstance(module, helpers.PlaneFeatures):
            return f"PlaneFeatures({json.dumps(module.features)}, {stats})"
        return f"Normalize({stats})"
    writer = _WRITERS.get(type(module))
    if writer is not None:
        return writer(module)
    ctor = _CONSTRUCTORS.get(type(module))
    if ctor is None:
        raise TypeError(f"no Python code is known for {type(module).__name__}: add it to "
                        "playground.core.export.codegen._CONSTRUCTORS")
    args = [repr(tuple(_attribute(module, a))) if a in ctor.sequences else _literal(_attribute(module, a))
            for a in ctor.positional]
    for name, default in ctor.keywords:
        value = _attribute(module, name)
        if default is _NO_DEFAULT or value != default:
            args.append(f"{name}={_literal(value)}")
    return f"{ctor.name}({', '.join(args)})"


def _attribute(module: nn.Module, name: str) -> Any:
    # A layer records "bias=False" as a missing bias parameter, not as a flag.
    return module.bias is not None if name == "bias" else getattr(module, name)


def _literal(value: Any) -> str:
    if isinstance(value, tuple) and value and all(v == value[0] for v in value):
        return _literal(value[0])
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _local_names(attrs: Iterable[str]) -> dict[str, str]:
    """Names of the forward's local variables: the attribute names, except that a node called
    'self' may not rebind ``self``."""
    attrs = list(attrs)
    names = {}
    for attr in attrs:
        name = attr
        while name == "self" or (name != attr and name in attrs):
            name += "_"
        names[attr] = name
    return names


def _module_doc(model: GraphModel, project: Project, meta: DatasetMeta) -> str:
    input_shape = _shape(meta.raw_shape)
    spec = ", ".join(f"{k}={v}" for k, v in project.dataset.items() if k != "name")
    dataset = _doc_text(f"Dataset: {project.dataset.get('name')}" + (f" ({spec})." if spec else "."))
    normalize = model.get_submodule(model.attrs[model.input_id])
    if isinstance(normalize, helpers.PlaneFeatures):
        inputs = (f"Input: raw points (x1, x2) of shape {input_shape}, as the dataset gives them. The model "
                  f"computes the features {', '.join(normalize.features)} as its first step and standardises "
                  f"them with the training split's mean {_values(normalize.mean)} and std "
                  f"{_values(normalize.std)} of those features (stored in the weights as "
                  f"{model.attrs[model.input_id]}.mean and .std).")
    elif isinstance(normalize, helpers.Normalize):
        per = "per-channel" if meta.is_image else "per-feature"
        stats = (f"{per} mean {_values(normalize.mean)} and std {_values(normalize.std)} (stored in the "
                 f"weights as {model.attrs[model.input_id]}.mean and .std)")
        inputs = (f"Input: raw samples of shape {input_shape}, as the dataset gives them. The model normalises "
                  f"them itself as its first step, with the training split's {stats}.")
    elif meta.is_tokens:
        inputs = (f"Input: sequences of {meta.input_shape[0]} token ids, float32 numbers from 0 to "
                  f"{len(meta.vocab) - 1}, one per token of the vocabulary ({_names(meta.class_names, True)}). The "
                  "Embedding rounds each to a whole number and looks up its vector; ids are not normalised.")
    else:
        inputs = f"Input: raw samples of shape {input_shape}, used as they are."
    paragraphs = [dataset, inputs, _output_text(project, meta)]
    usage = textwrap.indent(textwrap.dedent(f"""\
        from safetensors.torch import load_file

        model = build()
        model.load_state_dict(load_file("model.safetensors"))
        model.eval()
        outputs = model(x)  # x: float32 tensor of shape {_batch_shape(meta.raw_shape)}"""), INDENT)
    return "\n\n".join([
        f"{_doc_text(project.name)}: a network exported from Neural Network Playground.",
        *(wrap(p) for p in paragraphs),
        wrap("Load the weights exported as safetensors (reading them needs the safetensors package):"),
        usage,
        wrap("Running the model needs only PyTorch. Net has one attribute per node of the network, named "
              "after its node id, and its forward follows the graph node by node."),
    ]) + "\n"


def _output_text(project: Project, meta: DatasetMeta) -> str:
    params = project.graph.nodes_of_type("Output")[0].resolved_params()
    loss = params["loss"]
    if reconstructs(params):
        values = ("logits, one per input value, whose sigmoid is the reconstruction (trained with binary "
                  "cross-entropy)" if loss == "bce" else f"its values (trained with the {loss} loss)")
        return (f"Output: the reconstruction of the raw input x, shape {_batch_shape(meta.raw_shape)}, as "
                f"{values}: an autoencoder.")
    raw = list(meta.class_names) or [str(i) for i in range(meta.target_size)]
    names, shown = [_doc_text(n) for n in raw], _names(raw, meta.is_tokens)
    per = (f"position: shape (batch, {meta.input_shape[0]}, {output_units(loss, meta.target_kind, meta.target_size)}"
           "), a prediction at every step of the sequence" if _predicts_per_step(project, meta) else "sample")
    if loss == "bce":
        return (f"Output: one logit per {per}, for the class '{names[-1]}' (trained with binary cross-entropy); "
                "its sigmoid is that class's probability.")
    if loss == "cross_entropy":
        return (f"Output: {meta.target_size} logits per {per}, one per class ({shown}); their softmax gives "
                "the class probabilities (trained with cross-entropy).")
    if meta.target_kind == "classification":
        return (f"Output: {meta.target_size} scores per {per}, one per class ({shown}); the largest is the "
                f"predicted class (trained with the {loss} loss against one-hot targets).")
    return f"Output: {meta.target_size} regression value(s) per {per} (trained with the {loss} loss)."


def _predicts_per_step(project: Project, meta: DatasetMeta) -> bool:
    """Whether the Output predicts at every position: a dataset with a target per step (a valid
    network then ends in a sequence)."""
    return meta.per_step_targets and not reconstructs(project.graph.nodes_of_type("Output")[0].resolved_params())


def _names(names: Sequence[str], quoted: bool = False) -> str:
    """At most 20 names for a docstring, then '...'; ``quoted`` for tokens, which may be commas."""
    shown = [_doc_text(repr(n) if quoted else n) for n in names[:20]]
    return ", ".join(shown) + (", ..." if len(names) > 20 else "")


def _values(t: Any) -> str:
    flat = t.detach().reshape(-1).tolist()
    return "[" + ", ".join(f"{v:.4g}" for v in flat) + "]" if len(flat) <= 8 else f"({len(flat)} values)"


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


def _batch_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(["batch", *map(str, shape)]) + ")"


def _doc_text(text: str) -> str:
    """User text made safe inside a docstring: one line, no escapes, no closing quotes."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def wrap(text: str) -> str:
    """A docstring paragraph wrapped to the generated code's width."""
    return textwrap.fill(text, WIDTH, break_long_words=False, break_on_hyphens=False)


def _comment_lines(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# ",
                         break_long_words=False, break_on_hyphens=False)
