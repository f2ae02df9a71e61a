"""A complete, standalone training script: the generated model plus data, optimiser, schedule, loss.

The data travels as an ``.npz`` next to the script (the raw train and validation splits and
the training split's statistics, exactly as the app used them), so one script serves every
dataset, built-in or imported, without re-implementing the loaders. The training settings
become explicit code a student can read and change: each piece is generated from a small
table of PyTorch calls per choice, and pieces that are off (no schedule, no clipping) are
left out rather than written as dead branches.
"""

from __future__ import annotations

import inspect
import io
from string import Template
from typing import Any

import numpy as np
from torch import nn

from playground.core.augment import Augment
from playground.core.build import GraphModel, weight_module
from playground.core.datasets.base import Dataset
from playground.core.export.codegen import INDENT, WIDTH, Source, wrap
from playground.core.layers import reconstructs
from playground.core.modules import Normalize, PlaneFeatures
from playground.core.project import Project
from playground.core.training import PROBE_BATCH
from playground.core.training_config import TrainConfig

#: PyTorch call per optimiser name of the training settings.
OPTIMIZERS: dict[str, str] = {
    "sgd": "torch.optim.SGD(model.parameters(), lr=$lr$wd)",
    "momentum": "torch.optim.SGD(model.parameters(), lr=$lr, momentum=$momentum$wd)",
    "nesterov": "torch.optim.SGD(model.parameters(), lr=$lr, momentum=$momentum, nesterov=True$wd)",
    "adagrad": "torch.optim.Adagrad(model.parameters(), lr=$lr$wd)",
    "rmsprop": "torch.optim.RMSprop(model.parameters(), lr=$lr, alpha=$momentum$wd)",
    "adam": "torch.optim.Adam(model.parameters(), lr=$lr$wd)",
    "adamw": "torch.optim.AdamW(model.parameters(), lr=$lr$wd)",
    "rprop": "torch.optim.Rprop(model.parameters(), lr=$lr)",
}

#: PyTorch call per learning-rate schedule, stepped once per epoch.
SCHEDULERS: dict[str, str] = {
    "step": "torch.optim.lr_scheduler.StepLR(optimizer, step_size=$step_size, gamma=$gamma)",
    "exponential": "torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=$gamma)",
    "cosine": "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=$t_max, eta_min=$eta_min)",
}

#: PyTorch call per weight initialisation (``layers.INITS``); biases are zeroed after each.
INIT_CALLS: dict[str, str] = {
    "xavier_uniform": "nn.init.xavier_uniform_($w)",
    "xavier_normal": "nn.init.xavier_normal_($w)",
    "he_uniform": 'nn.init.kaiming_uniform_($w, nonlinearity="relu")',
    "he_normal": 'nn.init.kaiming_normal_($w, nonlinearity="relu")',
    "lecun_normal": 'nn.init.kaiming_normal_($w, nonlinearity="linear")',
    "orthogonal": "nn.init.orthogonal_($w)",
    "normal": "nn.init.normal_($w, 0.0, $std)",
    "zeros": "nn.init.zeros_($w)",
    "lsuv": "nn.init.orthogonal_($w)",
}

#: Loss call per Output loss, and how predictions are read for accuracy (None: regression).
LOSSES: dict[str, tuple[str, str | None]] = {
    "cross_entropy": ("nn.functional.cross_entropy(outputs, targets$smoothing)", "outputs.argmax(dim=1)"),
    "bce": ("nn.functional.binary_cross_entropy_with_logits(outputs, targets.float().unsqueeze(1)$smoothing)",
            "(outputs[:, 0] > 0).long()"),
    "mse": ("nn.functional.mse_loss(outputs, targets)", None),
    "l1": ("nn.functional.l1_loss(outputs, targets)", None),
}

#: First lines of the loss and accuracy where the network predicts at every position of a
#: sequence: (batch, T, ...) outputs and targets become (batch·T, ...), and the calls above apply.
PER_STEP = ["# a prediction at every position: each step of each sequence counts as one sample",
            "outputs, targets = outputs.flatten(0, 1), targets.flatten(0, 1)"]

