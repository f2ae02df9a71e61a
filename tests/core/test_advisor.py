"""The training advisor: each rule fires on a run made to trigger it, healthy runs stay silent,
and each fix applies to the project as a valid edit that does what it says."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.advisor import RULES, Advisor, Finding, save_advice
from playground.core.advisor_callback import AdvisingCallback
from playground.core.edits import apply_fix, insert_edit, make_fix, set_edit
from playground.core.examples import example_path
from playground.core.params import UserError
from playground.core.probes import ActivationStats, WeightStats
from playground.core.project import Project, load_project, parse_project
from playground.core.training import Report, Trainer
from tests.core.test_recurrent_runs import memory


def mlp(dataset: dict[str, Any], layers: list[dict[str, Any]], training: dict[str, Any],
        loss: str = "cross_entropy") -> Project:
    """Input -> Dense layers -> Output, as a project."""
    nodes = ([{"id": "in", "type": "Input"}] + [{"id": f"h{i + 1}", "type": "Dense", "params": p}
                                                for i, p in enumerate(layers)]
             + [{"id": "out", "type": "Output", "params": {"loss": loss}}])
    ids = [n["id"] for n in nodes]
    return parse_project({"format": "nn-playground/1", "name": "crafted", "dataset": dataset,
                          "graph": {"nodes": nodes, "edges": [[a, b] for a, b in zip(ids, ids[1:])]},
                          "training": training})


def example(name: str, epochs: int) -> Project:
    project = load_project(example_path(name))
    project.training["epochs"] = epochs
    return project


def advise(project: Project) -> dict[str, Finding]:
    """Train ``project`` headless with an advisor measuring at every epoch end (no timing involved)."""
    callback = AdvisingCallback(Advisor(project), budget=0)
    Trainer(project, callbacks=[callback], probes=False, report_interval=None).fit()
    return {f.rule: f for f in callback.findings()}


def warnings_of(findings: dict[str, Finding]) -> list[str]:
    return [f.rule for f in findings.values() if f.severity == "warning"]


SPIRAL = {"name": "spiral", "samples": 300}


# --------------------------------------------------------------------------- the shipped examples

def test_vanishing_fires_on_the_sigmoid_stack_and_its_fix_makes_it_learn() -> None:
    project = example("vanishing_sigmoid_digits", 10)
    found = advise(project)
    vanishing = found["vanishing_gradients"]
    assert vanishing.severity == "warning"
    assert {"h1", "h2", "h3"} <= set(vanishing.nodes), "the first layers are named"
    assert "underfitting" not in found, "the vanishing finding explains the stall"
    fixed = apply_fix(project, vanishing.fix)
    assert {fixed.graph.nodes[f"h{i}"].params["activation"] for i in range(1, 11)} == {"relu"}
    assert project.graph.nodes["h1"].params["activation"] == "sigmoid", "the original is left alone"
    callback = AdvisingCallback(Advisor(fixed), budget=0)
    result = Trainer(fixed, callbacks=[callback], probes=False, report_interval=None).fit()
    assert result.report.train_acc > 0.5, "with ReLU + He the same network learns"
    assert "vanishing_gradients" not in {f.rule for f in callback.findings()}


@pytest.mark.parametrize(("name", "epochs"), [("relu_he_digits", 30), ("spiral", 60), ("lr_right", 60),
                                               ("init_he", 40), ("batchnorm_sigmoid_digits", 15),
                                               ("early_stopping", 300), ("lenet_digits", 6),
                                               # fits its curve with Adam's spikes on top; its noisy
                                               # validation loss once read as a rise from a lucky epoch
                                               ("curve_deep_narrow", 300)])
def test_healthy_examples_give_no_warning(name: str, epochs: int) -> None:
    assert warnings_of(advise(example(name, epochs))) == []


@pytest.mark.parametrize(("name", "epochs", "rule"), [
    ("overfitting", 120, "overfitting"),
    ("lr_too_small", 60, "lr_too_small"),
    ("lr_too_large", 60, "lr_too_large"),
    ("xor_no_hidden", 60, "no_hidden_layer"),
    ("init_small_normal", 40, "vanishing_gradients"),
    ("init_zeros", 40, "symmetric_weights"),
    ("exploding_gradients", 30, "diverged"),
])
def test_the_lesson_examples_get_the_finding_their_note_describes(name: str, epochs: int, rule: str) -> None:
    project = example(name, epochs)
    found = advise(project)
    assert warnings_of(found) == [rule]
    fixed = apply_fix(project, found[rule].fix)  # every offered fix applies to the project it was offered for
    assert fixed.to_dict() != project.to_dict()
    if rule in ("lr_too_large", "lr_too_small"):
        assert fixed.training["lr"] == pytest.approx(project.training["lr"] * (1 / 3 if rule == "lr_too_large" else 10),
                                                     rel=1e-2)


def test_zero_initialisation_is_named_and_random_initialisation_lets_it_learn() -> None:
    project = example("init_zeros", 40)
    fix = advise(project)["symmetric_weights"].fix
    fixed = apply_fix(project, fix)
    assert all(fixed.graph.nodes[n].params["init"] != "zeros" for n in ("h1", "h2", "h3"))
    assert Trainer(fixed, probes=False, report_interval=None).fit().report.train_acc > 0.9


# --------------------------------------------------------------------------- crafted runs

def test_overfitting_fires_on_a_small_training_set_and_offers_early_stopping() -> None:
    project = mlp({"name": "spiral", "samples": 100, "noise": 0.25, "seed": 3}, [{"units": 64}, {"units": 64}],
                  {"optimizer": "adam", "lr": 0.01, "batch_size": 8, "epochs": 200})
    found = advise(project)
    assert found["overfitting"].severity == "warning"
    fixed = apply_fix(project, found["overfitting"].fix)
    assert fixed.train_config().early_stopping["patience"] == 10


def test_no_hidden_layer_on_xor_and_the_inserted_layer_solves_it() -> None:
    project = mlp({"name": "xor", "samples": 300}, [], {"optimizer": "adam", "lr": 0.05, "batch_size": 16,
                                                       "epochs": 40})
    found = advise(project)
    assert found["no_hidden_layer"].severity == "warning"
    fixed = apply_fix(project, found["no_hidden_layer"].fix)
    (new,) = set(fixed.graph.nodes) - set(project.graph.nodes)
    assert fixed.graph.edges == [("in", new), (new, "out")]
    callback = AdvisingCallback(Advisor(fixed), budget=0)
    result = Trainer(fixed, callbacks=[callback], probes=False, report_interval=None).fit()
    assert result.report.train_acc > 0.9
    assert warnings_of({f.rule: f for f in callback.findings()}) == []


def test_a_linear_model_on_a_linear_problem_is_left_alone() -> None:
    assert advise(mlp({"name": "gaussian", "samples": 300}, [], {"optimizer": "adam", "lr": 0.05,
                                                                  "batch_size": 16, "epochs": 40})) == {}


def test_a_tiny_learning_rate_is_named_and_raised_tenfold() -> None:
    project = mlp(SPIRAL, [{"units": 16}, {"units": 16}], {"optimizer": "sgd", "lr": 0.0003, "batch_size": 16,
                                                           "epochs": 40})
    found = advise(project)
    assert list(found) == ["lr_too_small"], "not underfitting: the loss is still falling"
    assert apply_fix(project, found["lr_too_small"].fix).training["lr"] == pytest.approx(0.003)


def test_a_huge_learning_rate_kills_relu_units() -> None:
    project = mlp(SPIRAL, [{"units": 16}, {"units": 16}], {"optimizer": "sgd", "lr": 3, "batch_size": 16,
                                                           "epochs": 40})
    found = advise(project)
    assert list(found) == ["dead_units"]
    fixed = apply_fix(project, found["dead_units"].fix)
    assert {fixed.graph.nodes[n].params["activation"] for n in found["dead_units"].nodes} == {"leaky_relu"}
    assert "vanishing_gradients" not in found, "zero gradients behind dead units are not 'vanishing'"


def test_saturated_tanh_units_that_slow_learning_get_batch_norm() -> None:
    big = {"units": 16, "activation": "tanh", "init": "normal", "init_std": 10}
    project = mlp(SPIRAL, [big, big], {"optimizer": "sgd", "lr": 0.01, "batch_size": 16, "epochs": 40})
    found = advise(project)
    assert found["saturated_units"].severity == "warning"
    assert set(found["saturated_units"].nodes) == {"h1", "h2"}
    fixed = apply_fix(project, found["saturated_units"].fix)
    assert all(fixed.graph.nodes[n].params["batchnorm"] for n in ("h1", "h2"))


def test_a_two_unit_network_underfits_the_spiral() -> None:
    project = mlp(SPIRAL, [{"units": 2}], {"optimizer": "adam", "lr": 0.02, "batch_size": 16, "epochs": 60})
    found = advise(project)
    assert found["underfitting"].severity == "warning"
    assert apply_fix(project, found["underfitting"].fix).graph.nodes["h1"].params["units"] == 4


def test_divergence_is_named_with_a_lower_rate_and_clipping() -> None:
    tanh = {"units": 16, "activation": "tanh"}
    project = mlp({"name": "plane", "samples": 300}, [tanh, tanh], {"optimizer": "sgd", "lr": 10,
                                                                     "batch_size": 16, "epochs": 10}, loss="mse")
    found = advise(project)
    assert list(found) == ["diverged"]
    fixed = apply_fix(project, found["diverged"].fix)
    assert fixed.training["lr"] == 1.0
    assert fixed.train_config().grad_clip == {"mode": "norm", "max": 1.0}


# --------------------------------------------------------------------------- synthetic report streams

def report(step: int, loss: float, grads: dict[str, float], *, weights: dict[str, float] | None = None,
           acc: float = 0.6, epoch_end: bool = True) -> Report:
    stats = ({n: WeightStats(0.0, std, 3 * std, None) for n, std in weights.items()}  # type: ignore[arg-type]
             if weights is not None else None)
    return Report(step=step, epoch=step, total_epochs=40, time=step * 0.1, lr=0.01, train_loss=loss, train_acc=acc,
                  val_loss=loss, val_acc=acc, grad_norm=grads, activations=None, weights=stats, epoch_end=epoch_end)


def spiral_advisor() -> Advisor:
    return Advisor(example("spiral", 40))


def test_a_falling_gradient_profile_alone_is_not_vanishing() -> None:
    """The newcomer's spiral: both tanh layers 1000x below the output, and learning well."""
    healthy, sick = spiral_advisor(), spiral_advisor()
    for i in range(20):
        grads = {"h1": 1e-4, "h2": 1e-3, "out": 0.3}
        healthy.feed(report(i, 0.7 * 0.95**i, grads, weights={"h1": 0.5 + 0.01 * i, "h2": 0.5 + 0.01 * i,
                                                               "out": 0.5 + 0.01 * i}))
        sick.feed(report(i, 0.69, grads))
    assert healthy.findings() == []
    (finding,) = sick.findings()
    assert (finding.rule, finding.nodes) == ("vanishing_gradients", ("h1", "h2"))


