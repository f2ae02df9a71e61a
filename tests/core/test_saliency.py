"""Saliency maps are the gradients they claim to be, and computing them leaves the live model as it was."""

from __future__ import annotations

import copy
import threading
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from playground.core import saliency as S
from playground.core.build import GraphModel, build_model
from playground.core.datasets import load_dataset
from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph
from playground.core.layers import ACTIVATIONS

DIGITS = DatasetMeta((1, 8, 8), "classification", 10)
MEAN, STD = torch.full((1, 1, 1), 4.9), torch.full((1, 1, 1), 6.0)


def chain(nodes: list[tuple[str, str, dict[str, Any]]]) -> Graph:
    g, problems = Graph.from_dict({"nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
                                   "edges": [[a[0], b[0]] for a, b in zip(nodes, nodes[1:])]})
    assert not problems
    return g


SMALL_CNN = [("in", "Input", {}), ("c1", "Conv2d", {"filters": 4, "batchnorm": True, "dropout": 0.2}),
             ("p1", "MaxPool2d", {}), ("c2", "Conv2d", {"filters": 6, "activation": "elu"}),
             ("f", "Flatten", {}), ("d1", "Dense", {"units": 12, "dropout": 0.3}), ("out", "Output", {})]

EVERY_ACTIVATION = [("in", "Input", {}),
                    ("c1", "Conv2d", {"filters": 3, "activation": "prelu", "batchnorm": True, "dropout": 0.1}),
                    ("a1", "Activation", {"function": "abs"}), ("f", "Flatten", {}),
                    *[(f"h_{name}", "Dense", {"units": 8, "activation": name, "batchnorm": i % 3 == 0})
                      for i, name in enumerate(ACTIVATIONS)],
                    ("out", "Output", {})]


def cnn(seed: int = 0, init: str = "default") -> GraphModel:
    nodes = [(i, t, {**p, "init": init} if t in ("Conv2d", "Dense", "Output") else p) for i, t, p in SMALL_CNN]
    return build_model(chain(nodes), DIGITS, MEAN, STD, seed=seed)


def raw_images(n: int, seed: int = 0) -> torch.Tensor:
    """Raw digit-like inputs: pixel counts 0..16."""
    return torch.rand((n, 1, 8, 8), generator=torch.Generator().manual_seed(seed)) * 16


def snapshot(model: nn.Module) -> dict[str, Any]:
    return {"state": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "modules": [(name, m) for name, m in model.named_modules()],
            "types": [type(m) for m in model.modules()],
            "training": [m.training for m in model.modules()]}


def assert_unchanged(model: nn.Module, before: dict[str, Any]) -> None:
    after = snapshot(model)
    assert after["modules"] == before["modules"]  # the very same module objects under the same names
    assert after["types"] == before["types"]
    assert after["training"] == before["training"]
    assert after["state"].keys() == before["state"].keys()
    for k, v in before["state"].items():
        assert torch.equal(after["state"][k], v), k
    assert all(p.grad is None for p in model.parameters())


# --------------------------------------------------------------------------- vanilla

def test_vanilla_equals_independent_autograd_jacobian() -> None:
    model = cnn()
    model.train()  # the call must switch to eval itself: dropout and batch statistics would change the map
    x = raw_images(5)
    target = [0, 3, 9, 1, 1]
    got = S.vanilla_gradient(model, x, target)
    reference = copy.deepcopy(model).eval()
    for i in range(len(x)):
        jac = torch.func.jacrev(lambda xi: reference(xi[None])[0])(x[i])  # (classes, 1, 8, 8)
        np.testing.assert_allclose(got[i], jac[target[i]].abs().detach().numpy(), rtol=1e-5, atol=1e-7)
    assert got.dtype == np.float32
    assert got.shape == tuple(x.shape)


def test_default_target_is_the_prediction_and_numpy_input_is_accepted() -> None:
    model, x = cnn(), raw_images(6, seed=1)
    predicted = S.predicted_classes(model, x)
    np.testing.assert_array_equal(predicted, model.eval()(x).argmax(1).numpy())
    np.testing.assert_array_equal(S.vanilla_gradient(model, x.numpy()), S.vanilla_gradient(model, x, predicted))