#: Loss function per Output loss when the network reconstructs its input (targets: the raw inputs).
RECONSTRUCTION_LOSSES: dict[str, str] = {
    "mse": "mse_loss", "l1": "l1_loss", "bce": "binary_cross_entropy_with_logits"}

#: Loss call of mse and l1 on a classification dataset: against the one-hot targets (``one_hot``,
#: computed in the line before), predictions by the largest output, as the trainer does.
CLASS_LOSSES: dict[str, str] = {
    "mse": "nn.functional.mse_loss(outputs, one_hot$smoothing)",
    "l1": "nn.functional.l1_loss(outputs, one_hot$smoothing)",
}


def training_arrays(data: Dataset) -> bytes:
    """The ``.npz`` the script reads: raw train/validation splits and the normalisation statistics.

    Plain arrays (``np.load`` never needs pickle for them), compressed because digits and MNIST
    pixels compress well.
    """
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, x_train=data.train.x.numpy(), y_train=data.train.y.numpy(), x_val=data.val.x.numpy(),
        y_val=data.val.y.numpy(), mean=data.mean.numpy(), std=data.std.numpy(), raw_std=data.raw_std.numpy())
    return buffer.getvalue()


def training_script(model_code: Source, model: GraphModel, project: Project, data: Dataset,
                    script_name: str) -> tuple[Source, str]:
    """Extend the model file ``model_code`` into a script called ``script_name`` that trains
    ``model``'s network from scratch with ``project``'s settings.

    Returns the script and the name of the ``.npz`` it reads (next to it; see
    ``training_arrays``). It saves the trained weights next to itself too, unless ``--out``
    says otherwise.
    """
    stem = script_name.rsplit(".", 1)[0]
    data_file, weights_file = f"{stem}_data.npz", f"{stem}_weights.safetensors"
    config = project.train_config()
    output = project.graph.nodes_of_type("Output")[0].resolved_params()
    reconstruct = reconstructs(output)
    loss_lines, prediction = _loss(output["loss"], output["label_smoothing"],
                                   data.meta.target_kind == "classification", reconstruct)
    per_step = PER_STEP if data.meta.per_step_targets and not reconstruct else []
    augment = config.augment
    input_attr = model.attrs[model.input_id]
    stats = input_attr if isinstance(model.get_submodule(input_attr), (Normalize, PlaneFeatures)) else None

    source = Source(model_code.doc + _doc(script_name, data_file, weights_file),
                    model_code.imports | {"import argparse", "import math", "from pathlib import Path",
                                          "import numpy as np", "from safetensors.torch import save_file"},
                    list(model_code.blocks))
    source.blocks.append("\n".join([
        "# " + "-" * 75 + " training",
        "",
        f'DATA_FILE = Path(__file__).with_name("{data_file}")',
        f'WEIGHTS_FILE = Path(__file__).with_name("{weights_file}")',
        f"EPOCHS = {config.epochs}",
        f"BATCH_SIZE = {config.batch_size}",
        f"SEED = {config.seed}",
        *([f"AUGMENT = {augment!r}", f"AUGMENT_STRENGTH = {config.augment_strength!r}"] if augment else []),
        *([f"MAX_NORM = {config.max_norm!r}  # longest incoming weight vector of a unit"]
          if config.max_norm is not None else []),
    ]))
    source.blocks.append(_LOAD_DATA)
    init = _init_lines(model, project)
    if init:
        source.blocks.append(_function("init_weights(model: Net) -> None",
                                       "Each layer's initialisation as chosen in the app; biases start at zero.",
                                       init, decorator="@torch.no_grad()"))
    lsuv = _lsuv_layers(model, project)
    if lsuv:
        source.blocks.append(Template(_LSUV).substitute(layers=", ".join(f'"{n}"' for n in lsuv) + ","))
    source.blocks.append(_function(
        "make_optimizer(model: nn.Module) -> torch.optim.Optimizer",
        f"The optimiser of the training settings: {config.optimizer}.",
        _return(_optimizer_call(config))))
    if config.scheduler["name"] != "none":
        source.blocks.append(_function(
            "make_scheduler(optimizer: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler",
            f"The learning-rate schedule of the training settings: {config.scheduler['name']}, once per epoch.",
            _return(_scheduler_call(config))))
    source.blocks.append(_function("loss_fn(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor",
                                   f"The Output node's loss: {output['loss']}.", per_step + loss_lines))
    if prediction:
        source.blocks.append(_function("accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float",
                                       "Share of samples whose predicted class is the true one.",
                                       [*per_step, f"return float(({prediction} == targets).float().mean())"]))
    if augment:  # the app's own augmentation code
        source.blocks.append(inspect.getsource(Augment).rstrip())
    source.blocks.append(_evaluate(prediction is not None))
    source.blocks.append(_main(config, augment=bool(augment), stats=stats, lsuv=bool(lsuv), init=bool(init),
                               classification=prediction is not None, reconstruct=reconstruct))
    source.blocks.append('if __name__ == "__main__":\n    main()')
    return source, data_file


