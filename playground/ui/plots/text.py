"""Text: what a character-level model writes, and how sure it is of a real line, live.

The classic recurrent demo: a network trained on ``text`` predicts the next character at every
position, so it can write by feeding its own draws back in. The view shows a sample written
from a prompt at a chosen temperature (low: the likeliest characters, repetitive; 1: as
predicted; high: wilder), regenerated from the live model a couple of times a second at most
and within the picture budget, and a validation line with each character shaded by the
probability the model gave it (hover for the number). Both are ordinary, copyable text.

The sample uses a fixed seed until "New sample": what changes from one sample to the next is
then the model, not the dice.
"""

from __future__ import annotations

import time
from functools import partial
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QPoint, Qt, Slot
from PySide6.QtGui import QColor, QHelpEvent, QTextCharFormat
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from playground.core.params import UserError
from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell, export_widget
from playground.ui.plots.live import PictureRequest, RunInfo, describe_input
from playground.ui.plots.style import PlotColors, faded
from playground.ui.plots.tool_row import labelled

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.sequence_probe import TextPicture
    from playground.core.training import TrainResult

#: Seconds between two samples at least, however cheap they are.
SAMPLE_INTERVAL = 0.5
#: The sample is a text run's main live picture: it may take 1/20 of the training thread, like a
#: 2-D run's boundary (a 200-character sample of a 128-unit LSTM costs about 0.1 s, so one
#: every 2 s, where the other pictures' 1/150 gave one every 15 s).
TEXT_BUDGET = 20
DEFAULT_TEMPERATURE = 0.8
DEFAULT_LENGTH = 200
PLACEHOLDER = "Train the network (F5): text written by the network appears here, rewritten as it learns."
#: How characters that print as nothing are shown in the confidence line (one symbol each).
SHOWN = {"\n": "⏎", "\t": "⇥", "\r": "↵"}


def shown_char(char: str) -> str:
    """One visible symbol for a character of the confidence line."""
    return SHOWN.get(char, char if char.isprintable() else "·")


def confidence_colour(probability: float, colors: PlotColors) -> QColor:
    """A character's shade: the theme's error colour when the model gave it little probability,
    fading to nothing as it grows more sure (squared, so that the surprises stand out: 0.1 is
    strong, an even 0.5 pale, 0.9 nothing)."""
    doubt = 1.0 - min(max(probability, 0.0), 1.0)
    return faded(colors.error, 0.8 * doubt * doubt)


class ConfidenceLine(QTextBrowser):
    """A validation line, each character shaded by the model's probability for it; hovering a
    character tells the probability."""

    def __init__(self) -> None:
        super().__init__()
        self.setOpenLinks(False)
        self.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        self.setMaximumHeight(64)
        self._chars: list[str] = []
        self._probabilities: list[float | None] = []

    def set_line(self, chars: list[str], probabilities: list[float | None], colors: PlotColors) -> None:
        """``probabilities[i]`` for ``chars[i]`` (None for the first character: nothing before it)."""
        self._chars, self._probabilities = list(chars), list(probabilities)
        self.clear()
        cursor = self.textCursor()
        for char, p in zip(chars, probabilities):
            fmt = QTextCharFormat()
            fmt.setForeground(colors.foreground if p is not None else colors.dim)
            if p is not None:
                fmt.setBackground(confidence_colour(p, colors))
            cursor.insertText(shown_char(char), fmt)

    def tooltip_at(self, point: QPoint) -> str | None:
        """What hovering ``point`` (viewport coordinates) tells: the character and its probability."""
        cursor = self.cursorForPosition(point)
        rect = self.cursorRect(cursor)
        if not rect.top() <= point.y() <= rect.bottom():
            return None
        # the cursor lands between two characters: the one under the point is left of it when the
        # point is left of the cursor
        position = cursor.position() - (1 if point.x() < rect.left() else 0)
        if not 0 <= position < len(self._chars):
            return None
        char, p = self._chars[position], self._probabilities[position]
        name = repr(char)
        if p is None:
            return f"{name}: the first character, which the model is given"
        return f"{name}: the model gave it {p:.1%} after the characters before it"

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)