def test_one_target_for_all_and_bad_targets() -> None:
    model, x = cnn(), raw_images(3)
    np.testing.assert_array_equal(S.vanilla_gradient(model, x, 4), S.vanilla_gradient(model, x, [4, 4, 4]))
    with pytest.raises(S.SaliencyError, match="class 10 does not exist"):
        S.vanilla_gradient(model, x, 10)
    with pytest.raises(ValueError, match="2 target classes for 3 samples"):
        S.vanilla_gradient(model, x, [1, 2])
    with pytest.raises(ValueError, match=r"batch shaped \(N, \*input_shape\)"):
        S.vanilla_gradient(model, torch.zeros(0, 1, 8, 8))


def test_single_output_unit_is_a_binary_logit() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    x = torch.randn(6, 2, requires_grad=True)
    z = model(x)[:, 0]
    np.testing.assert_array_equal(S.predicted_classes(model, x), (z > 0).long().numpy())
    (grad,) = torch.autograd.grad(z.sum(), x)  # rows are independent
    for cls in (0, 1):  # class 0 scores -z: same magnitude
        np.testing.assert_allclose(S.vanilla_gradient(model, x.detach(), cls), grad.abs().numpy(), rtol=1e-6)
    ig = S.integrated_gradients(model, x.detach(), 0, steps=64)
    assert S.completeness(model, x.detach(), ig, 0).relative_gap.max() < 0.02


# --------------------------------------------------------------------------- guided backprop

def test_guided_backprop_equals_hand_written_masks_on_a_relu_mlp() -> None:
    rng = np.random.default_rng(3)
    w1, b1 = rng.normal(size=(6, 4)), rng.normal(size=6) * 0.5
    w2, b2 = rng.normal(size=(3, 6)), rng.normal(size=3)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    with torch.no_grad():
        for layer, w, b in ((model[0], w1, b1), (model[2], w2, b2)):
            layer.weight.copy_(torch.tensor(w))
            layer.bias.copy_(torch.tensor(b))
    x = rng.normal(size=(8, 4)).astype(np.float32)
    target = np.arange(8) % 3
    got = S.guided_backprop(model, x, target)
    for i in range(len(x)):
        z = w1 @ x[i] + b1
        grad_h = w2[target[i]]  # d score / d hidden
        guided_z = (z > 0) * np.maximum(grad_h, 0)  # active units, positive signal only
        np.testing.assert_allclose(got[i], w1.T @ guided_z, rtol=1e-5, atol=1e-6)
        plain = w1.T @ ((z > 0) * grad_h)
        np.testing.assert_allclose(S.vanilla_gradient(model, x[i:i + 1], int(target[i]))[0], np.abs(plain),
                                   rtol=1e-5, atol=1e-6)