def test_layers_that_barely_change_are_vanishing_even_while_the_loss_falls() -> None:
    advisor = spiral_advisor()
    for i in range(20):
        advisor.feed(report(i, 0.7 * 0.95**i, {"h1": 1e-4, "h2": 0.1, "out": 0.3},
                            weights={"h1": 0.5, "h2": 0.5 + 0.01 * i, "out": 0.5 + 0.01 * i}))
    (finding,) = advisor.findings()
    assert (finding.rule, finding.nodes) == ("vanishing_gradients", ("h1",))


def test_gradients_growing_out_of_proportion_are_exploding_and_stay_reported() -> None:
    advisor = spiral_advisor()
    for i in range(12):
        advisor.feed(report(i, 0.69 + 0.01 * (i % 2), {"h1": 0.1 * 3**i, "h2": 0.1, "out": 0.3}))
    (finding,) = advisor.findings()
    assert (finding.rule, finding.nodes) == ("exploding_gradients", ("h1",))
    assert apply_fix(example("spiral", 40), finding.fix).train_config().grad_clip["mode"] == "norm"
    for i in range(12, 30):
        advisor.feed(report(i, 0.1, {"h1": 0.1, "h2": 0.1, "out": 0.3}, acc=0.97))
    assert [f.rule for f in advisor.findings()] == ["exploding_gradients"], "an explosion is not forgotten"