def _loss(loss: str, eps: float, classes: bool, reconstruct: bool = False) -> tuple[list[str], str | None]:
    """The body of ``loss_fn`` and how predictions are read (None: regression). As the trainer
    does: cross-entropy smooths its targets itself, BCE's move to ε/2 and 1 - ε/2, one-hot
    targets of mse or l1 to ε/k and 1 - ε + ε/k; a reconstruction compares every output value
    with the raw input's, unsmoothed."""
    if reconstruct:
        return [f"return nn.functional.{RECONSTRUCTION_LOSSES[loss]}(outputs, targets)"], None
    if classes and loss in CLASS_LOSSES:
        smoothing = f" * (1 - {eps!r}) + {eps!r} / outputs.shape[1]" if eps else ""
        return (["one_hot = nn.functional.one_hot(targets, outputs.shape[1]).to(outputs.dtype)",
                 "return " + Template(CLASS_LOSSES[loss]).substitute(smoothing=smoothing)],
                "outputs.argmax(dim=1)")
    call, prediction = LOSSES[loss]
    smoothing = "" if not eps else f", label_smoothing={eps!r}" if loss == "cross_entropy" \
        else f" * (1 - {eps!r}) + {eps!r} / 2"
    return [f"return {Template(call).substitute(smoothing=smoothing)}"], prediction


def _doc(script_name: str, data_file: str, weights_file: str) -> str:
    return "\n" + wrap(
        f"Training: run `python {script_name} --epochs N` to train the network from scratch with the app's "
        "training settings (optimiser, schedule, loss, batch size, seed). It reads the raw train and "
        f"validation data from {data_file}, which was exported next to this file, and saves the trained "
        f"weights as safetensors to {weights_file} (or --out FILE). Needs torch, numpy and safetensors."
    ) + "\n"


def _function(signature: str, doc: str, body: list[str], decorator: str = "") -> str:
    head = [decorator] if decorator else []
    return "\n".join([*head, f"def {signature}:", f'{INDENT}"""{doc}"""', *(INDENT + line for line in body)])


def _return(call: str) -> list[str]:
    """``return call``, with the arguments on their own line where one line would be too long."""
    line = f"return {call}"
    if len(INDENT + line) <= WIDTH:
        return [line]
    head, args = call.split("(", 1)
    return [f"return {head}(", f"{INDENT}{args[:-1]}", ")"]


def _optimizer_call(config: TrainConfig) -> str:
    wd = f", weight_decay={repr(config.weight_decay)}" if config.weight_decay else ""
    return Template(OPTIMIZERS[config.optimizer]).substitute(
        lr=repr(config.lr), momentum=repr(config.momentum), wd=wd)


def _scheduler_call(config: TrainConfig) -> str:
    params = dict(config.scheduler)
    if params["name"] == "cosine" and params.get("t_max") is None:
        params["t_max"] = "EPOCHS"
    return Template(SCHEDULERS[params.pop("name")]).substitute(
        {k: v if isinstance(v, str) else repr(v) for k, v in params.items()})


def _weight_paths(model: GraphModel, project: Project) -> list[tuple[str, dict[str, Any], nn.Module]]:
    """(attribute path of the Linear or Conv2d, node parameters, layer) for every weighted node."""
    found = []
    for node_id, module in model.node_modules():
        layer = weight_module(module)
        if layer is None:
            continue
        attr = model.attrs[node_id]
        child = next((name for name, m in module.named_children() if m is layer), None)
        found.append((f"{attr}.{child}" if child else attr, project.graph.nodes[node_id].resolved_params(), layer))
    return found