def _expected_guided(name: str, act: nn.Module, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The guided gradient of w . act(x) with respect to x, written out per activation."""
    pos, up = (x > 0).float(), w.clamp(min=0)
    if name in ("relu", "leaky_relu", "prelu", "elu"):
        return pos * up
    if name == "selu":
        return 1.0507009873554805 * pos * up
    if name == "abs":
        return torch.sign(x) * up
    leaf = x.clone().requires_grad_()
    (local,) = torch.autograd.grad(act(leaf).sum(), leaf)  # elementwise f'(x)
    if name in ("gelu", "silu", "softplus"):
        return local * up
    return local * w  # sigmoid, tanh, linear: not rectifiers, plain gradient


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_guided_rule_for_every_catalogue_activation(name: str) -> None:
    act = ACTIVATIONS[name].make()
    assert (S.guided_rule(act) is not None) == (ACTIVATIONS[name].family in ("relu", "smooth"))
    readout = nn.Linear(7, 1, bias=False)
    w = torch.tensor([[1.5, -2.0, 0.5, -0.25, 3.0, -1.0, 0.75]])
    with torch.no_grad():
        readout.weight.copy_(w)
    model = nn.Sequential(act, readout, nn.Flatten())
    x = torch.tensor([[-2.0, -0.5, -0.1, 0.3, 1.2, 2.5, -1.5]])
    got = S.guided_backprop(model, x, 1)  # one output unit: class 1 scores w . act(x)
    np.testing.assert_allclose(got[0], _expected_guided(name, act, x[0], w[0]).detach().numpy(), rtol=1e-5,
                               atol=1e-7)


def test_guided_backprop_with_every_activation_leaves_the_model_as_it_was() -> None:
    model = build_model(chain(EVERY_ACTIVATION), DIGITS, MEAN, STD, seed=1)
    model.train()
    model.h_relu.eval()  # mixed modes come back exactly as they were
    x = raw_images(4)
    before = snapshot(model)
    reference_out = copy.deepcopy(model).eval()(x)
    guided = S.guided_backprop(model, x)
    assert guided.shape == tuple(x.shape)
    assert np.isfinite(guided).all()
    assert np.abs(guided).sum() > 0
    assert_unchanged(model, before)
    torch.testing.assert_close(model.eval()(x), reference_out, rtol=0, atol=0)
    assert not np.allclose(np.abs(guided), S.vanilla_gradient(model, x))


def test_guided_backprop_restores_the_model_when_it_raises() -> None:
    class FailOnGradientPass(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if torch.is_grad_enabled():  # the prediction pass runs without grad, the gradient pass with
                raise RuntimeError("boom")
            return x

    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.ELU(), FailOnGradientPass()),
                          nn.Linear(4, 2))
    model.train()
    before = snapshot(model)
    with pytest.raises(RuntimeError, match="boom"):
        S.guided_backprop(model, torch.randn(2, 3))
    assert_unchanged(model, before)


def test_guided_backprop_handles_in_place_activations() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(inplace=True), nn.Linear(8, 8), nn.LeakyReLU(0.1, inplace=True),
                          nn.Linear(8, 3))
    plain = copy.deepcopy(model)
    plain[1], plain[3] = nn.ReLU(), nn.LeakyReLU(0.1)
    x = torch.randn(4, 5)
    np.testing.assert_allclose(S.guided_backprop(model, x), S.guided_backprop(plain, x), rtol=1e-6)
    np.testing.assert_allclose(S.vanilla_gradient(model, x), S.vanilla_gradient(plain, x), rtol=1e-6)


# --------------------------------------------------------------------------- SmoothGrad

def test_smoothgrad_without_noise_equals_vanilla_and_guided() -> None:
    model, x = cnn(), raw_images(3)
    np.testing.assert_allclose(S.smoothgrad(model, x, samples=4, noise=0.0), S.vanilla_gradient(model, x),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(S.smoothgrad(model, x, samples=3, noise=0.0, guided=True),
                               np.abs(S.guided_backprop(model, x)), rtol=1e-6, atol=1e-9)


def test_smoothgrad_noise_is_seeded_and_changes_the_map() -> None:
    model, x = cnn(), raw_images(3)
    a = S.smoothgrad(model, x, samples=8, noise=0.2, seed=5)
    np.testing.assert_array_equal(a, S.smoothgrad(model, x, samples=8, noise=0.2, seed=5))
    assert not np.allclose(a, S.vanilla_gradient(model, x))
    with pytest.raises(S.SaliencyError, match="noise"):
        S.smoothgrad(model, x, noise=-0.1)


class RowCounter(nn.Module):
    """Records the largest batch the wrapped model is called with."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.largest = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.largest = max(self.largest, len(x))
        return self.inner(x)


def test_smoothgrad_and_integrated_gradients_stream_in_bounded_chunks() -> None:
    model, x = RowCounter(cnn()), raw_images(5)
    S.smoothgrad(model, x, samples=12, chunk=16)  # 60 noisy rows
    assert model.largest == 16
    model.largest = 0
    chunked = S.integrated_gradients(model, x, steps=20, chunk=7)
    assert model.largest == 7
    np.testing.assert_allclose(chunked, S.integrated_gradients(model, x, steps=20), rtol=1e-4, atol=1e-6)


# --------------------------------------------------------------------------- integrated gradients

@pytest.mark.parametrize("baseline", ["zeros", "mean"])
def test_integrated_gradients_completeness_on_a_small_cnn(baseline: str) -> None:
    model, x = cnn(seed=2, init="he_normal"), raw_images(4, seed=2)  # He init: scores that differ clearly
    attributions = S.integrated_gradients(model, x, baseline=baseline, steps=256)
    check = S.completeness(model, x, attributions, baseline=baseline)
    assert attributions.shape == tuple(x.shape)
    assert np.abs(check.score_difference).min() > 0.1
    assert check.relative_gap.max() < 0.02, (check.attribution_sum, check.score_difference)


def test_integrated_gradients_baselines() -> None:
    model, x = cnn(), raw_images(2)
    at_baseline = S.integrated_gradients(model, torch.full_like(x, 4.9), baseline="mean")
    np.testing.assert_array_equal(at_baseline, 0)  # x = x': nothing to attribute
    same = S.integrated_gradients(model, x, baseline=np.zeros((1, 8, 8), np.float32), steps=8)
    np.testing.assert_array_equal(same, S.integrated_gradients(model, x, steps=8))
    with pytest.raises(S.SaliencyError, match="no input normalisation"):
        S.integrated_gradients(nn.Sequential(nn.Flatten(), nn.Linear(64, 3)), x, baseline="mean")
    with pytest.raises(S.SaliencyError, match="does not match"):
        S.integrated_gradients(model, x, baseline=np.zeros((3, 3), np.float32))


# --------------------------------------------------------------------------- Grad-CAM

def test_grad_cam_shape_non_negative_and_on_the_last_conv_node() -> None:
    model = cnn()
    name, layer = S.last_conv_layer(model)
    assert name == "c2"
    assert layer is model.c2
    cam = S.grad_cam(model, raw_images(3), [0, 1, 2])
    assert cam.shape == (3, 8, 8)
    assert cam.dtype == np.float32
    assert (cam >= 0).all()
    assert cam.max() > 0


def test_grad_cam_equals_hand_computation_on_a_plain_module() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, 3, stride=2), nn.ReLU(),
                          nn.Flatten(), nn.Linear(4 * 3 * 3, 5))
    x = torch.randn(2, 1, 8, 8)
    assert S.last_conv_layer(model)[1] is model[2]  # plain modules: the last nn.Conv2d
    features = model[:3](x).detach().requires_grad_()
    score = model[3:](features)[:, 1].sum()
    (grad,) = torch.autograd.grad(score, features)
    cam = torch.relu((grad.mean(dim=(2, 3), keepdim=True) * features).sum(1, keepdim=True))
    expected = nn.functional.interpolate(cam, size=(8, 8), mode="bilinear", align_corners=False)[:, 0]
    np.testing.assert_allclose(S.grad_cam(model, x, 1), expected.detach().numpy(), rtol=1e-5, atol=1e-7)


