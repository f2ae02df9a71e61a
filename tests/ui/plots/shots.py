"""Render every live view, populated with realistic data, in the light and the dark theme.

    QT_QPA_PLATFORM=offscreen python -m tests.ui.plots.shots [out_dir]   (default /tmp/plots_shots)

Looking at these pictures is part of reviewing a change to ``playground/ui/plots``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtWidgets import QApplication  # noqa: E402

from playground.ui.editor.palette import PaletteWidget  # noqa: E402
from playground.ui.plots.base import PlotView  # noqa: E402
from playground.ui.plots.colour_scale import ColourScaleLegend, LogColourScale  # noqa: E402
from playground.ui.theme import DARK, LIGHT, make_palette  # noqa: E402
from tests.ui.plots.populated import VIEWS  # noqa: E402
from tests.ui.plots.populated_sequences import text_view  # noqa: E402

SIZES = {"gradients": (620, 560), "activations": (620, 560), "saliency": (620, 600), "boundary": (560, 620),
         "gates": (620, 560)}
#: More sizes docks give the views: a small dock, a wide and low one, a narrow one.
EXTRA_SIZES = {"boundary": [(420, 380), (900, 300), (320, 480)], "gradients": [(420, 380)], "loss": [(360, 300)],
               "saliency": [(400, 520)], "activations": [(360, 400)], "time_grad": [(411, 318)], "gates": [(411, 318)],
               "text": [(411, 318)]}


def render(view: PlotView, size: tuple[int, int], path: Path) -> Path:
    """Show, draw, let auto-sized axes settle (they grow after a first paint), grab."""
    app = QApplication.instance()
    view.resize(*size)
    view.show()
    view.flush()
    app.processEvents()
    view.grab()
    app.processEvents()
    view.grab().save(str(path))
    return path


def main(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    written = []
    for theme, colors in (("light", LIGHT), ("dark", DARK)):
        app.setPalette(make_palette(colors))
        for name, make in {**VIEWS, "text": text_view}.items():
            for i, size in enumerate([SIZES.get(name, (560, 440)), *EXTRA_SIZES.get(name, [])]):
                view = make()
                stem = name if i == 0 else f"{name}_{size[0]}x{size[1]}"
                written.append(render(view, size, out / f"{stem}_{theme}.png"))
                view.close()
                view.deleteLater()
        view = VIEWS["boundary"]()
        view.show_reason("The decision boundary is the network's answer at every point of the input plane, so it "
                         "needs exactly two input features (x₁, x₂). This dataset has images of 1×8×8: the Filters "
                         "and Saliency views show what an image network looks at.")
        written.append(render(view, (560, 440), out / f"not_applicable_{theme}.png"))
        view.close()
        view.deleteLater()
        palette = PaletteWidget()
        palette.resize(220, 520)
        palette.show()
        app.processEvents()
        palette.grab().save(str(out / f"layers_palette_{theme}.png"))
        written.append(out / f"layers_palette_{theme}.png")
        palette.deleteLater()
        legend = ColourScaleLegend(LogColourScale(1e-7, 1e-1))
        legend.resize(320, legend.sizeHint().height())
        legend.show()
        app.processEvents()
        legend.grab().save(str(out / f"colour_legend_{theme}.png"))
        written.append(out / f"colour_legend_{theme}.png")
        legend.deleteLater()
    app.processEvents()
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/plots_shots")):
        print(path)
