"""The live views of a training run: one pyqtgraph widget per view, ready to put in a dock.

Every view is a ``PlotView`` (``base.py``): a QWidget fed plain data by method calls on the
GUI thread. It never touches torch or a thread; feeding only stores data and the drawing is
throttled to 30 Hz and skipped while the view is hidden. Every view has ``clear()`` (forget
the current run), ``reset()`` (also forget kept previous runs), ``flush()`` (draw now),
``export_picture(path)`` (.png/.svg), ``export_data(path)`` (.csv) and the same "Export"
button, and follows the application palette (light/dark).

Wiring them to a ``TrainingSession`` (``ui/training/worker.py``)::

    session.reports.connect(loss.add_reports)            # LossView
    session.reports.connect(gradients.add_reports)       # GradientView
    session.reports.connect(activations.add_reports)     # ActivationView
    on started(info: RunInfo):
        loss.set_steps_per_epoch(info.steps_per_epoch)
        gradients.set_node_order(info.node_order, labels)      # labels: node id -> display name
        activations.set_node_order(info.node_order, labels)
        boundary.set_points(*info.train, *info.test)            # 2-D datasets
        saliency.set_samples(info.samples[0], info.samples[1], None, info.meta.class_names)
    before a new run of the same project:
        loss.keep_as_previous("sigmoid"); gradients.keep_as_previous("sigmoid")
    gradients.flagsChanged -> editor badges ({node_id: "vanishing" | "exploding"})
    saliency.requested(indices, method, target) -> session.request(...) -> saliency.set_maps(...)
    periodic session.request(...) results -> filters.set_filters(filters, "conv" | "dense", label),
        boundary.set_grid(grid, kind), boundary.set_unit_grids(grids, labels),
        confusion.set_matrix(confusion_matrix(true, pred, k), class_names)

Modules: ``loss``, ``gradients`` (+ Qt-free ``gradient_flags``), ``activations``, ``filters``,
``saliency``, ``boundary``, ``confusion``; shared ``base``, ``export``, ``style`` and
``colour_scale`` (the log gradient-norm colours and legend the editor uses to tint the graph).
Nothing is imported here, so ``gradient_flags`` stays importable without Qt.
"""
