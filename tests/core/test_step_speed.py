"""Small networks at full speed (issue 12): the thread count follows the work, and the trainer's
faster step path (``direct_forward``, ``optim_steps.direct_step``) takes exactly the steps of the
model's own call and PyTorch's own optimiser (weights compared bitwise after every step). Speed
itself is measured by bench/step_speed.py, never asserted here."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from playground.core.build import build_model
from playground.core.examples import example_path
from playground.core.project import load_project
from playground.core.threads import ONE_THREAD_FLOPS, choose_threads, forward_flops
from playground.core.training import (
    Callback,
    Trainer,
    make_objective,
    make_optimizer,
    make_scheduler,
    shuffled_indices,
    usable_length,
)
from tests.core.test_training import XOR, project_of

CPU = torch.device("cpu")


def test_tiny_networks_take_one_thread_and_large_ones_every_allowed_thread() -> None:
    assert choose_threads(400, CPU, ceiling=8) == 1
    assert choose_threads(ONE_THREAD_FLOPS - 1, CPU, ceiling=8) == 1
    assert choose_threads(ONE_THREAD_FLOPS, CPU, ceiling=8) == 8
    assert choose_threads(ONE_THREAD_FLOPS * 100, CPU, ceiling=1) == 1
    # on a GPU the host thread only launches kernels
    assert choose_threads(ONE_THREAD_FLOPS * 100, torch.device("cuda"), ceiling=8) == 1


def test_a_tiny_network_trains_on_one_thread_and_the_callers_count_comes_back() -> None:
    project = load_project(example_path("spiral") or "")
    seen: list[int] = []

    class Threads(Callback):
        def on_start(self, trainer: Trainer) -> None:
            seen.append(torch.get_num_threads())

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        project.training.update(epochs=1)
        trainer = Trainer(project, callbacks=[Threads()], device="cpu")
        assert trainer.threads == 1
        trainer.fit()
        assert seen == [1]
        assert torch.get_num_threads() == 2
        Trainer(project, callbacks=[Threads()], device="cpu", threads=2).fit()
        assert seen == [1, 2]
    finally:
        torch.set_num_threads(before)


def test_forward_flops_counts_the_matrix_products_and_changes_nothing() -> None:
    project = project_of([{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}], XOR)
    trainer = Trainer(project, device="cpu")
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    rng = torch.get_rng_state()
    batch = trainer._train_x[:10]
    # 2-4-2-2: 2 multiply-adds per weight and example
    assert forward_flops(trainer.model, batch) == 2 * 10 * (2 * 4 + 4 * 2 + 2 * 2)
    assert trainer.model.training
    assert torch.equal(torch.get_rng_state(), rng)
    for key, value in trainer.model.state_dict().items():
        assert torch.equal(value, before[key]), key
    lenet = Trainer(load_project(example_path("lenet_digits") or ""), device="cpu")
    assert forward_flops(lenet.model, lenet._train_x[:32]) > 100 * forward_flops(trainer.model, batch)


def reference_weights(project: Any, epochs: int) -> list[list[torch.Tensor]]:
    """The weights after every step of a plain loop with PyTorch's own optimiser (its default,
    single-tensor implementation) and schedule, on the trainer's data order."""
    trainer = Trainer(project, device="cpu")  # for its data and settings only
    config = trainer.config
    data = trainer.dataset
    model = build_model(trainer.graph, data.meta, data.mean, data.std, seed=config.seed)
    optimizer = make_optimizer(config, list(model.parameters()))
    scheduler = make_scheduler(config, optimizer)
    objective = make_objective(trainer.loss_name)
    x, t = trainer._train_x, trainer._train_t
    after: list[list[torch.Tensor]] = []
    for epoch in range(1, epochs + 1):
        order = shuffled_indices(len(x), config.seed, epoch)[: usable_length(len(x), config.batch_size)]
        for xb, tb in zip(x[order].split(config.batch_size), t[order].split(config.batch_size)):
            objective.loss(model(xb), tb).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            after.append([p.detach().clone() for p in model.parameters()])
        if scheduler is not None:
            scheduler.step()
    return after


@pytest.mark.parametrize("settings", [
    {"optimizer": "sgd"},
    {"optimizer": "sgd", "weight_decay": 0.01, "scheduler": {"name": "step", "step_size": 1, "gamma": 0.5}},
    {"optimizer": "momentum", "momentum": 0.9},
    {"optimizer": "nesterov", "momentum": 0.8, "weight_decay": 0.001, "scheduler": {"name": "cosine"}},
    {"optimizer": "adam"},
    {"optimizer": "adam", "weight_decay": 0.01, "scheduler": {"name": "exponential", "gamma": 0.9}},
    {"optimizer": "adamw", "weight_decay": 0.05},
    {"optimizer": "rmsprop"},  # torch's own step: the reference against itself
])
def test_every_step_is_bitwise_the_step_of_pytorchs_optimiser(settings: dict[str, Any]) -> None:
    epochs = 3
    project = project_of([{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}],
                         {"name": "circle", "samples": 200}, {"loss": "bce"}, lr=0.1, epochs=epochs,
                         val_fraction=0.2, seed=5, **settings)
    expected = reference_weights(project, epochs)
    trainer = Trainer(project, device="cpu")
    run = trainer.iter_fit()
    for step, weights in enumerate(expected, 1):
        assert next(run) == step
        for got, want in zip(trainer.model.parameters(), weights):
            assert torch.equal(got, want), f"step {step}"
    with pytest.raises(StopIteration):
        next(run)
    assert trainer.result is not None
    assert trainer.result.status == "finished"


@pytest.mark.parametrize("example", ["spiral", "residual_mlp_spiral", "lenet_digits", "relu_he_digits"])
def test_the_direct_forward_computes_what_the_model_computes_bitwise(example: str) -> None:
    """Chains and graphs with joins, batch norm and dropout (same random numbers): same outputs,
    same gradients, same batch-norm statistics."""
    trainer = Trainer(load_project(example_path(example) or ""), device="cpu")
    model, batch = trainer.model, trainer._train_x[:32]
    start = {k: v.clone() for k, v in model.state_dict().items()}
    results = []
    for forward in (model, model.direct_forward()):
        model.load_state_dict(start)
        model.zero_grad(set_to_none=True)
        torch.manual_seed(0)
        out = forward(batch)
        out.sum().backward()
        results.append((out.detach(), [p.grad.clone() for p in model.parameters()],
                        [b.clone() for b in model.buffers()]))
    (out, grads, buffers), (direct_out, direct_grads, direct_buffers) = results
    assert torch.equal(out, direct_out)
    assert all(torch.equal(a, b) for a, b in zip(grads, direct_grads))
    assert all(torch.equal(a, b) for a, b in zip(buffers, direct_buffers))
