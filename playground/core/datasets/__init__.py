"""Built-in datasets and file importers behind one registry (see ``base``).

Importing this package registers every entry: the family modules register themselves on
import, so adding a family is adding a module and one import line here.
"""

from playground.core.datasets import curves, downloads, files, images, sequences, toys  # noqa: F401  (register entries)
from playground.core.datasets.base import (
    REGISTRY,
    DataError,
    Dataset,
    DatasetEntry,
    DatasetMeta,
    LoadContext,
    Split,
    build_dataset,
    dataset_meta,
    load_dataset,
    normalisation_stats,
    register,
    resolve_dataset_spec,
    resources_dir,
    split_indices,
)

__all__ = [
    "REGISTRY",
    "DataError",
    "Dataset",
    "DatasetEntry",
    "DatasetMeta",
    "LoadContext",
    "Split",
    "build_dataset",
    "dataset_meta",
    "load_dataset",
    "normalisation_stats",
    "register",
    "resolve_dataset_spec",
    "resources_dir",
    "split_indices",
]
