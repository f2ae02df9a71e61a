"""The export formats behind one registry, and the verification every export goes through.

An export is only worth something if it is the same model, so each format is a pair: how to
write the artefact and how to load it back the way a user would (onnxruntime, torch.export,
the generated file plus the safetensors weights, a fresh model plus the weights file). The
loaded artefact runs on real validation inputs, one sample and a batch (which also proves the
dynamic batch axis), and the largest difference from the app's model in eval mode is
reported; above the format's tolerance it is an error. The artefact is written under a
temporary name and only renamed into place once verified, so a failed export never leaves a
file that looks fine.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import types
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import safetensors.torch
import torch

from playground.core.build import GraphModel, build_model
from playground.core.datasets.base import Dataset, load_dataset
from playground.core.export.codegen import model_source
from playground.core.export.script import training_arrays, training_script
from playground.core.export.weights import WEIGHTS_FORMAT, load_weights, state_problems, summarise, weights_bytes
from playground.core.params import UserError
from playground.core.project import Project, dumps, write_atomic
from playground.core.shapes import ShapeReport, infer_shapes

#: Permissions of exported files: temporary files start private, an export is an ordinary file.
_FILE_MODE = 0o644
#: Verification inputs: at most this many samples of the validation split (or test, or train).
VERIFY_SAMPLES = 64

ProgressFn = Callable[[str], None]
Runner = Callable[[torch.Tensor], torch.Tensor]
T = TypeVar("T")


class ExportError(UserError):
    """An export that could not be written or does not reproduce the model."""


@dataclass(frozen=True)
class ExportResult:
    """A verified export: where it is, how close it is to the app's model, and what was checked."""

    path: Path
    format: str
    max_abs_diff: float
    message: str
    opset: int | None = None
    extra_files: tuple[Path, ...] = ()


@dataclass
class ExportJob:
    """What an exporter works from: the app's model on the CPU in eval mode (``model``), the
    project and data it belongs to, a batch of real inputs, and where to write."""

    project: Project
    model: GraphModel
    data: Dataset
    report: ShapeReport
    path: Path
    temp: Path
    inputs: torch.Tensor
    training_script: bool = False

    @property
    def example(self) -> torch.Tensor:
        """Tracing input of two samples: a batch of one would be specialised to size 1."""
        return torch.cat([self.inputs, self.inputs])[:2]


@dataclass(frozen=True)
class Written:
    """What writing produced besides the artefact."""

    opset: int | None = None
    extra_files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Exporter:
    """One format: ``write`` puts the artefact at ``job.temp``; ``load`` reads it back as a user
    would and returns something that runs it. Outputs must agree with the model within
    ``atol + rtol * |expected|``."""

    name: str
    title: str
    suffix: str
    help: str
    write: Callable[[ExportJob], Written]
    load: Callable[[ExportJob], Runner]
    atol: float
    rtol: float = 0.0
    options: tuple[str, ...] = ()


EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    if exporter.name in EXPORTERS:
        raise ValueError(f"export format {exporter.name!r} registered twice")
    EXPORTERS[exporter.name] = exporter
    return exporter


# --------------------------------------------------------------------------- the export


