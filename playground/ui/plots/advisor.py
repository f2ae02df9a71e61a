"""The Advisor view: what the training advisor (``playground.core.advisor``) finds in the run,
in the lecture's words, each finding with a button that applies its fix to the project.

The view feeds every report to an ``Advisor`` made for the run's project and lists the current
findings, warnings first. It holds no project state: a Fix button emits ``fixRequested`` with
the fix, and the workspace applies it to the open project as one undoable edit
(``editor.fix_command``). Fixes are offered once the run has ended, when the editor takes edits
again; the next run trains the fixed network.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from playground.core.advisor import RULES, Advisor, Finding
from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell, export_widget
from playground.ui.plots.live import RunInfo
from playground.ui.plots.style import PlotColors
from playground.ui.scrolling import scrolling

if TYPE_CHECKING:
    from playground.core.training import Report, TrainResult

#: Nodes a finding's heading names before "and N more" (the message names them all).
NAMED = 3


def muted(colors: PlotColors) -> str:
    """``#rrggbb`` of the dim text colour laid over the background (rich text has no alpha)."""
    a = colors.dim.alphaF()
    fg, bg = colors.dim, colors.background
    return QColor(*(round(a * f + (1 - a) * b) for f, b in zip(fg.getRgb()[:3], bg.getRgb()[:3]))).name()


def describe_fix(fix: dict[str, Any]) -> str:
    """The edits of a fix, one per line, for the Fix button's tooltip."""
    lines = []
    for edit in fix.get("edits", []):
        if "set" in edit:
            value = edit.get("value")
            lines.append(f"{edit['set']} = {'default' if value is None else value}")
        elif "insert" in edit:
            node, (src, dst) = edit["insert"], edit.get("between", ["?", "?"])
            lines.append(f"add {node.get('type')} '{node.get('id')}' between '{src}' and '{dst}'")
    return "\n".join(lines)


class FindingCard(QFrame):
    """One finding: severity, title, where and when, the message, and its Fix button
    (``fixClicked`` carries the fix)."""

    fixClicked = Signal(dict)

    def __init__(self, finding: Finding, labels: dict[str, str], colour: str, muted_colour: str,
                 fixable: bool) -> None:
        super().__init__()
        self.finding = finding
        self.setObjectName("advisorFinding")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        rule = RULES.get(finding.rule)
        title = rule.title if rule else finding.rule
        names = [labels.get(n, n) for n in finding.nodes]
        where = ", ".join(names[:NAMED]) + (f" and {len(names) - NAMED} more" if len(names) > NAMED else "")
        head = (f"<span style='color:{colour}'>●</span> <b>{escape(title)}</b>"
                f" <span style='color:{muted_colour}'>· {finding.severity} · step "
                f"{finding.step:,}{' · ' + escape(where, quote=False) if where else ''}</span>")
        self.head = QLabel(head)
        self.head.setTextFormat(Qt.TextFormat.RichText)
        self.head.setWordWrap(True)
        self.head.setToolTip(f"Rule '{finding.rule}': {rule.watches}" if rule else finding.rule)
        self.message = QLabel(finding.message[:1].upper() + finding.message[1:])
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.head)
        layout.addWidget(self.message)
        self.button: QPushButton | None = None
        if finding.fix is not None:
            self.button = QPushButton(f"Fix: {finding.fix.get('label', 'apply')}")
            self.button.setEnabled(fixable)
            self.button.setToolTip(("Applies to the project as one step you can undo (Ctrl+Z):\n"
                                    if fixable else "Available when the run has ended:\n") + describe_fix(finding.fix))
            self.button.clicked.connect(self._clicked)
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(self.button)
            layout.addLayout(row)

    def _clicked(self) -> None:
        if self.finding.fix is not None:
            self.fixClicked.emit(self.finding.fix)