def _init_lines(model: GraphModel, project: Project) -> list[str]:
    lines = []
    for path, params, layer in _weight_paths(model, project):
        init = params.get("init", "default")
        if init == "default":
            continue
        lines.append(Template(INIT_CALLS[init]).substitute(w=f"model.{path}.weight",
                                                           std=repr(params.get("init_std", 0.01))))
        if layer.bias is not None:
            lines.append(f"nn.init.zeros_(model.{path}.bias)")
    return lines


def _lsuv_layers(model: GraphModel, project: Project) -> list[str]:
    return [path for path, params, _ in _weight_paths(model, project) if params.get("init") == "lsuv"]


_LOAD_DATA = '''\
def load_data(device: torch.device) -> dict[str, torch.Tensor]:
    """Raw train and validation splits, the training split's mean and std of what the network
    sees (the model's first step) and the raw examples' std (augmentation noise), as in the app."""
    with np.load(DATA_FILE) as arrays:
        return {name: torch.from_numpy(arrays[name]).to(device) for name in arrays.files}'''

_LSUV = '''\
LSUV_LAYERS = ($layers)


@torch.no_grad()
def lsuv(model: nn.Module, batch: torch.Tensor, tolerance: float = 0.05) -> None:
    """LSUV: rescale each layer's weights in turn until its output has unit variance on a batch."""
    model.eval()
    outputs: list[torch.Tensor] = []
    for name in LSUV_LAYERS:
        layer = model.get_submodule(name)
        handle = layer.register_forward_hook(lambda module, inputs, output: outputs.append(output))
        for _ in range(10):
            outputs.clear()
            model(batch)
            variance = float(outputs[0].var())
            if variance <= 1e-12 or abs(variance - 1.0) < tolerance:
                break
            layer.weight.mul_(variance**-0.5)
        handle.remove()
    model.train()'''

def _evaluate(classification: bool) -> str:
    if classification:
        kind, what, empty = "tuple[float, float]", "Loss and accuracy", "math.nan, math.nan"
        result = "float(loss_fn(outputs, targets)), accuracy(outputs, targets)"
    else:
        kind, what, empty, result = "float", "Loss", "math.nan", "float(loss_fn(outputs, targets))"
    return _function(
        f"evaluate(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> {kind}",
        f"{what} in eval mode (no dropout; batch norm uses its running statistics).",
        ["if len(inputs) == 0:", f"{INDENT}return {empty}", "model.eval()",
         "outputs = torch.cat([model(inputs[i:i + 1024]) for i in range(0, len(inputs), 1024)])",
         f"return {result}"],
        decorator="@torch.no_grad()")