def export_project(
    project: Project,
    path: str | os.PathLike[str],
    fmt: str,
    *,
    weights: Mapping[str, torch.Tensor] | None = None,
    data: Dataset | None = None,
    inputs: torch.Tensor | None = None,
    training_script: bool = False,
    progress: ProgressFn | None = None,
) -> ExportResult:
    """Export ``project``'s model with ``weights`` (a state dict; None: the initialised model,
    built with the training seed) to ``path`` in format ``fmt``, then verify it.

    ``data`` is the project's loaded dataset when the caller has it (loaded here otherwise);
    ``inputs`` overrides the verification batch (raw inputs, as the dataset gives them).
    ``progress`` receives a short text per stage, for a progress display. Raises
    ``ExportError`` (a ``UserError``) for anything a user can fix or should know.
    """
    report_progress = progress or (lambda _stage: None)
    exporter = EXPORTERS.get(fmt)
    if exporter is None:
        raise ExportError(f"unknown export format {fmt!r} (known: {', '.join(EXPORTERS)})")
    if training_script and "training_script" not in exporter.options:
        raise ExportError(f"a training script is written by the 'py' format, not '{fmt}'")
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"{path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name")

    report_progress("preparing the model")
    if data is None:
        data = load_dataset(project.dataset, project.load_context())
    report = infer_shapes(project.graph, data.meta)
    model = build_model(project.graph, data.meta, data.mean, data.std, seed=project.train_config().seed,
                        report=report)
    if weights is not None:
        problems = state_problems(weights, model)
        if problems:
            raise ExportError(f"the weights do not fit the project's network: {summarise(problems)}")
        model.load_state_dict({k: v.detach().cpu() for k, v in weights.items()})
    model.eval()
    batch = _verification_inputs(data) if inputs is None else inputs.detach().cpu().float()

    fd, temp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    job = ExportJob(project, model, data, report, path, Path(temp), batch, training_script)
    written = Written()
    # Building and tracing draw random numbers; a paused training run must not notice the export.
    try:
        with torch.random.fork_rng(devices=[]):
            report_progress(f"writing {path.name}")
            written = _attempt(exporter, "write", lambda: exporter.write(job))
            report_progress(f"loading {path.name} back and comparing outputs")
            diff, ok = _verify(exporter, job)
            if not ok:
                raise ExportError(
                    f"the {exporter.title} export does not reproduce the model: outputs differ by up to {diff:.3g} "
                    f"(allowed: {exporter.atol:g} + {exporter.rtol:g}·|output|), so nothing was saved")
            os.chmod(job.temp, _FILE_MODE)  # mkstemp made it private; an export is an ordinary file
            os.replace(job.temp, path)
    except BaseException:
        for leftover in (job.temp, *written.extra_files):
            leftover.unlink(missing_ok=True)
        raise
    report_progress("done")
    source = _inputs_source(data) if inputs is None else "given"
    sizes = "1" if len(batch) == 1 else f"1 and {len(batch)}"
    message = (f"verified: max |Δ| = {diff:.2g} ({len(batch)} {source} input{'s' if len(batch) > 1 else ''}, "
               f"batch sizes {sizes})")
    return ExportResult(path, fmt, diff, message, written.opset, written.extra_files)


def _verification_inputs(data: Dataset) -> torch.Tensor:
    split = next(s for s in (data.val, data.test, data.train) if len(s))
    return split.x[:VERIFY_SAMPLES].float()


def _inputs_source(data: Dataset) -> str:
    return "validation" if len(data.val) else "test" if len(data.test) else "training"


def _attempt(exporter: Exporter, stage: str, action: Callable[[], T]) -> T:
    """Run a library call and turn its failure into a message (the traceback stays chained)."""
    try:
        return action()
    except UserError:
        raise
    except Exception as exc:
        raise ExportError(f"could not {stage} the {exporter.title} export: {type(exc).__name__}: {exc}") from exc


def _verify(exporter: Exporter, job: ExportJob) -> tuple[float, bool]:
    """Largest |output difference| over a batch of one and the whole batch, and whether every
    element is within tolerance. The runner is dropped on return, releasing the file."""
    runner = _attempt(exporter, "load back", lambda: exporter.load(job))
    worst, ok = 0.0, True
    with torch.no_grad():
        for batch in (job.inputs[:1], job.inputs):
            expected = job.model(batch)
            got = _attempt(exporter, "run", lambda b=batch: runner(b))
            if tuple(got.shape) != tuple(expected.shape):
                raise ExportError(f"the {exporter.title} export gives outputs of shape {tuple(got.shape)} for "
                                  f"{len(batch)} inputs, the model {tuple(expected.shape)}")
            diff = _abs_diff(got.float(), expected)
            worst = max(worst, float(diff.max()))
            ok = ok and bool((diff <= exporter.atol + exporter.rtol * expected.abs()).all())
    return worst, ok


