"""The Qt-free heart of the playground: graph, layers, build, datasets, training, export.

Nothing under this package imports PySide6 or pyqtgraph (an import-linter contract checks
it), so the CLI, tests and scripts use exactly what the app uses.
"""
