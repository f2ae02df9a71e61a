"""What the training workspace tells every live view, and what a view may ask of a run.

The live-view protocol is implemented by ``PlotView`` (``base.py``) with do-nothing defaults;
a view overrides what it needs:

- ``dock_id`` / ``dock_title``: the dock the workspace makes for it;
- ``on_project(meta)``: a project was opened or its dataset changed (``meta`` None while the
  data loads); a view that cannot show this kind of data says why;
- ``on_run_started(info, previous)``: a run began; ``previous`` names the run before it when
  the view should keep that run's data as an overlay (else it clears); the workspace calls it
  through ``start_run``, which first decides whether the view animates during the run;
- ``on_reports(reports)``: a batch of reports in order (every view gets them, shown or not:
  feeding only buffers, drawing waits until the view is on screen);
- ``on_run_finished(result)``: the run ended; ``result`` carries the test split's figures;
  ``needs_attention()`` then says whether the view's tab should come to the front;
- ``select_node(node_id)``: a node was selected on the canvas (views about one node turn to it);
- ``picture_requests(info)``: computations on the live model the view wants now, run by the
  training thread between steps; asked only while the view is on screen;
- ``on_picture(key, value)``: one of those results arrived;
- ``reset()``: forget everything, overlays too (another project, weights reset);
- ``picturesWanted``: a signal the view emits when a person asked for something at once.

Adding a view is: write it, then add its class to ``LIVE_VIEWS`` (``registry.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.core.bias_variance import reference_error
from playground.core.datasets import DatasetMeta

if TYPE_CHECKING:
    from playground.core.datasets import Split
    from playground.core.project import Project
    from playground.core.training import Trainer

#: Validation examples sent to the views for picking saliency samples and confusion matrices.
SAMPLE_COUNT = 64


@dataclass(frozen=True)
class PictureRequest:
    """A computation a view wants from the live model. ``compute(trainer)`` runs on the
    training thread between two steps and returns plain data; views asking for the same
    ``key`` in one round share one computation and all receive its result."""

    key: str
    compute: Callable[[Trainer], Any]
    #: The share of the training thread this picture may take, as 1/budget; None: the
    #: workspace's own (1/150 of it, 1/20 in a run whose pictures animate). A run's main live
    #: picture that no animation covers (the text a character model writes) asks for more.
    budget: int | None = None


@dataclass(frozen=True)
class RunInfo:
    """What the views need once a run has started: sizes, node order and labels, and owned
    copies of the data they draw (2-D points for the boundary view, validation samples)."""

    steps_per_epoch: int
    total_steps: int
    device: str
    node_order: list[str]
    #: node id -> the name views show ("Dense 'h1'")
    labels: dict[str, str]
    meta: DatasetMeta
    loss: str
    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    samples: tuple[np.ndarray, np.ndarray]
    #: the dataset's human-level or best known error rate, where the registry knows one
    reference_error: float | None = None
    #: the run's own copy of the project (the advisor reads its network and settings)
    project: Project | None = None

    @classmethod
    def of(cls, trainer: Trainer) -> RunInfo:
        data = trainer.dataset
        def points(split: Split) -> tuple[np.ndarray, np.ndarray]:
            if not data.meta.is_plane:
                return np.empty((0, 2), np.float32), np.empty(0)
            return split.x.numpy().copy(), split.y.numpy().copy()

        order = [node_id for node_id, _ in trainer.model.node_modules()]
        nodes = trainer.graph.nodes
        labels = {n: f"{nodes[n].type} '{n}'" for n in order if n in nodes}
        samples = data.val if len(data.val) else data.test
        return cls(trainer.steps_per_epoch, trainer.total_steps, str(trainer.device), order, labels,
                   data.meta, trainer.loss_name, points(data.train), points(data.test),
                   (samples.x[:SAMPLE_COUNT].numpy().copy(), samples.y[:SAMPLE_COUNT].numpy().copy()),
                   reference_error(trainer.project.dataset), trainer.project.copy())

    @property
    def two_d(self) -> bool:
        return self.meta.is_plane

    @property
    def classifies(self) -> bool:
        return self.meta.target_kind == "classification"


#: What views about classes say when the network is an autoencoder.
AUTOENCODER_HAS_NO_CLASSES = ("This network is an autoencoder: its Output gives back the input, not classes. "
                              "The Reconstruction view shows what it makes of its input.")


def describe_input(meta: DatasetMeta) -> str:
    """'2 input features', 'images of 1×8×8', 'sequences of 64 characters' or 'sequences of 40
    steps of 1 feature': how views name a dataset's input when they say why they do not apply
    to it."""
    shape = meta.input_shape
    if meta.is_tokens:
        return f"sequences of {shape[0]} {'characters' if meta.per_step_targets else 'symbols'}"
    if len(shape) == 2:
        return f"sequences of {shape[0]} steps of {shape[1]} feature{'s' if shape[1] != 1 else ''}"
    if len(shape) == 1:
        return f"{shape[0]} input feature{'s' if shape[0] != 1 else ''}"
    return f"{'images' if meta.is_image else 'inputs'} of {'×'.join(map(str, shape))}"