def _abs_diff(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """|a - b| where equal values (also equal infinities) and NaN against NaN count as 0 and NaN
    against a number as infinite, so a diverged model still verifies and a broken export fails."""
    diff = torch.where(a == b, torch.zeros_like(a), (a - b).abs())
    diff = torch.where(a.isnan() & b.isnan(), torch.zeros_like(a), diff)
    return torch.nan_to_num(diff, nan=torch.inf)


# --------------------------------------------------------------------------- formats


def _write_safetensors(job: ExportJob) -> Written:
    job.temp.write_bytes(weights_bytes(job.model.state_dict(), job.project))
    return Written()


def _load_safetensors(job: ExportJob) -> Runner:
    fresh = build_model(job.project.graph, job.data.meta, job.data.mean, job.data.std, report=job.report)
    fresh.load_state_dict(load_weights(job.temp, fresh))
    return fresh.eval()


def _exported_program(job: ExportJob) -> torch.export.ExportedProgram:
    batch = torch.export.Dim("batch", min=1)
    return torch.export.export(job.model, (job.example,), dynamic_shapes=({0: batch},))


def _write_pt2(job: ExportJob) -> Written:
    with _quiet():
        program = _exported_program(job)
    torch.export.save(program, job.temp, extra_files={"project.json": dumps(job.project)})
    return Written()


def _load_pt2(job: ExportJob) -> Runner:
    return torch.export.load(job.temp).module()


def _write_onnx(job: ExportJob) -> Written:
    with _quiet():
        program = torch.onnx.export(_exported_program(job), (job.example,), input_names=["input"],
                                    output_names=["output"], dynamo=True, verbose=False)
    assert program is not None
    program.model.metadata_props.update({"format": WEIGHTS_FORMAT, "project": dumps(job.project)})
    program.save(job.temp, external_data=False)
    return Written(opset=program.model.opset_imports.get(""))


def _load_onnx(job: ExportJob) -> Runner:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(job.temp), providers=["CPUExecutionProvider"])
    return lambda x: torch.from_numpy(session.run(["output"], {"input": x.numpy()})[0])


def _write_py(job: ExportJob) -> Written:
    source = model_source(job.model, job.project, job.data.meta, job.report)
    extra: tuple[Path, ...] = ()
    if job.training_script:
        source, data_file = training_script(source, job.model, job.project, job.data, job.path.name)
        extra = (job.path.with_name(data_file),)
        write_atomic(extra[0], training_arrays(job.data))
    job.temp.write_text(source.render(), encoding="utf-8")
    return Written(extra_files=extra)


def _load_py(job: ExportJob) -> Runner:
    """Run the written file in a fresh module namespace, build its Net and load the weights as
    the safetensors export holds them (through the file format's own bytes)."""
    module = types.ModuleType(f"_exported_{job.path.stem}")
    module.__file__ = str(job.path)
    exec(compile(job.temp.read_bytes(), str(job.path), "exec"), module.__dict__)  # our own generated code
    net = module.build()
    net.load_state_dict(safetensors.torch.load(weights_bytes(job.model.state_dict(), job.project)))
    return net.eval()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporters' chatter (missing torchvision, deprecation notices): it is not the
    user's business, and the verification says whether the result is right."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


register(Exporter(
    "onnx", "ONNX", ".onnx",
    "An ONNX model (input 'input', output 'output', any batch size) for onnxruntime and other runtimes.",
    _write_onnx, _load_onnx, atol=1e-4, rtol=1e-4))
register(Exporter(
    "pt2", "torch.export", ".pt2",
    "A torch.export program: load it with torch.export.load(path).module(); no Python code needed.",
    _write_pt2, _load_pt2, atol=1e-5, rtol=1e-5))
register(Exporter(
    "safetensors", "safetensors", ".safetensors",
    "The weights (state dict) with the project embedded: load them into the generated Python code or back "
    "into the app.",
    _write_safetensors, _load_safetensors, atol=1e-6))
register(Exporter(
    "py", "Python", ".py",
    "One readable Python file needing only PyTorch: class Net and build(); load the safetensors export into "
    "it. Optionally a complete training script.",
    _write_py, _load_py, atol=1e-6, options=("training_script",)))