class TextView(PlotView):
    """A prompt, temperature and length in the tool row; the sample as copyable text; a validation
    line shaded by confidence.

    Feeding: ``on_run_started`` (the vocabulary and validation lines), ``set_picture`` (a
    ``TextPicture`` from the worker)."""

    dock_id = "text"
    dock_title = "Text"
    export_name = "text"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Text", parent)
        self._picture: TextPicture | None = None
        self._vocab: tuple[str, ...] = ()
        self._lines = np.empty((0, 0), np.int64)
        self._seed = 0
        #: when the last sample arrived, and whether the shown one is out of date (settings changed,
        #: a run started or ended): the next is asked for at once then, else SAMPLE_INTERVAL after
        self._arrived = -1.0
        self._wanted = True
        self._problem: str | None = None

        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("prompt")
        self.prompt.setToolTip("The text the network continues (empty: it starts on a new line)")
        self.prompt.setMinimumWidth(90)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.1, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(1)
        self.temperature.setValue(DEFAULT_TEMPERATURE)
        self.temperature.setToolTip("Low: the likeliest characters, safe and repetitive; 1: as the network predicts; "
                                    "high: wilder, more mistakes")
        self.length = QSpinBox()
        self.length.setRange(10, 2000)
        self.length.setSingleStep(50)
        self.length.setValue(DEFAULT_LENGTH)
        self.length.setToolTip("Characters to write after the prompt")
        self.resample = QPushButton("New sample")
        self.resample.setToolTip("Draw other characters (the sample keeps its dice between updates, so that what "
                                 "changes is the network)")
        self.line_spin = QSpinBox()
        self.line_spin.setRange(1, 1)
        self.line_spin.setToolTip("Which validation line is shaded by the network's confidence")
        for widget in (self.prompt, labelled("temperature", self.temperature),
                       labelled("length", self.length), self.resample):
            self.add_tool(widget)

        self.graphics.hide()
        self.content = QWidget()
        column = QVBoxLayout(self.content)
        column.setContentsMargins(6, 2, 6, 6)
        column.setSpacing(4)
        self.status = QLabel(PLACEHOLDER)
        self.status.setWordWrap(True)
        self.sample = QTextBrowser()
        self.sample.setOpenLinks(False)
        self.sample.setToolTip("Text the network wrote after the prompt (bold); select and copy it")
        self.line_caption = QLabel()
        self.line_caption.setWordWrap(True)
        self.line_caption.setTextFormat(Qt.TextFormat.RichText)
        self.confidence = ConfidenceLine()
        column.addWidget(self.status)
        column.addWidget(self.sample, 1)
        line_row = QHBoxLayout()
        line_row.addWidget(QLabel("Confidence on validation line"))
        line_row.addWidget(self.line_spin)
        line_row.addStretch(1)
        column.addLayout(line_row)
        column.addWidget(self.confidence)
        column.addWidget(self.line_caption)
        self.body.addWidget(self.content, 1)

        self.prompt.textChanged.connect(self._on_settings)
        self.temperature.valueChanged.connect(self._on_settings)
        self.length.valueChanged.connect(self._on_settings)
        self.line_spin.valueChanged.connect(self._on_settings)
        self.resample.clicked.connect(self._on_resample)
        self._apply_theme()
        self.schedule()

    # ------------------------------------------------------------------ feeding
    def set_vocabulary(self, vocab: tuple[str, ...], lines: np.ndarray) -> None:
        """The text's alphabet and the validation lines (token ids, each the input and its last
        target: one character more than the window)."""
        self._vocab = tuple(vocab)
        self._lines = np.asarray(lines, dtype=np.int64)
        self.line_spin.setRange(1, max(1, len(self._lines)))

    def set_picture(self, picture: TextPicture) -> None:
        self._picture = picture
        self.schedule()

    def picture(self) -> TextPicture | None:
        return self._picture

    def settings(self) -> tuple[str, int, float, int]:
        """(prompt, length, temperature, seed) of the next sample."""
        return self.prompt.text(), self.length.value(), round(self.temperature.value(), 2), self._seed

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        if meta.is_tokens and meta.per_step_targets:
            return None
        answer = " with one answer per sequence" if meta.is_tokens else ""
        return ("It shows text written by a network that predicts the next character at every position, for "
                f"the 'text' dataset; this dataset has {describe_input(meta)}{answer}.")

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        self.show_reason(self.run_reason(info))
        self._picture = None
        x, y = info.samples
        lines = np.concatenate([x, y[:, -1:]], axis=1) if info.meta.per_step_targets and y.ndim == 2 else x
        self.set_vocabulary(info.meta.vocab, np.rint(lines).astype(np.int64))
        self._wanted = True
        self.schedule()

    def on_run_finished(self, result: TrainResult) -> None:
        self._wanted = True  # the finished network's sample, however recent the last one
        self.picturesWanted.emit()

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        if self.run_reason(info) is not None or not len(self._lines):
            return []
        if not self._wanted and time.monotonic() - self._arrived < SAMPLE_INTERVAL:
            return []
        from playground.core.sequence_probe import text_picture, token_ids

        prompt, length, temperature, seed = self.settings()
        try:
            token_ids(self._vocab, prompt)
        except UserError as error:
            self._set_problem(str(error))
            return []
        self._set_problem(None)
        line = np.ascontiguousarray(self._lines[self.line_spin.value() - 1])
        return [PictureRequest("text", partial(text_picture, prompt=prompt, length=length, temperature=temperature,
                                               seed=seed, line=line), budget=TEXT_BUDGET)]

    def on_picture(self, key: str, value: Any) -> None:
        self._arrived = time.monotonic()  # the interval runs from a sample's arrival: a slow one waits too
        prompt, _length, temperature, seed = self.settings()
        self._wanted = (value.prompt, value.temperature, value.seed) != (prompt, temperature, seed)
        self.set_picture(value)

    def _set_problem(self, problem: str | None) -> None:
        if problem != self._problem:
            self._problem = problem
            self.schedule()

    @Slot()
    def _on_settings(self) -> None:
        self._wanted = True
        self.picturesWanted.emit()

    @Slot()
    def _on_resample(self) -> None:
        self._seed += 1
        self._on_settings()

    # ------------------------------------------------------------------ state
    def clear(self) -> None:
        self._picture = None
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        self.set_vocabulary((), np.empty((0, 0), np.int64))
        self.clear()

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        c = self.colors
        picture = self._picture
        dim = c.hex(c.dim)
        if self._problem:
            self.status.setText(f"<span style='color:{c.hex(c.error)}'>{escape(self._problem, quote=False)}</span>")
        elif picture is None:
            self.status.setText(f"<span style='color:{dim}'>{PLACEHOLDER}</span>")
        else:
            self.status.setText(f"<span style='color:{dim}'>Written at temperature {picture.temperature:g}"
                                f"{' from the prompt in bold' if picture.prompt else ''}; sample {picture.seed + 1}"
                                "</span>")
        if picture is None:
            self.sample.clear()
            self.confidence.set_line([], [], c)
            self.line_caption.setText("")
            return
        written = picture.sample[len(picture.prompt):]
        self.sample.setHtml(f"<div style='white-space: pre-wrap; color:{c.hex()}'><b>{escape(picture.prompt)}</b>"
                            f"{escape(written)}</div>")
        chars = [self._vocab[int(i)] if 0 <= int(i) < len(self._vocab) else "?" for i in picture.line]
        probabilities: list[float | None] = [None, *map(float, picture.confidence)]
        self.confidence.set_line(chars, probabilities, c)
        mean = float(np.mean(picture.confidence)) if len(picture.confidence) else 0.0
        sure = int(np.sum(picture.confidence >= 0.5))
        self.line_caption.setText(f"<span style='color:{dim}'>Shaded by how little probability the network gave "
                                  f"each character (hover for it): {mean:.0%} on average, {sure} of "
                                  f"{len(picture.confidence)} characters at 50% or more.</span>")

    def _apply_theme(self) -> None:
        """Nothing to restyle: every redraw writes the text in the current theme's colours (the
        palette change schedules one)."""

    # ------------------------------------------------------------------ export
    def export_picture(self, path: str | Path) -> Path:
        """The sample and the shaded line as shown."""
        self.flush()
        return export_widget(self.content, path)

    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """The sample as one row, then one row per character of the validation line."""
        header = ["kind", "position", "text", "probability"]
        picture = self._picture
        if picture is None:
            return header, []
        rows: list[list[Cell]] = [["sample", None, picture.sample, None]]
        for position, i in enumerate(picture.line):
            p = float(picture.confidence[position - 1]) if position else None
            rows.append(["validation", position, self._vocab[int(i)] if int(i) < len(self._vocab) else "?", p])
        return header, rows

