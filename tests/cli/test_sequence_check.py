"""``playground check`` on a character model: token ids in, a prediction at every position out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground.cli import main


def test_check_prints_token_ids_and_sequences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nodes = [{"id": "in", "type": "Input"}, {"id": "emb", "type": "Embedding", "params": {"dim": 16}},
             {"id": "lstm", "type": "LSTM", "params": {"units": 64}}, {"id": "out", "type": "Output"}]
    path = tmp_path / "memory.json"
    path.write_text(json.dumps({
        "format": "nn-playground/1", "name": "recall", "dataset": {"name": "memory", "seq_len": 12, "vocab": 5},
        "graph": {"nodes": nodes, "edges": [["in", "emb"], ["emb", "lstm"], ["lstm", "out"]]}, "training": {}}))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("recall: dataset 'memory', input 12 token ids, 5 classes\n")
    rows = [line.split(maxsplit=2)[2].rsplit(maxsplit=1)[0].strip() for line in out.out.splitlines()[2:6]]
    assert rows == ["12 ids", "12×16", "12×64", "?"]
    assert "turn return_sequences off for 'lstm'" in out.out + out.err