def test_findings_come_and_go_with_their_evidence() -> None:
    advisor = spiral_advisor()
    for i in range(10):
        advisor.feed(report(i, 0.69, {"h1": 1e-4, "h2": 1e-3, "out": 0.3}))
    first_step = advisor.findings()[0].step
    for i in range(10, 14):
        advisor.feed(report(i, 0.69, {"h1": 1e-4, "h2": 1e-3, "out": 0.3}))
    assert advisor.findings()[0].step == first_step, "a finding keeps the step it was first seen at"
    for i in range(14, 60):
        advisor.feed(report(i, 0.69 * 0.9 ** (i - 13), {"h1": 0.1, "h2": 0.1, "out": 0.3}))
    assert advisor.findings() == []


def test_a_nan_loss_is_reported_at_once_not_at_the_epoch_end() -> None:
    advisor = spiral_advisor()
    assert advisor.feed(report(5, math.nan, {"h1": math.inf, "h2": 1.0, "out": 1.0}, epoch_end=False))
    (finding,) = advisor.findings()
    assert (finding.rule, finding.step, finding.nodes) == ("diverged", 5, ("h1",))


def test_memory_stays_bounded_on_a_long_run() -> None:
    advisor = spiral_advisor()
    for i in range(5000):
        advisor.feed(report(i, 0.5, {"h1": 0.1, "h2": 0.1, "out": 0.3}, weights={"h1": 0.5}))
    ev = advisor.evidence
    assert max(len(ev.epochs), len(ev.gradients), len(ev.weights)) <= 100


