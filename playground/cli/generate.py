"""``playground generate RUN_DIR [--prompt TEXT] [--length N] [--temperature T] [--seed S]``.

Prints text sampled, one character at a time, from a network trained on the ``text`` dataset:
the classic demonstration of a character-level recurrent network. The run folder gives the
project and its trained weights; the vocabulary is the dataset's, read again from the same
corpus or file, and checked against the network's output size so that a text file edited
since training is named rather than decoded into the wrong characters.
"""

from __future__ import annotations

import argparse
import math

from playground.core.build import build_model
from playground.core.datasets import dataset_meta
from playground.core.examples import resolve_project_arg
from playground.core.export import load_run
from playground.core.export.weights import state_problems, summarise
from playground.core.params import UserError
from playground.core.sequence_probe import sample_text

#: The longest text one call prints: sampling is a forward pass per character.
MAX_LENGTH = 100_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR",
                        help="a run folder written by 'playground train' from a project on the text dataset")
    parser.add_argument("--prompt", default="", help="text to start from (default: none)")
    parser.add_argument("--length", type=int, default=400, help="characters to generate (default 400)")
    parser.add_argument("--temperature", type=float, default=0.8,
                        help="below 1 picks likelier characters, above 1 more surprising ones (default 0.8)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same text (default 0)")


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.length <= MAX_LENGTH:
        raise UserError(f"--length must be between 1 and {MAX_LENGTH:,}, got {args.length}")
    if not (math.isfinite(args.temperature) and args.temperature > 0):
        raise UserError(f"--temperature must be a positive number, got {args.temperature}")
    project, weights = load_run(resolve_project_arg(args.run_dir))
    meta = dataset_meta(project.dataset, project.load_context())  # the alphabet, without loading the windows
    if not (meta.is_tokens and meta.per_step_targets):
        raise UserError(f"{args.run_dir}: was trained on '{project.dataset.get('name')}', not on text: "
                        "generate needs a run of the text dataset, whose network predicts the next character")
    model = build_model(project.graph, meta)  # token ids are not normalised: no statistics needed
    problems = state_problems(weights.tensors, model)
    if problems:
        raise UserError(f"{args.run_dir}: the weights do not fit the project's network ({summarise(problems)}); "
                        "was the text file changed since training?")
    model.load_state_dict(weights.tensors)
    model.eval()
    print(sample_text(model, meta.vocab, args.prompt, args.length, args.temperature, args.seed,
                      seq_len=meta.input_shape[0]))
    return 0
