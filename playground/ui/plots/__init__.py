"""The live views of a training run: one pyqtgraph widget per view, ready to put in a dock.

Every view is a ``PlotView`` (``base.py``): a QWidget fed plain data by method calls on the
GUI thread. It never touches a thread or the live model; feeding only stores data and the
drawing is throttled and skipped while the view is hidden. Every view has ``clear()`` (forget
the current run), ``reset()`` (also forget kept previous runs), ``flush()`` (draw now),
``export_picture(path)`` (.png/.svg), ``export_data(path)`` (.csv) and the same "Export"
button, and follows the application palette (light/dark).

The training workspace drives every view through one protocol (``live.py``: the project, the
start of a run, reports, pictures computed on the training thread) and makes its dock from
the registry (``registry.py``): adding a view is writing it and adding it there.

Modules: ``loss``, ``gradients`` (+ Qt-free ``gradient_flags``), ``activations``, ``filters``,
``saliency``, ``boundary``, ``confusion``; shared ``base``, ``tool_row`` (title, controls that
wrap, export button), ``live``, ``registry``, ``export``, ``style``, ``ranges`` and
``colour_scale`` (the log gradient-norm colours and legend the editor uses to tint the
graph). Nothing is imported here, so ``gradient_flags`` stays importable without Qt.
"""