# --------------------------------------------------------------------------- the registry and the files

def test_rules_are_the_documented_names() -> None:
    assert set(RULES) == {"vanishing_gradients", "exploding_gradients", "diverged", "dead_units", "saturated_units",
                          "overfitting", "underfitting", "lr_too_small", "lr_too_large", "no_hidden_layer",
                          "symmetric_weights", "vanishing_through_time"}
    assert all(rule.title and rule.watches and rule.severity in ("info", "warning") for rule in RULES.values())


def test_advice_json_is_the_documented_list(tmp_path: Any) -> None:
    finding = Finding("overfitting", "warning", 120, ("h1",), "a message",
                      make_fix("Stop early", [set_edit("training.early_stopping", {"patience": 10})]))
    save_advice(tmp_path / "advice.json", [finding])
    (entry,) = json.loads((tmp_path / "advice.json").read_text())
    assert entry == {"rule": "overfitting", "severity": "warning", "step": 120, "nodes": ["h1"],
                     "message": "a message", "fix": finding.fix}
    assert finding.line() == "advice: overfitting: a message"


# --------------------------------------------------------------------------- applying fixes

def test_a_bad_edit_names_what_is_wrong_and_changes_nothing() -> None:
    project = example("spiral", 40)
    with pytest.raises(UserError, match="no node 'h9'"):
        apply_fix(project, make_fix("x", [set_edit("graph.h9.units", 4)]))
    with pytest.raises(UserError, match="not a setting"):
        apply_fix(project, make_fix("x", [set_edit("lr", 4)]))
    with pytest.raises(UserError, match="units"):
        apply_fix(project, make_fix("x", [set_edit("graph.h1.units", -3)]))
    with pytest.raises(UserError, match="existing edge"):
        apply_fix(project, make_fix("x", [insert_edit("h3", "Dense", {}, "in", "out")]))
    assert project.graph.nodes["h1"].params["units"] == 8


