"""Export a project's model (safetensors, torch.export, ONNX, standalone Python) and verify it.

``export_project`` writes one format from the ``EXPORTERS`` registry and checks the artefact
against the app's model before putting it in place; ``load_weights`` reads a weights file back
for the network it belongs to. See FORMAT.md, "Exports".
"""

from playground.core.export.formats import (
    EXPORTERS,
    Exporter,
    ExportError,
    ExportResult,
    ProgressFn,
    export_project,
)
from playground.core.export.weights import (
    RUN_PROJECT,
    RUN_WEIGHTS,
    WEIGHTS_FORMAT,
    WeightsError,
    WeightsFile,
    load_run,
    load_weights,
    read_weights,
    save_weights,
    state_problems,
)

__all__ = [
    "EXPORTERS",
    "RUN_PROJECT",
    "RUN_WEIGHTS",
    "WEIGHTS_FORMAT",
    "ExportError",
    "ExportResult",
    "Exporter",
    "ProgressFn",
    "WeightsError",
    "WeightsFile",
    "export_project",
    "load_run",
    "load_weights",
    "read_weights",
    "save_weights",
    "state_problems",
]