def _main(config: TrainConfig, *, augment: bool, stats: str | None, lsuv: bool, init: bool,
          classification: bool, reconstruct: bool = False) -> str:
    """The training loop; ``stats`` is the attribute of the Input's standardising module
    (Normalize, or PlaneFeatures), if any; with ``reconstruct`` the targets are the raw inputs
    (augmentation changes only what the network sees)."""
    targets = "x" if reconstruct else "y"
    setup = []
    if stats:
        setup += ["with torch.no_grad():  # step 1 of the model: the training split's statistics",
                  f'{INDENT}model.{stats}.mean.copy_(data["mean"])', f'{INDENT}model.{stats}.std.copy_(data["std"])']
    if init:
        setup.append("init_weights(model)")
    if lsuv:
        setup += ['probe = torch.randperm(len(data["x_train"]), generator=torch.Generator().manual_seed(SEED))',
                  f'lsuv(model, data["x_train"][probe[:{PROBE_BATCH}].to(device)])']
    setup.append("optimizer = make_optimizer(model)")
    has_schedule = config.scheduler["name"] != "none"
    if has_schedule:
        setup.append("scheduler = make_scheduler(optimizer)")
    # The trainer's penalties: L1 on Linear and Conv2d weights (not biases), and L2 for Rprop,
    # which has no weight decay of its own.
    penalties = [f"{config.l1!r} * sum(w.abs().sum() for w in weights)"] if config.l1 else []
    if config.optimizer == "rprop" and config.weight_decay:
        penalties.append(f"0.5 * {config.weight_decay!r} * sum(w.square().sum() for w in weights)")
    if penalties or config.max_norm is not None:
        setup.append("weights = [p for p in model.parameters() if p.dim() > 1]  # Linear and Conv2d weights")
    if augment:
        setup.append('augment = Augment(AUGMENT, AUGMENT_STRENGTH, data["raw_std"])')
    stopping = config.early_stopping
    if stopping:
        setup.append("best, waited = math.inf, 0")
    setup += ['n = len(data["x_train"])',
              "# Like the app, drop a last batch of one example: batch norm cannot normalise it.",
              "usable = n - 1 if n > 1 and n % BATCH_SIZE == 1 else n"]

    step = [
        "index = order[start:start + BATCH_SIZE]",
        f'inputs, targets = data["x_train"][index], data["{targets}_train"][index]',
        *(["inputs = augment(inputs)"] if augment else []),
        "loss = loss_fn(model(inputs), targets)",
        "total += loss.detach() * len(index)",
    ]
    step += [f"loss = loss + {term}" for term in penalties]
    step += ["optimizer.zero_grad()", "loss.backward()"]
    if config.grad_clip:
        clip = config.grad_clip
        step.append(f"nn.utils.clip_grad_norm_(model.parameters(), {repr(clip['max'])})" if clip["mode"] == "norm"
                    else f"nn.utils.clip_grad_value_(model.parameters(), {repr(clip['max'])})")
    step.append("optimizer.step()")
    if config.max_norm is not None:
        step += ["with torch.no_grad():  # max-norm: each unit's incoming weights scaled back to MAX_NORM at most",
                 f"{INDENT}for w in weights:", f"{INDENT * 2}w.renorm_(2, 0, MAX_NORM)"]

    epoch = [
        "model.train()",
        "generator = torch.Generator().manual_seed(SEED + epoch)  # the app's order of examples",
        "order = torch.randperm(n, generator=generator)[:usable].to(device)",
        "total = torch.zeros((), device=device)",
        "for start in range(0, usable, BATCH_SIZE):",
        *(INDENT + line for line in step),
        *(["scheduler.step()"] if has_schedule else []),
        "train_loss = float(total) / usable",
    ]
    if classification:
        epoch += [f'val_loss, val_acc = evaluate(model, data["x_val"], data["{targets}_val"])',
                  'print(f"epoch {epoch}: loss {train_loss:.4f}, val loss {val_loss:.4f}, val acc {val_acc:.3f}")']
    else:
        epoch += [f'val_loss = evaluate(model, data["x_val"], data["{targets}_val"])',
                  'print(f"epoch {epoch}: loss {train_loss:.4f}, val loss {val_loss:.4f}")']
    if stopping:
        epoch += [
            f"if val_loss < best - {stopping['min_delta']!r}:" if stopping["min_delta"] else "if val_loss < best:",
            f"{INDENT}best, waited = val_loss, 0",
            "else:",
            f"{INDENT}waited += 1",
            f"{INDENT}if waited >= {stopping['patience']}:",
            f'{INDENT * 2}print("early stopping: the validation loss stopped improving")',
            f"{INDENT * 2}break",
        ]
    body = [
        'parser = argparse.ArgumentParser(description="Train the exported network as the app would.")',
        'parser.add_argument("--epochs", type=int, default=EPOCHS, help="passes over the training data")',
        'parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")',
        'parser.add_argument("--out", type=Path, default=WEIGHTS_FILE, help="where to save the weights")',
        "args = parser.parse_args()",
        "torch.manual_seed(SEED)",
        "device = torch.device(args.device)",
        "data = load_data(device)",
        "model = build().to(device)",
        *setup,
        "for epoch in range(1, args.epochs + 1):",
        *(INDENT + line for line in epoch),
        "save_file(model.state_dict(), args.out)",
        'print(f"saved the trained weights to {args.out}")',
    ]
    return _function("main() -> None", "Train from scratch, print the losses per epoch, save the weights.",
                     body)