def test_a_null_value_puts_the_default_back() -> None:
    project = example("spiral", 40)
    fixed = apply_fix(project, make_fix("x", [set_edit("graph.h2.dropout", None), set_edit("training.seed", None)]))
    assert "dropout" not in fixed.graph.nodes["h2"].params
    assert "seed" not in fixed.training


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_learning_rate_edit_applies_only_when_valid(lr: float) -> None:
    project = example("spiral", 40)
    fix = make_fix("x", [set_edit("training.lr", lr)])
    if 0 < lr <= 10:
        assert apply_fix(project, fix).train_config().lr == lr
    else:
        with pytest.raises(UserError, match="lr"):
            apply_fix(project, fix)


# --------------------------------------------------------------------------- robustness

FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(0, 10), st.just(0.0))
MAYBE = st.one_of(st.none(), FLOATS)
NODES = ("h1", "h2", "out")


@st.composite
def any_report(draw: st.DrawFn, step: int) -> Report:
    probes = draw(st.booleans())
    activations = ({n: ActivationStats(draw(FLOATS), draw(FLOATS), draw(MAYBE), draw(MAYBE), None)  # type: ignore[arg-type]
                    for n in NODES} if probes else None)
    weights = {n: WeightStats(draw(FLOATS), draw(FLOATS), draw(FLOATS), None) for n in NODES} if probes else None  # type: ignore[arg-type]
    grads = {n: draw(FLOATS) for n in draw(st.lists(st.sampled_from(NODES), unique=True))}
    return Report(step=step, epoch=step // 3, total_epochs=draw(st.integers(0, 50)), time=0.0, lr=draw(FLOATS),
                  train_loss=draw(MAYBE), train_acc=draw(MAYBE), val_loss=draw(MAYBE), val_acc=draw(MAYBE),
                  grad_norm=grads, activations=activations, weights=weights, epoch_end=draw(st.booleans()))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_any_report_stream_gives_well_formed_findings_and_never_raises(data: st.DataObject) -> None:
    """The advisor runs inside the training loop: whatever the reports hold (NaN, infinities,
    missing values, nodes coming and going), it must not raise, and its findings must be JSON."""
    advisor = Advisor(example("spiral", 40))
    for step in range(data.draw(st.integers(0, 24))):
        advisor.feed(data.draw(any_report(step)))
    advisor.finish(data.draw(st.one_of(st.none(), st.just("training diverged at step 3: the loss became NaN. x"))))
    for finding in advisor.findings():
        assert finding.rule in RULES
        assert json.loads(json.dumps(finding.to_json(), allow_nan=False))["message"]


def test_a_rising_validation_loss_is_not_overfitting_while_new_examples_fare_better() -> None:
    """The dropout example: training accuracy (measured with dropout on) stays below validation
    accuracy while the noisy validation loss drifts up from its best: not the lecture's
    overfitting, whose mark is the training examples fitted better than new ones."""
    def stream(train_acc: float) -> list[str]:
        advisor = spiral_advisor()
        for i in range(30):
            train = 0.6 * 0.95**i
            val = 0.3 if i < 10 else 0.3 + 0.02 * (i - 10)
            advisor.feed(Report(step=i, epoch=i, total_epochs=40, time=i * 0.1, lr=0.01, train_loss=train,
                                train_acc=train_acc, val_loss=val, val_acc=0.95, grad_norm={"h1": 0.1, "h2": 0.1,
                                                                                             "out": 0.3},
                                activations=None, weights=None, epoch_end=True))
        return [f.rule for f in advisor.findings()]

    assert "overfitting" in stream(train_acc=0.99)
    assert "overfitting" not in stream(train_acc=0.92)


