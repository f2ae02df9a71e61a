"""The live views the training workspace shows, in dock order.

Adding a view is writing its ``PlotView`` subclass (the protocol in ``live.py``) and adding
the class here: the workspace makes its dock, feeds it, asks it for pictures and lays it out
from this tuple alone.
"""

from __future__ import annotations

from playground.ui.plots.activations import ActivationView
from playground.ui.plots.advisor import AdvisorView
from playground.ui.plots.base import PlotView
from playground.ui.plots.bias_variance import BiasVarianceView
from playground.ui.plots.boundary import BoundaryView
from playground.ui.plots.confusion import ConfusionView
from playground.ui.plots.feature_maps import FeatureMapView
from playground.ui.plots.filters import FilterView
from playground.ui.plots.fit import FitView
from playground.ui.plots.gates import GatesView
from playground.ui.plots.gradients import GradientView
from playground.ui.plots.loss import LossView
from playground.ui.plots.reconstruction import ReconstructionView
from playground.ui.plots.saliency import SaliencyView
from playground.ui.plots.text import TextView
from playground.ui.plots.time_grad import TimeGradView
from playground.ui.plots.unit_view import UnitView

LIVE_VIEWS: tuple[type[PlotView], ...] = (
    LossView,
    GradientView,
    TimeGradView,  # a recurrent network's gradient picture: beside the gradients by layer
    BoundaryView,
    FitView,
    ReconstructionView,  # an autoencoder's main picture: before the filters
    ActivationView,
    FilterView,
    SaliencyView,
    FeatureMapView,
    UnitView,
    GatesView,
    TextView,
    ConfusionView,
    BiasVarianceView,
    AdvisorView,
)