class AdvisorView(PlotView):
    """``findings()``: what the list shows; ``fixRequested(dict)``: a person pressed a Fix."""

    dock_id = "advisor"
    dock_title = "Advisor"
    export_name = "advice"
    #: tabbed with the training panel: advice is read where the run is watched, and belongs
    #: next to the settings its fixes change
    overview = "side"
    fixRequested = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Advisor", parent)
        self.advisor: Advisor | None = None
        self._labels: dict[str, str] = {}
        self._running = False
        self._shown: tuple[Any, ...] | None = None
        self.graphics.hide()
        self.content = QWidget()
        self.content.setObjectName("advisorContent")
        self.list = QVBoxLayout(self.content)
        self.list.setContentsMargins(6, 4, 6, 6)
        self.list.setSpacing(6)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.list.addWidget(self.status)
        self.list.addStretch(1)
        self.scroll = scrolling(self.content, horizontal=False)
        self.body.addWidget(self.scroll, 1)
        self.cards: list[FindingCard] = []
        self.setToolTip("The training advisor names what goes wrong in a run (vanishing or exploding gradients,\n"
                        "dead or saturated units, over- and underfitting, a learning rate too small or too large)\n"
                        "and offers a fix you can undo.")
        self._apply_theme()
        self.schedule()

    def sizeHint(self) -> QSize:
        return QSize(520, 380)

    def findings(self) -> list[Finding]:
        return self.advisor.findings() if self.advisor is not None else []

    # ------------------------------------------------------------------ live-view protocol
    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        self.show_reason(self.run_reason(info))
        self._labels = dict(info.labels)
        self.advisor = Advisor(info.project) if info.project is not None else None
        self._running = True
        self.schedule()

    def on_reports(self, reports: Sequence[Report]) -> None:
        if self.advisor is not None and self.advisor.feed_all(reports):
            self.schedule()

    def on_run_finished(self, result: TrainResult) -> None:
        if self.advisor is not None:
            self.advisor.finish(result.message if result.status == "diverged" else None)
        self._running = False
        self.schedule()

    def needs_attention(self) -> bool:
        """A warning: the run went wrong in a way the lectures explain."""
        return any(f.severity == "warning" for f in self.findings())

    def clear(self) -> None:
        self.advisor = None
        self._running = False
        self.schedule()

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        findings = self.findings()
        state = (tuple(findings), self._running, self.colors.dark, self.advisor is None)
        if state == self._shown:
            return
        self._shown = state
        for card in self.cards:
            self.list.removeWidget(card)
            card.deleteLater()
        self.cards = []
        dim = muted(self.colors)
        self.status.setText(f"<span style='color:{dim}'>{escape(self._status_text(findings))}</span>")
        for i, finding in enumerate(findings):
            colour = self.colors.hex(self.colors.warning) if finding.severity == "warning" else muted(self.colors)
            card = FindingCard(finding, self._labels, colour, dim, not self._running)
            card.fixClicked.connect(self.fixRequested)
            self.list.insertWidget(1 + i, card)
            self.cards.append(card)

    def _status_text(self, findings: list[Finding]) -> str:
        if self.advisor is None:
            return ("Train to get advice: the advisor watches the run's losses, gradients and units and names "
                    "what goes wrong, with the lecture's reasoning and a fix.")
        if not findings:
            return ("Nothing to report so far: problems show here as the run gives evidence of them."
                    if self._running else "No problems found in this run.")
        warnings = sum(f.severity == "warning" for f in findings)
        what = f"{warnings} warning{'s' if warnings != 1 else ''}" if warnings else "notes only, no warnings"
        when = "so far; fixes apply when the run has ended" if self._running else "in this run"
        return f"{what} {when}."

    def _apply_theme(self) -> None:
        self._shown = None  # the cards' colours come from the theme: build them again

    # ------------------------------------------------------------------ export
    def export_picture(self, path: str | Path) -> Path:
        """The list as shown: a raster image, or an SVG drawing of the same widgets."""
        self.flush()
        return export_widget(self.content, path)

    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        header = ["rule", "severity", "step", "nodes", "message", "fix"]
        return header, [[f.rule, f.severity, f.step, " ".join(f.nodes), f.message,
                         f.fix.get("label", "") if f.fix else ""] for f in self.findings()]