def test_grad_cam_without_a_conv_layer_says_so() -> None:
    mlp = build_model(chain([("in", "Input", {}), ("f", "Flatten", {}), ("d", "Dense", {}), ("out", "Output", {})]),
                      DIGITS, MEAN, STD, seed=0)
    with pytest.raises(S.NoConvolutionError, match="needs a Conv2d layer") as info:
        S.grad_cam(mlp, raw_images(2))
    assert isinstance(info.value, ValueError)
    assert "integrated gradients" in str(info.value)


# --------------------------------------------------------------------------- every method

@pytest.mark.parametrize("method", list(S.SALIENCY_METHODS))
def test_every_method_restores_train_mode_and_leaves_no_grad(method: str) -> None:
    model = build_model(chain(EVERY_ACTIVATION[:3] + SMALL_CNN[2:]), DIGITS, MEAN, STD, seed=0)
    model.train()
    before = snapshot(model)
    result = S.SALIENCY_METHODS[method].compute(model, raw_images(3))
    assert_unchanged(model, before)
    assert model.training
    assert result.dtype == np.float32
    assert np.isfinite(result).all()
    expected = (3, 8, 8) if not S.SALIENCY_METHODS[method].per_channel else (3, 1, 8, 8)
    assert result.shape == expected


def test_results_are_owned_copies() -> None:
    model, x = cnn(), raw_images(2)
    maps = S.vanilla_gradient(model, x)
    assert maps.flags.owndata
    assert maps.flags.writeable


