"""Comparing runs: --vary values parse as promised, every combination (x seeds) is planned and
checked before anything trains, and the summary holds one row per variant, divergence and
Stop included."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.core.compare import (
    CompareListener,
    Comparison,
    Variant,
    parse_vary,
    plan_variants,
    show_setting,
    split_values,
    summary_table,
)
from playground.core.params import UserError
from playground.core.project import load_project
from playground.core.run_dir import read_metrics
from playground.core.training import Trainer
from tests.core.test_training import PLANE, XOR, project_of

TINY = project_of([{"units": 8, "activation": "tanh"}, {"units": 4, "activation": "tanh"}], XOR, epochs=1, seed=5)


def read_summary(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open(newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- parsing

words = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda w: w not in ("true", "false", "null"))
scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                    st.none(), words)
values = st.one_of(scalars, st.dictionaries(words, scalars, max_size=3), st.lists(scalars, max_size=3))


@given(st.lists(values, min_size=1, max_size=5))
def test_values_written_as_the_summary_writes_them_read_back_the_same(items: list[Any]) -> None:
    vary = parse_vary("training.x=" + ",".join(show_setting(v) for v in items))
    assert vary.path == "training.x"
    assert list(vary.values) == items


def test_json_values_keep_their_commas_and_bare_words_are_text() -> None:
    vary = parse_vary('training.grad_clip=null,{"mode": "norm", "max": 1}, relu ,0.1,true,"a,b"')
    assert vary.values == (None, {"mode": "norm", "max": 1}, "relu", 0.1, True, "a,b")
    assert split_values("[1,2],{}") == ["[1,2]", "{}"]


@pytest.mark.parametrize("text", ["training.lr", "=0.1", "training.lr=", "training.lr=0.1,,0.2"])
def test_a_vary_that_is_not_path_equals_values_is_refused(text: str) -> None:
    with pytest.raises(UserError, match=r"--vary"):
        parse_vary(text)


# --------------------------------------------------------------------------- planning

def test_every_combination_is_planned_with_readable_folder_names() -> None:
    variants = plan_variants(TINY, [parse_vary("graph.*.activation=relu,sigmoid"),
                                    parse_vary("training.lr=0.1,0.01,0.001")])
    assert [v.name for v in variants][:4] == ["01-activation=relu-lr=0.1", "02-activation=relu-lr=0.01",
                                              "03-activation=relu-lr=0.001", "04-activation=sigmoid-lr=0.1"]
    assert len(variants) == 6
    last = variants[-1].project
    assert last.training["lr"] == 0.001
    # every node that has the parameter, and only those
    assert {n.id: n.params.get("activation") for n in last.graph.nodes.values()} == {
        "in": None, "h1": "sigmoid", "h2": "sigmoid", "out": None}
    assert TINY.graph.nodes["h1"].params["activation"] == "tanh"  # the project itself is untouched


def test_seeds_count_up_from_the_projects_seed_and_epochs_override_every_variant() -> None:
    variants = plan_variants(TINY, [parse_vary("graph.h1.units=2,3")], seeds=3, epochs=7)
    assert [v.settings for v in variants[:3]] == [(("graph.h1.units", 2), ("training.seed", s)) for s in (5, 6, 7)]
    assert variants[0].name == "01-h1.units=2-seed=5"
    assert variants[0].label == "h1.units=2, seed=5"
    assert all(v.project.training["epochs"] == 7 for v in variants)
    assert [v.project.training["seed"] for v in variants] == [5, 6, 7, 5, 6, 7]


def test_a_layers_kind_varies_by_its_type() -> None:
    variants = plan_variants(TINY, [parse_vary("graph.h1.type=Dense,Maxout")])
    assert [v.project.graph.nodes["h1"].type for v in variants] == ["Dense", "Maxout"]
    assert variants[1].name == "02-h1.type=Maxout"
    assert TINY.graph.nodes["h1"].type == "Dense"


@pytest.mark.parametrize(("vary", "message"), [
    ("graph.h1.type=Dense,Concat", r"--vary graph\.h1\.type=Concat: "),
    ("graph.*.type=Maxout", r"--vary graph\.\*\.type: name the node whose type varies"),
    ("graph.h9.units=3", r"--vary graph\.h9\.units: the network has no node 'h9' \(its nodes: in, h1, h2, out\)"),
    ("graph.*.kernel=3", r"--vary graph\.\*\.kernel: no node of this network has a parameter 'kernel'"),
    ("graph.h1=3", r"--vary graph\.h1: a graph PATH is graph\.NODE_ID\.PARAM"),
    ("model.lr=3", r"--vary model\.lr: PATH must be training\.FIELD"),
    ("training.lr=0.1,-1", r"--vary training\.lr=-1: training: lr must be a number above 0"),
    ("training.optimiser=adam", r"--vary training\.optimiser=adam: training: unknown parameter 'optimiser'"),
    ("graph.*.activation=relu,rleu", r"--vary graph\.\*\.activation=rleu: Dense 'h1': activation must be one of"),
    ("dataset.noise=lots", r"--vary dataset\.noise=lots: dataset 'xor': noise must be a number"),
])
def test_a_bad_path_or_value_names_both_before_anything_trains(vary: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        plan_variants(TINY, [parse_vary(vary)])


def test_values_that_only_clash_together_are_named_together() -> None:
    with pytest.raises(UserError, match=r"--vary graph\.h1\.batchnorm=true with training\.batch_size=1: .*batch "
                                        r"size of 2 or more"):
        plan_variants(TINY, [parse_vary("graph.h1.batchnorm=false,true"), parse_vary("training.batch_size=10,1")])


@pytest.mark.parametrize(("varies", "seeds", "message"), [
    ([], None, "nothing to compare"),
    (["training.seed=1,2"], 2, "--vary training.seed and --seeds both set the seed"),
    (["training.lr=0.1", "training.lr=0.2"], None, "--vary training.lr: given twice"),
    (["training.lr=" + ",".join(["0.1"] * 40), "graph.h1.units=" + ",".join(["2"] * 40)], None, "too many"),
])
def test_plans_that_make_no_sense_are_refused(varies: list[str], seeds: int | None, message: str) -> None:
    with pytest.raises(UserError, match=message):
        plan_variants(TINY, [parse_vary(v) for v in varies], seeds=seeds)


# --------------------------------------------------------------------------- running

def test_each_variant_trains_into_its_own_run_folder_and_the_summary_has_its_numbers(tmp_path: Path) -> None:
    variants = plan_variants(TINY, [parse_vary("training.lr=0.1,0.01")], seeds=2)
    out = tmp_path / "cmp"
    results = Comparison(variants, out, trainer_options={"device": "cpu", "probes": False}).run()
    with (out / "summary.csv").open(newline="") as f:
        header = next(csv.reader(f))
    assert header == ["training.lr", "training.seed", "final_train_loss", "final_val_loss", "final_train_acc",
                      "final_val_acc", "test_loss", "test_acc", "epochs", "seconds"]
    rows = read_summary(out)
    assert [(r["training.lr"], r["training.seed"]) for r in rows] == [("0.1", "5"), ("0.1", "6"), ("0.01", "5"),
                                                                       ("0.01", "6")]
    assert sorted(p.name for p in out.iterdir()) == ["01-lr=0.1-seed=5", "02-lr=0.1-seed=6", "03-lr=0.01-seed=5",
                                                     "04-lr=0.01-seed=6", "summary.csv"]
    for row, result in zip(rows, results):
        assert result.status == "finished"
        saved = load_project(result.run_dir / "project.json")
        assert (saved.training["lr"], saved.training["seed"]) == (float(row["training.lr"]),
                                                                  int(row["training.seed"]))
        last = read_metrics(result.run_dir)[-1]
        for column, key in (("final_train_loss", "train_loss"), ("final_val_loss", "val_loss"),
                            ("final_train_acc", "train_acc"), ("final_val_acc", "val_acc"),
                            ("test_loss", "test_loss"), ("test_acc", "test_acc")):
            assert float(row[column]) == pytest.approx(last[key]), column
        assert 0 <= float(row["test_acc"]) <= 1
        assert row["epochs"] == "1"
        assert float(row["seconds"]) >= 0
    # two seeds of one setting are two different runs
    assert rows[0]["final_train_loss"] != rows[1]["final_train_loss"]


def test_a_diverging_variant_gets_its_row_with_empty_cells_and_its_status(tmp_path: Path) -> None:
    project = project_of([{"units": 32, "activation": "relu"}] * 3, PLANE, {"loss": "mse"}, optimizer="sgd",
                         epochs=2)
    out = tmp_path / "cmp"
    results = Comparison(plan_variants(project, [parse_vary("training.lr=0.01,10")]), out,
                         trainer_options={"device": "cpu", "probes": False}).run()
    assert [r.status for r in results] == ["finished", "diverged"]
    rows = read_summary(out)
    assert float(rows[0]["final_train_loss"]) > 0
    assert float(rows[0]["test_loss"]) > 0
    assert rows[0]["final_train_acc"] == rows[0]["test_acc"] == ""  # regression has no accuracy
    assert rows[1]["training.lr"] == "10"
    assert rows[1]["final_train_loss"] == rows[1]["test_loss"] == ""
    table = summary_table(results).splitlines()
    assert table[0].split()[-1] == "status"
    assert table[1].split()[-1] == "finished"
    assert table[2].split()[-1] == "diverged"


class _StopAtStart(CompareListener):
    def __init__(self, comparison: Comparison) -> None:
        self.comparison = comparison
        self.started: list[str] = []

    def on_variant_start(self, variant: Variant, trainer: Trainer) -> None:
        self.started.append(variant.name)
        self.comparison.stop()


def test_stop_ends_the_current_variant_starts_no_other_and_keeps_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    comparison = Comparison(plan_variants(TINY, [parse_vary("training.lr=0.1,0.01,0.001")]), out,
                            trainer_options={"device": "cpu", "probes": False})
    listener = _StopAtStart(comparison)
    results = comparison.run(listener)
    assert listener.started == ["01-lr=0.1"]
    assert [r.status for r in results] == ["stopped"]
    assert [r["training.lr"] for r in read_summary(out)] == ["0.1"]
    assert json.loads((out / "01-lr=0.1" / "project.json").read_text())["training"]["lr"] == 0.1


def test_an_output_folder_with_something_in_it_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="already exists and is not an empty folder"):
        Comparison(plan_variants(TINY, [parse_vary("training.lr=0.1")]), tmp_path).run()
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
