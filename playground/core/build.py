"""Graph -> ``torch.nn.Module`` that runs any valid DAG, with the chosen initialisation.

The module has one attribute per node, named after the node id (see ``attribute_names``), so
state-dict keys read ``h1.linear.weight`` and stay stable across the app, the safetensors
export and the generated Python code. The dataset's normalisation (and, on a plane whose input
features were chosen, computing them) is the Input node's module: the model takes raw
features, which is what every export takes too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph, attribute_names
from playground.core.layers import INITS, LAYER_TYPES
from playground.core.modules import Normalize, PlaneFeatures, Recurrent, TokenEmbedding
from playground.core.params import UserError
from playground.core.shapes import ShapeReport, infer_shapes, shape_context


class BuildError(UserError):
    """The graph is not a valid network; ``problems`` lists every reason."""


class GraphModel(nn.Module):
    """Runs the nodes in topological order; each node's module gets its inputs' outputs.

    ``plan`` is a static list of (node id, attribute, source ids), so ``torch.export`` and the
    ONNX exporter trace it like a hand-written forward.
    """

    def __init__(self, graph: Graph, report: ShapeReport, meta: DatasetMeta,
                 mean: torch.Tensor | None = None, std: torch.Tensor | None = None) -> None:
        super().__init__()
        if not report.ok or report.order is None:
            raise BuildError("the network is not valid: " + "; ".join(p.message for p in report.problems),
                             report.problems)
        self.attrs = attribute_names(report.order)
        self.node_types = {n: graph.nodes[n].type for n in report.order}
        self.plan: list[tuple[str, str, tuple[str, ...]]] = []
        self.output_id = graph.nodes_of_type("Output")[0].id
        self.input_id = graph.nodes_of_type("Input")[0].id
        for node_id in report.order:
            node = graph.nodes[node_id]
            layer = LAYER_TYPES[node.type]
            sources = tuple(graph.inputs_of(node_id))
            if node.type == "Input":
                module = input_step(meta, mean, std)
            else:
                ctx = shape_context(node, meta, report, sources)
                module = layer.build([(s, report.nodes[s].shape) for s in sources], node.resolved_params(), ctx)
            self.add_module(self.attrs[node_id], module)
            self.plan.append((node_id, self.attrs[node_id], sources))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_all(x)[self.output_id]

    def forward_all(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every node's output by node id: what activation probes and saliency need."""
        values: dict[str, torch.Tensor] = {}
        for node_id, attr, sources in self.plan:
            module = self._modules[attr]
            values[node_id] = module(*[values[s] for s in sources]) if sources else module(x)
        return values

    def direct_forward(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """``forward`` for the training step: the same operations, but each layer's ``forward`` is
        called directly, so ``nn.Module.__call__`` (its hook and tracing checks, about 3 µs a
        module) is skipped and a Sequential becomes its layers. That is 30 of the 300 µs of a
        circle step (2-4-2-1, nine modules; ``bench/step_speed.py``).

        Hooks on the model do not run in it: the trainer uses it for its steps only, and
        everything that hooks the model (probes, saliency, LSUV) calls the model itself.
        """
        steps = [(node_id, _layer_forwards(self._modules[attr]), sources) for node_id, attr, sources in self.plan]
        if all(sources == ((steps[i - 1][0],) if i else ()) for i, (_, _, sources) in enumerate(steps)):
            chain = [f for _, forwards, _ in steps for f in forwards]

            def chained(x: torch.Tensor) -> torch.Tensor:
                for f in chain:
                    x = f(x)
                return x

            return chained
        output_id = self.output_id

        def graph(x: torch.Tensor) -> torch.Tensor:
            values: dict[str, torch.Tensor] = {}
            for node_id, forwards, sources in steps:
                y = forwards[0](*[values[s] for s in sources]) if sources else forwards[0](x)
                for f in forwards[1:]:
                    y = f(y)
                values[node_id] = y
            return values[output_id]

        return graph

    def node_modules(self) -> Iterator[tuple[str, nn.Module]]:
        """(node id, module) in topological order."""
        for node_id, attr, _ in self.plan:
            yield node_id, self._modules[attr]

    def node_parameters(self) -> dict[str, list[nn.Parameter]]:
        """Trainable parameters grouped by node id (nodes without any are left out): the
        unit in which gradient norms are reported."""
        grouped = {node_id: list(m.parameters()) for node_id, m in self.node_modules()}
        return {k: v for k, v in grouped.items() if v}


def input_step(meta: DatasetMeta, mean: torch.Tensor | None, std: torch.Tensor | None) -> nn.Module:
    """The Input node's module, the model's first step: the chosen plane features (standardised,
    with unit statistics until a dataset's are given), else normalisation, else nothing. Token ids
    are names, not quantities, and pass unchanged whatever statistics are given."""
    if meta.is_tokens:
        return nn.Identity()
    if meta.features:
        n = len(meta.features)
        return PlaneFeatures(list(meta.features), torch.zeros(n) if mean is None else mean,
                             torch.ones(n) if std is None else std)
    return Normalize(mean, std) if mean is not None and std is not None else nn.Identity()


def _layer_forwards(module: nn.Module) -> list[Callable[..., torch.Tensor]]:
    """The ``forward`` methods a module's call comes down to, in order: a Sequential's layers
    (recursively), else the module's own."""
    if type(module) is nn.Sequential and len(module):
        return [f for layer in module for f in _layer_forwards(layer)]
    return [module.forward]


WEIGHTED = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)