def test_grad_mode_off_in_the_calling_thread_does_not_matter() -> None:
    model, x = cnn(), raw_images(2)
    expected = S.vanilla_gradient(model, x)
    with torch.no_grad():
        np.testing.assert_array_equal(S.vanilla_gradient(model, x), expected)
    with torch.inference_mode():
        np.testing.assert_array_equal(S.integrated_gradients(model, x, steps=4),
                                      S.integrated_gradients(model, x, steps=4))
    results: list[np.ndarray] = []

    def worker() -> None:  # a training thread that runs with grad disabled
        torch.set_grad_enabled(False)
        results.append(S.guided_backprop(model, x))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    np.testing.assert_array_equal(results[0], S.guided_backprop(model, x))


def test_reduce_channels_takes_the_largest_magnitude() -> None:
    maps = np.array([[[[1.0, -3.0]], [[-2.0, 2.0]], [[0.5, 0.0]]]], np.float32)  # (1, 3, 1, 2)
    np.testing.assert_array_equal(S.reduce_channels(maps), [[[2.0, 3.0]]])
    np.testing.assert_array_equal(S.reduce_channels(maps, keep_sign=True), [[[-2.0, -3.0]]])
    np.testing.assert_array_equal(S.reduce_channels(np.ones((2, 4, 4))), np.ones((2, 4, 4)))
    with pytest.raises(ValueError, match="image maps"):
        S.reduce_channels(np.ones((2, 5)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_model_gives_the_same_maps() -> None:
    model, x = cnn(), raw_images(3)
    cpu = {name: m.compute(model, x) for name, m in S.SALIENCY_METHODS.items()}
    gpu_model = copy.deepcopy(model).cuda()
    for name, m in S.SALIENCY_METHODS.items():
        np.testing.assert_allclose(m.compute(gpu_model, x), cpu[name], rtol=1e-3, atol=1e-4, err_msg=name)
    assert all(p.grad is None for p in gpu_model.parameters())


# --------------------------------------------------------------------------- what a student sees

def test_trained_digits_cnn_looks_at_the_digit_not_the_blank_border() -> None:
    data = load_dataset({"name": "digits"})
    nodes = [("in", "Input", {}), ("c1", "Conv2d", {"filters": 8}), ("p1", "MaxPool2d", {}),
             ("c2", "Conv2d", {"filters": 16}), ("f", "Flatten", {}), ("out", "Output", {})]
    model = build_model(chain(nodes), data.meta, data.mean, data.std, seed=0)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = data.train.x, data.train.y
    batches = torch.Generator().manual_seed(0)
    for _ in range(300):
        idx = torch.randint(0, len(x), (64,), generator=batches)
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.zero_grad(set_to_none=True)
    val = data.val.x[:64]
    assert (S.predicted_classes(model, val) == data.val.y[:64].numpy()).mean() > 0.85
    always_blank = (x.amax(dim=0)[0] == 0).numpy()  # pixels that are zero in every training image
    assert always_blank.sum() >= 3
    strokes = val[:, 0].numpy() >= 8
    for name in ("vanilla", "guided", "smoothgrad", "integrated_gradients", "grad_cam"):
        maps = S.reduce_channels(S.SALIENCY_METHODS[name].compute(model, val))
        on_digit, on_border = maps[strokes].mean(), maps[:, always_blank].mean()
        assert on_digit > 1.3 * on_border, (name, on_digit, on_border)
