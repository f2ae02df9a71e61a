"""Every shipped example shows the effect its lesson promises.

Each test trains the shipped project briefly (fewer epochs than the file asks for; the same
data, network and settings otherwise) and checks what the note tells a student to look at.
Where the note names a setting as the cause ("switch batch norm off and it diverges"), the
test also trains that variant, so the check fails when the effect is absent, not only when
training is slow. The thresholds were measured first (in the comments) and leave a margin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import torch

from playground.core.examples import shipped_examples
from playground.core.project import Project, check_project, load_project
from playground.core.training import Callback, Report, Trainer, TrainResult

EXAMPLES = {e.name: e for e in shipped_examples()}
#: The examples the tests below train: a new example needs a lesson test before it ships.
TESTED = {
    "xor_no_hidden", "xor_hidden_layer", "lr_too_small", "lr_right", "lr_too_large", "spiral",
    "vanishing_sigmoid_digits", "relu_he_digits", "batchnorm_sigmoid_digits", "exploding_gradients",
    "gradient_clipping", "init_zeros", "init_small_normal", "init_xavier", "init_he", "init_lsuv",
    "abs_rectification_xor", "batchnorm_high_lr", "optimizer_sgd", "optimizer_momentum", "optimizer_nesterov",
    "optimizer_adam", "rprop_full_batch", "lr_schedule_step", "lr_schedule_cosine", "overfitting",
    "overfitting_l2", "overfitting_dropout", "early_stopping", "label_smoothing", "lenet_digits",
    "residual_mlp_spiral", "deep_plain_digits", "deep_residual_digits", "dense_concat_spiral",
    "circle_squared_features", "curve_wide_shallow", "curve_deep_narrow", "mse_classification_digits",
    "maxout_spiral", "overfitting_max_norm", "augmentation_lenet_digits", "permuted_pixels_dense",
    "permuted_pixels_lenet",
    # trained by their own lesson test, tests/core/test_dropout_features.py
    "features_without_dropout", "features_with_dropout",
    # trained by their own lesson tests, tests/core/test_autoencoder_lessons.py
    "autoencoder_code2", "autoencoder_code32", "denoising_autoencoder", "lenet_units",
    # trained by their own lesson tests, tests/core/test_sequence_lessons.py
    "char_lstm", "memory_rnn_t10", "memory_rnn_t40", "memory_lstm_t40", "exploding_rnn", "exploding_rnn_clipped",
}


@dataclass
class Run:
    """One brief training of an example: its epoch-end reports, how it ended, and the trainer."""

    reports: list[Report]
    result: TrainResult
    trainer: Trainer

    @property
    def last(self) -> Report:
        return self.reports[-1]

    def train_losses(self) -> list[float]:
        return [r.train_loss for r in self.reports if r.train_loss is not None]

    def grad_ratio(self, low: str, high: str) -> float:
        """Gradient norm of node ``low`` over that of ``high``, at the last report."""
        return self.last.grad_norm[low] / self.last.grad_norm[high]


class _Epochs(Callback):
    def __init__(self) -> None:
        self.reports: list[Report] = []

    def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
        self.reports.append(report)


def example(name: str, *, training: Mapping[str, Any] | None = None, dataset: Mapping[str, Any] | None = None,
            params: Mapping[str, Mapping[str, Any]] | None = None) -> Project:
    """The shipped example, with training settings, dataset fields and node parameters changed
    (``"*"``: every node that has the parameter already); ``None`` as a value removes a setting."""
    assert name in TESTED, f"{name}: add it to TESTED"
    project = load_project(EXAMPLES[name].path)
    for section, changes in ((project.training, training), (project.dataset, dataset)):
        for key, value in (changes or {}).items():
            if value is None:
                section.pop(key, None)
            else:
                section[key] = value
    for node_id, changes in (params or {}).items():
        for node in project.graph.nodes.values():
            if node_id in (node.id, "*") and (node_id != "*" or set(changes) <= set(node.params)):
                project.graph.set_params(node.id, {**node.params, **changes})
    return project


def train(project: Project, epochs: int, *callbacks: Callback) -> Run:
    """``project`` trained for ``epochs`` with ``callbacks`` watching too."""
    project.training["epochs"] = epochs
    epochs_seen = _Epochs()
    trainer = Trainer(project, callbacks=[epochs_seen, *callbacks], report_interval=None, probes=False,
                      device="cpu")
    result = trainer.fit()
    return Run(epochs_seen.reports, result, trainer)


def brief(name: str, epochs: int, **changes: Any) -> Run:
    return train(example(name, **changes), epochs)


def rises(losses: list[float]) -> int:
    """How often the training loss went up from one epoch to the next by more than half."""
    return sum(b > 1.5 * a for a, b in zip(losses, losses[1:]))


# --------------------------------------------------------------------------- the basic machine

def test_xor_without_a_hidden_layer_stays_near_chance() -> None:
    run = brief("xor_no_hidden", 20)  # measured: train 0.69-0.74, validation 0.62
    assert run.last.train_acc <= 0.8
    assert run.last.val_acc <= 0.8


def test_xor_with_a_hidden_layer_is_solved() -> None:
    run = brief("xor_hidden_layer", 20)  # measured: train 1.0 from epoch 16, validation 0.95
    assert run.last.train_acc >= 0.95
    assert run.last.val_acc >= 0.9


def test_a_learning_rate_too_small_hardly_moves_the_loss() -> None:
    run = brief("lr_too_small", 20)  # measured: 0.749 -> 0.733, accuracy 0.40
    losses = run.train_losses()
    assert losses[0] - losses[-1] < 0.05 * losses[0]
    assert run.last.train_acc < 0.7
    faster = brief("lr_too_small", 20, training={"lr": 0.5})
    assert faster.train_losses()[-1] < 0.5 * losses[-1], "the learning rate is what held it back"


def test_a_learning_rate_about_right_finds_the_circle_in_20_epochs() -> None:
    run = brief("lr_right", 20)  # measured: loss 0.69 -> 0.11, validation 0.975
    losses = run.train_losses()
    assert losses[-1] < 0.25
    assert rises(losses) == 0, "a steady descent"
    assert run.last.val_acc >= 0.9


def test_a_learning_rate_too_large_makes_the_loss_jump() -> None:
    run = brief("lr_too_large", 20)  # measured: losses between 1 and 7.4, rising 6 times by half
    losses = run.train_losses()
    assert rises(losses) >= 2
    assert sum(losses) / len(losses) > 1.0, "far above the 0.5 run (mean 0.3)"


def test_squared_features_let_a_network_without_hidden_layers_solve_the_circle() -> None:
    run = brief("circle_squared_features", 10)  # measured: 1.0 from the first epochs (raw x1, x2: 0.68)
    assert run.last.train_acc >= 0.95
    raw = brief("circle_squared_features", 10, dataset={"features": None})
    assert raw.last.train_acc <= 0.8


def test_three_narrow_layers_fit_the_curve_that_one_wide_layer_does_not() -> None:
    wide = brief("curve_wide_shallow", 200)  # measured: validation loss 0.47, training 0.39
    deep = brief("curve_deep_narrow", 200)  # measured: validation loss 0.03
    count = [check_project(r.trainer.project).report.total_parameters for r in (wide, deep)]
    assert count[0] == count[1], "the same number of weights"
    assert wide.last.train_loss > 0.3
    assert deep.last.val_loss < 0.1
    assert deep.last.val_loss < 0.25 * wide.last.val_loss


def test_squared_error_on_classes_learns_more_slowly_than_cross_entropy() -> None:
    mse = brief("mse_classification_digits", 4)  # measured: validation 0.79 (cross-entropy 0.91)
    ce = brief("mse_classification_digits", 4, params={"out": {"loss": "cross_entropy"}})
    assert mse.last.val_acc > 0.5, "it does learn"
    assert mse.last.val_acc < ce.last.val_acc - 0.05


def test_two_tanh_layers_follow_the_spiral() -> None:
    run = brief("spiral", 60)  # measured: training accuracy 0.55 -> 0.755
    assert run.last.train_acc >= run.reports[0].train_acc + 0.1


# --------------------------------------------------------------------------- vanishing and exploding gradients

def test_ten_sigmoid_layers_vanish() -> None:
    run = brief("vanishing_sigmoid_digits", 2)  # measured: h1/h10 about 1e-7, accuracy 0.10
    assert run.grad_ratio("h1", "h10") < 1e-4
    assert run.last.train_acc < 0.2


def test_relu_and_he_give_level_gradients_and_learn() -> None:
    run = brief("relu_he_digits", 10)  # measured: hidden norms within 3x, training accuracy 0.88
    hidden = [run.last.grad_norm[f"h{i}"] for i in range(1, 11)]
    assert max(hidden) / min(hidden) < 20
    assert run.last.train_acc >= 0.75


def test_batch_norm_rescues_the_sigmoid_layers() -> None:
    run = brief("batchnorm_sigmoid_digits", 10)  # measured: h1/h10 1.3, validation 0.93
    assert run.grad_ratio("h1", "h10") > 0.1
    assert run.last.val_acc >= 0.85


def test_weights_drawn_too_large_explode() -> None:
    run = brief("exploding_gradients", 3)  # measured: NaN at step 4
    assert run.result.status == "diverged"
    assert run.result.epochs == 0
    assert "Dense '" in run.result.message, "the message names the layer"


def test_gradient_clipping_keeps_the_exploding_network_alive() -> None:
    run = brief("gradient_clipping", 20)  # measured: finished, validation 0.84
    assert run.result.status == "finished"
    assert run.last.val_acc >= 0.7


# --------------------------------------------------------------------------- initialisation

def test_all_zero_weights_never_break_symmetry() -> None:
    run = brief("init_zeros", 10)  # measured: hidden gradients exactly 0, accuracy 0.52
    for node in ("h1", "h2", "h3", "h4"):
        assert run.last.grad_norm[node] == 0.0
    assert run.last.train_acc <= 0.6
    weights = run.trainer.model.state_dict()
    first = next(v for k, v in weights.items() if k.startswith("h1") and k.endswith("weight"))
    assert torch.all(first == 0), "every unit of the first layer is still the same"


def test_small_normal_weights_let_the_signal_fade() -> None:
    run = brief("init_small_normal", 10)  # measured: h1/h5 about 5e-6, accuracy 0.52
    assert run.grad_ratio("h1", "h5") < 1e-3
    assert run.last.train_acc <= 0.6


@pytest.mark.parametrize("name", ["init_xavier", "init_he", "init_lsuv"])
def test_a_scaled_initialisation_solves_the_circle(name: str) -> None:
    run = brief(name, 10)  # measured: training accuracy 0.975 / 1.0 / 0.98
    assert run.last.train_acc >= 0.9
    assert run.grad_ratio("h1", "h5") > 0.05, "level gradient bars"


# --------------------------------------------------------------------------- non-linearities and batch norm

def test_two_absolute_value_units_solve_xor() -> None:
    run = brief("abs_rectification_xor", 40)  # measured: validation 0.95 (relu: 0.75)
    assert run.last.val_acc >= 0.9
    relu = brief("abs_rectification_xor", 40, params={"h1": {"activation": "relu"}})
    assert relu.last.val_acc <= run.last.val_acc - 0.1


def test_batch_norm_trains_at_a_learning_rate_that_diverges_without_it() -> None:
    run = brief("batchnorm_high_lr", 10)  # measured: validation 0.94
    assert run.result.status == "finished"
    assert run.last.val_acc >= 0.9
    plain = brief("batchnorm_high_lr", 10, params={"*": {"batchnorm": False}})  # measured: NaN in epoch 8
    assert plain.result.status == "diverged" or plain.last.val_acc < 0.8


def test_maxout_units_learn_the_spiral() -> None:
    run = brief("maxout_spiral", 60)  # measured: training accuracy 0.95 at epoch 51 (ReLU, 8 units: 0.66)
    assert run.last.train_acc >= 0.88


# --------------------------------------------------------------------------- optimisers

def test_plain_sgd_creeps() -> None:
    run = brief("optimizer_sgd", 60)  # measured: training accuracy 0.64
    assert run.last.train_acc < 0.8


@pytest.mark.parametrize("name", ["optimizer_momentum", "optimizer_nesterov", "optimizer_adam"])
def test_momentum_nesterov_and_adam_solve_the_spiral_in_time(name: str) -> None:
    run = brief(name, 60)  # measured: training accuracy 0.94 / 0.98 / 1.0 (SGD 0.64)
    assert run.last.train_acc >= 0.9


def test_rprop_on_the_full_batch_descends_steadily_and_stalls_on_mini_batches() -> None:
    run = brief("rprop_full_batch", 150)  # measured: 0.71 -> 0.03, lower in 138 of 149 epochs, two spikes
    losses = run.train_losses()
    assert run.trainer.steps_per_epoch == 1, "the whole training set is one batch"
    assert losses[-1] < 0.15
    assert sum(b < a for a, b in zip(losses, losses[1:])) >= 0.85 * (len(losses) - 1)
    mini = brief("rprop_full_batch", 150, training={"batch_size": 16})  # measured: 0.66 from epoch 10 on
    assert mini.train_losses()[-1] > 0.5


def test_a_cosine_schedule_settles_where_a_constant_rate_bounces() -> None:
    run = brief("lr_schedule_cosine", 120)  # measured: last 20 epochs 0.028 ± 0.001 (constant: 0.37 ± 0.12)
    constant = brief("lr_schedule_cosine", 120, training={"scheduler": None})
    settled, bouncing = run.train_losses()[-20:], constant.train_losses()[-20:]
    assert run.last.lr < 0.01
    assert max(settled) < 0.1
    assert sum(bouncing) / 20 > 3 * sum(settled) / 20
    assert max(bouncing) - min(bouncing) > 5 * (max(settled) - min(settled))


def test_a_step_schedule_quietens_the_loss_at_the_step() -> None:
    run = brief("lr_schedule_step", 80)  # measured: spread 0.46 before epoch 60, 0.03 after
    losses = run.train_losses()
    before, after = losses[40:60], losses[60:]
    assert run.reports[59].lr == pytest.approx(0.5)
    assert run.last.lr == pytest.approx(0.05)
    assert max(after) - min(after) < 0.5 * (max(before) - min(before))


# --------------------------------------------------------------------------- regularisation

def overfit_gap(run: Run) -> float:
    """The final validation loss over the lowest one of the run."""
    return run.last.val_loss / min(r.val_loss for r in run.reports)


def test_a_big_network_overfits_fifty_noisy_points() -> None:
    run = brief("overfitting", 150)  # measured: train 1.0, validation loss 0.77 at best, 2.3 at the end
    assert run.last.train_acc >= 0.98
    assert overfit_gap(run) > 2.0


def test_l2_weight_decay_keeps_the_validation_loss_down() -> None:
    run = brief("overfitting_l2", 150)  # measured: validation loss ends at 1.3x its best (no L2: 3x)
    assert overfit_gap(run) < 1.8
    assert run.last.val_loss < 0.6


def test_dropout_overfits_far_less() -> None:
    run = brief("overfitting_dropout", 150)
    without = brief("overfitting_dropout", 150, params={"*": {"dropout": 0.0}})
    assert run.last.val_loss < 0.7 * without.last.val_loss


def test_a_max_norm_constraint_overfits_far_less() -> None:
    run = brief("overfitting_max_norm", 150)
    free = brief("overfitting_max_norm", 150, training={"max_norm": None})
    assert run.last.val_loss < 0.6 * free.last.val_loss


def test_augmentation_keeps_lenet_from_memorising_few_digits() -> None:
    run = brief("augmentation_lenet_digits", 60)  # measured: train 0.86, best validation loss 0.087
    plain = brief("augmentation_lenet_digits", 60, training={"augment": None})  # train 1.0, best 0.204
    best = [min(r.val_loss for r in x.reports) for x in (run, plain)]
    assert run.last.train_acc < 0.97
    assert plain.last.train_acc >= 0.99
    assert best[0] < 0.7 * best[1]


def test_early_stopping_ends_the_run_and_keeps_the_best_weights() -> None:
    run = brief("early_stopping", 300)  # measured: stops after epoch 24, keeps epoch 4
    assert run.result.status == "early_stopped"
    assert run.result.epochs < 100
    assert "kept the weights of epoch" in run.result.message


def test_label_smoothing_keeps_the_loss_and_the_confidence_off_their_extremes() -> None:
    run = brief("label_smoothing", 10)  # measured: training loss 0.91, validation 0.97
    sharp = brief("label_smoothing", 10, params={"out": {"label_smoothing": 0.0}})
    assert run.last.train_loss > 0.6
    assert sharp.last.train_loss < 0.1
    assert run.last.val_acc >= 0.9

    def confidence(r: Run) -> float:
        with torch.no_grad():
            r.trainer.model.eval()
            return float(torch.softmax(r.trainer.model(r.trainer.dataset.val.x), 1).max(1).values.mean())
    assert confidence(run) < 0.9 < confidence(sharp)


# --------------------------------------------------------------------------- architectures

def test_lenet_learns_the_digits_in_a_few_epochs() -> None:
    run = brief("lenet_digits", 5)  # measured: validation 0.955
    assert run.last.val_acc >= 0.9


def test_shuffled_pixels_do_not_bother_a_dense_network() -> None:
    run = brief("permuted_pixels_dense", 15)  # measured: validation 0.955 (in order: 0.962)
    ordered = brief("permuted_pixels_dense", 15, dataset={"permute_pixels": False})
    assert run.last.val_acc >= 0.9
    assert abs(run.last.val_acc - ordered.last.val_acc) < 0.03


def test_shuffled_pixels_cost_lenet_accuracy() -> None:
    run = brief("permuted_pixels_lenet", 15)  # measured: validation 0.934 (in order: 0.972)
    ordered = brief("permuted_pixels_lenet", 15, dataset={"permute_pixels": False})
    assert run.last.val_acc <= ordered.last.val_acc - 0.02
    assert run.last.val_loss > ordered.last.val_loss


def test_the_residual_mlp_learns_the_spiral() -> None:
    run = brief("residual_mlp_spiral", 40)  # measured: validation 0.56 -> 0.88
    assert run.last.val_acc >= 0.75


def test_eleven_plain_layers_are_stuck_and_the_residual_ones_are_not() -> None:
    plain = brief("deep_plain_digits", 8)  # measured: 0.10, h1/h11 about 1e-3
    assert plain.last.train_acc < 0.2
    assert plain.grad_ratio("h1", "h11") < 0.01, "the bars fade towards the input"
    residual = brief("deep_residual_digits", 8)  # measured: 0.94 validation from epoch 3
    assert residual.last.val_acc >= 0.85
    assert residual.grad_ratio("b1a", "b5b") > 0.1


def test_the_dense_block_concatenates_and_learns() -> None:
    project = example("dense_concat_spiral")
    shapes = check_project(project).report.nodes
    assert shapes["cat1"].shape == (32,)
    assert shapes["cat2"].shape == (48,)
    run = train(project, 100)  # measured: validation 0.925
    assert run.last.val_acc >= 0.85


# --------------------------------------------------------------------------- every example has its lesson

def test_every_example_has_a_lesson_test() -> None:
    assert set(EXAMPLES) == TESTED


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_has_a_complete_lesson_and_passes_check(name: str) -> None:
    found = EXAMPLES[name]
    assert found.lesson.complete, f"{name}: topic, note, look, change and why are all written"
    assert "\n" not in found.note
    assert not check_project(load_project(found.path)).problems
