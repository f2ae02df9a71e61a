"""Trainer throughput against a bare PyTorch loop doing the same work (issue 3, part 5).

Two cases: (a) a TensorFlow-Playground-sized MLP (2->8->8->2 tanh, batch 10) on ``xor`` and
(b) a 64->128->128->10 ReLU MLP with batch norm and dropout, batch 64, on ``digits``. For each,
the ``Trainer`` runs with every probe on at its default cadence (reports, gradient norms,
activation and weight statistics, divergence guard), and a bare loop runs the same model
(``build_model``, same seed), optimiser, loss, per-epoch shuffling by index gather on the
device, and one validation pass per epoch, on the thread count the trainer chose by the work
(``threads.py``). The two alternate in rounds so background load hits both alike; the best
round of each counts. The target is a ratio of at least 0.9.

    .venv/bin/python bench/throughput.py [--device D] [--seconds S] [--threads N] [--quick]
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from typing import Any

import torch

from playground.core.build import build_model
from playground.core.datasets import LoadContext, load_dataset
from playground.core.devices import resolve_device
from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.threads import intra_op_threads
from playground.core.training import (
    REPORT_INTERVAL,
    Trainer,
    make_objective,
    make_optimizer,
    shuffled_indices,
    usable_length,
)

WARMUP_STEPS = 50
ROUNDS = 5


def _mlp(dataset: dict[str, Any], hidden: list[dict[str, Any]], batch_size: int, lr: float) -> Project:
    nodes = [{"id": "in", "type": "Input"}]
    nodes += [{"id": f"h{i + 1}", "type": "Dense", "params": p} for i, p in enumerate(hidden)]
    nodes.append({"id": "out", "type": "Output"})
    ids = [n["id"] for n in nodes]
    graph, problems = Graph.from_dict({"nodes": nodes, "edges": [list(e) for e in zip(ids, ids[1:])]})
    assert not problems, problems
    return Project(f"bench {dataset['name']}", dataset, graph,
                   {"optimizer": "adam", "lr": lr, "batch_size": batch_size, "epochs": 100_000, "seed": 0})


CASES: dict[str, Project] = {
    "xor 2-8-8-2 tanh, batch 10": _mlp({"name": "xor", "samples": 500},
                                       [{"units": 8, "activation": "tanh"}] * 2, 10, 0.03),
    "digits 64-128-128-10 bn+dropout, batch 64": _mlp(
        {"name": "digits"}, [{"units": 128, "activation": "relu", "batchnorm": True, "dropout": 0.2}] * 2,
        64, 0.01),
}


def trainer_rate(project: Project, device: torch.device, seconds: float) -> float:
    """Steps per second of ``Trainer.iter_fit`` with its default reports and probes."""
    trainer = Trainer(project, device=device)
    run = trainer.iter_fit()
    for _ in range(WARMUP_STEPS):
        next(run)
    first, began = trainer.step, time.perf_counter()
    while time.perf_counter() - began < seconds:
        next(run)
    rate = (trainer.step - first) / (time.perf_counter() - began)
    run.close()
    return rate


def bare_rate(project: Project, device: torch.device, seconds: float, threads: int) -> float:
    """Steps per second of a plain loop on ``threads`` intra-op threads: the same model,
    optimiser, loss, shuffling and one validation pass per epoch, and nothing else."""
    with intra_op_threads(threads):
        return _bare_loop(project, device, seconds)


def _bare_loop(project: Project, device: torch.device, seconds: float) -> float:
    config = project.train_config()
    data = load_dataset(project.dataset, LoadContext(project.base_dir, config.val_fraction))
    model = build_model(project.graph, data.meta, data.mean, data.std, seed=config.seed).to(device)
    optimizer = make_optimizer(config, list(model.parameters()))
    objective = make_objective("cross_entropy")
    x, t = data.train.x.to(device), data.train.y.to(device)
    vx, vt = data.val.x.to(device), data.val.y.to(device)
    torch.manual_seed(config.seed)
    bs = config.batch_size
    steps, began, deadline = 0, 0.0, float("inf")
    epoch = 0
    while True:
        epoch += 1
        order = shuffled_indices(len(x), config.seed, epoch)[: usable_length(len(x), bs)].to(device)
        for xb, tb in zip(x.index_select(0, order).split(bs), t.index_select(0, order).split(bs)):
            loss = objective.loss(model(xb), tb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            steps += 1
            if steps == WARMUP_STEPS:
                began = time.perf_counter()
                deadline = began + seconds
            elif time.perf_counter() >= deadline:
                return (steps - WARMUP_STEPS) / (time.perf_counter() - began)
        model.eval()
        with torch.no_grad():
            out = model(vx)
            objective.loss(out, vt).item()
            objective.correct(out, vt).item()
        model.train()


def best_of_rounds(measures: dict[str, Callable[[float], float]], seconds: float) -> dict[str, float]:
    """Alternate the measurements ``ROUNDS`` times, ``seconds`` per round each; keep each one's best."""
    best = dict.fromkeys(measures, 0.0)
    for _ in range(ROUNDS):
        for name, measure in measures.items():
            best[name] = max(best[name], measure(seconds))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time per case and loop")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads: the most either loop uses (the trainer chooses by the work)")
    parser.add_argument("--quick", action="store_true", help="about a second per case and loop (CI smoke)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    seconds = 1.0 if args.quick else args.seconds
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    print(f"device {device} ({name}), torch {torch.__version__}, at most {torch.get_num_threads()} threads, "
          f"reports every {REPORT_INTERVAL * 1000:.0f} ms with all probes, best of {ROUNDS} rounds of "
          f"{seconds / ROUNDS:.1f} s")
    print(f"{'case':<44} {'threads':>7} {'trainer steps/s':>16} {'bare steps/s':>13} {'ratio':>6}")
    for case, project in CASES.items():
        threads = Trainer(project, device=device).threads
        rates = best_of_rounds({"trainer": lambda s, p=project: trainer_rate(p, device, s),
                                "bare": lambda s, p=project, n=threads: bare_rate(p, device, s, n)},
                               seconds / ROUNDS)
        print(f"{case:<44} {threads:>7} {rates['trainer']:>16,.0f} {rates['bare']:>13,.0f} "
              f"{rates['trainer'] / rates['bare']:>6.2f}")


if __name__ == "__main__":
    main()