def test_a_type_edit_turns_a_layer_into_another_keeping_its_place_and_shared_settings() -> None:
    project = example("spiral", 1)
    hidden = next(n for n in project.graph.nodes.values() if n.type == "Dense")
    edges = sorted(project.graph.edges)
    changed = apply_fix(project, make_fix("Maxout", [set_edit(f"graph.{hidden.id}.type", "Maxout")]))
    node = changed.graph.nodes[hidden.id]
    assert node.type == "Maxout"
    assert node.params.get("units") == hidden.params.get("units")
    assert "activation" not in node.params
    assert sorted(changed.graph.edges) == edges
    assert project.graph.nodes[hidden.id].type == "Dense"
    with pytest.raises(UserError, match="cannot become 'Output'"):
        apply_fix(project, make_fix("bad", [set_edit(f"graph.{hidden.id}.type", "Output")]))


# --------------------------------------------------------------------------- through time

def memory_stream(fade: float, acc: float, epochs: int = 12) -> list[Report]:
    """Epoch reports of a recurrent run on memory whose first step gets ``fade`` of the last
    step's gradient, at training accuracy ``acc``."""
    return [dataclasses.replace(report(e, 2.0 - 0.001 * e, {"rec": 0.1, "out": 0.2}, acc=acc),
                                time_grad={"rec": [fade * 0.05, *([0.01] * 38), 0.05]})
            for e in range(1, epochs + 1)]


def test_a_plain_rnn_whose_gradient_fades_through_time_and_does_not_learn_is_told_to_use_an_lstm() -> None:
    project = memory("RNN", seq_len=40)
    advisor = Advisor(project)
    advisor.feed_all(memory_stream(1e-4, 0.2))
    advisor.finish()
    (finding,) = [f for f in advisor.findings() if f.severity == "warning"]
    assert finding.rule == "vanishing_through_time"
    assert finding.nodes == ("rec",)
    assert "1e-04 of the last step's" in finding.message
    fixed = apply_fix(project, finding.fix)
    assert fixed.graph.nodes["rec"].type == "LSTM"
    assert fixed.graph.nodes["rec"].params["return_sequences"] is False


@pytest.mark.parametrize(("kind", "fade", "acc"), [
    ("RNN", 1e-4, 0.97),  # fades, but it learns: no consequence
    ("LSTM", 0.1, 0.3),  # learns slowly, but its gradient holds
])
def test_a_fade_without_its_consequence_or_a_held_gradient_is_not_vanishing_through_time(
        kind: str, fade: float, acc: float) -> None:
    advisor = Advisor(memory(kind, seq_len=40))
    advisor.feed_all(memory_stream(fade, acc))
    advisor.finish()
    assert "vanishing_through_time" not in {f.rule for f in advisor.findings()}


def test_an_lstm_that_fades_gets_the_explanation_without_a_fix() -> None:
    advisor = Advisor(memory("LSTM", seq_len=40))
    advisor.feed_all(memory_stream(1e-5, 0.15))
    advisor.finish()
    finding = next(f for f in advisor.findings() if f.rule == "vanishing_through_time")
    assert finding.fix is None


def test_a_recurrent_layers_saturated_tanh_is_not_sent_to_batch_norm() -> None:
    saturated = {"rec": ActivationStats(0.0, 0.9, 0.8, None, None)}  # type: ignore[arg-type]
    stream = [dataclasses.replace(r, activations=saturated) for r in memory_stream(0.5, 0.97)]
    advisor = Advisor(memory("RNN", seq_len=40))
    advisor.feed_all(stream)
    advisor.finish()
    assert "saturated_units" not in {f.rule for f in advisor.findings()}