def weight_module(module: nn.Module) -> nn.Linear | nn.Conv2d | nn.ConvTranspose2d | None:
    """The Linear or (transposed) convolution inside a node's module: what init, LSUV and the
    filter views act on."""
    if isinstance(module, WEIGHTED):
        return module
    for child in module.children():
        if isinstance(child, WEIGHTED):
            return child
    return None


def node_weights(module: nn.Module) -> list[nn.Parameter]:
    """A node's weight matrices, biases and batch norm left out: a Linear's or a convolution's
    weight, a recurrent layer's input and recurrent weights, an Embedding's table. What the L1
    penalty, the max-norm constraint (each row one unit's incoming weights, or one token's
    vector) and the weight statistics act on, so that a recurrent network is not silently
    left out of them."""
    if isinstance(module, Recurrent):
        return [module.layer.weight_ih_l0, module.layer.weight_hh_l0]
    if isinstance(module, TokenEmbedding):
        return [module.embedding.weight]
    target = weight_module(module)
    return [target.weight] if target is not None else []


def build_model(graph: Graph, meta: DatasetMeta, mean: torch.Tensor | None = None,
                std: torch.Tensor | None = None, seed: int | None = None,
                report: ShapeReport | None = None) -> GraphModel:
    """Build the model; with ``seed`` the initial weights are reproducible without touching the
    caller's global random state."""
    report = report or infer_shapes(graph, meta)
    if seed is None:
        return GraphModel(graph, report, meta, mean, std)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return GraphModel(graph, report, meta, mean, std)


def needs_data_init(graph: Graph) -> bool:
    """Whether any node uses a data-dependent init, so the trainer must call ``data_dependent_init``."""
    return any(INITS[n.resolved_params().get("init", "default")].data_dependent
               for n in graph.nodes.values() if n.type in LAYER_TYPES)


@torch.no_grad()
def data_dependent_init(model: GraphModel, graph: Graph, batch: torch.Tensor, *, tolerance: float = 0.05,
                        max_iterations: int = 10) -> dict[str, float]:
    """LSUV: in order from input to output, rescale each 'lsuv' node's weights until its
    pre-activation output has unit variance on ``batch``. Returns the final variance per node.

    The trainer calls this once with a real training batch before the first step.
    """
    variances: dict[str, float] = {}
    was_training = model.training
    model.eval()
    try:
        for node_id, module in model.node_modules():
            params: dict[str, Any] = graph.nodes[node_id].resolved_params()
            target = weight_module(module)
            if params.get("init") != "lsuv" or target is None:
                continue
            captured: list[torch.Tensor] = []
            handle = target.register_forward_hook(lambda m, i, o, out=captured: out.append(o))
            try:
                for _ in range(max_iterations):
                    captured.clear()
                    model(batch)
                    var = float(captured[0].var())
                    if var <= 1e-12 or abs(var - 1.0) < tolerance:
                        break
                    target.weight.mul_(var ** -0.5)
            finally:
                handle.remove()
            variances[node_id] = var
    finally:
        model.train(was_training)
    return variances
