"""The chooser of one node that views about one node put in their tool row (Feature maps, Gates).

It lists nodes by the labels the run gives them ("LSTM 'lstm'") and remembers the node a
person picked, or clicked on the canvas, even while the list lacks it (the Input, a node added
since the run started, the list not yet filled): it comes back as soon as the list has it.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox


class NodeBox(QComboBox):
    """A combo box of node ids shown by their labels; ``currentIndexChanged`` says the choice
    changed (not while ``fill`` rebuilds the list)."""

    def __init__(self, tip: str, width: int) -> None:
        super().__init__()
        self.setToolTip(tip)
        self.setMinimumContentsLength(width)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.labels: dict[str, str] = {}
        #: the node a person chose (kept while the list lacks it)
        self.wanted: str | None = None
        self.currentIndexChanged.connect(self._remember)

    def set_labels(self, labels: dict[str, str]) -> None:
        """How each node is named (its id where none is given), for the items listed now and later."""
        self.labels = dict(labels)
        for i in range(self.count()):
            node_id = str(self.itemData(i))
            self.setItemText(i, self.labels.get(node_id, node_id))

    def fill(self, nodes: list[str]) -> None:
        """List ``nodes`` (in network order); the wanted node stays chosen when it is among them."""
        if [self.itemData(i) for i in range(self.count())] == nodes:
            return
        wanted = self.wanted
        self.blockSignals(True)
        self.clear()
        for node_id in nodes:
            self.addItem(self.labels.get(node_id, node_id), node_id)
        found = self.findData(wanted)
        self.setCurrentIndex(max(found, 0) if nodes else -1)
        self.blockSignals(False)

    def node(self) -> str | None:
        """The chosen node, None while the list is empty."""
        data = self.currentData()
        return None if data is None else str(data)

    def select(self, node_id: str) -> bool:
        """Choose ``node_id``; False (and remembered for when it is listed) when it is not listed."""
        self.wanted = node_id
        index = self.findData(node_id)
        if index < 0:
            return False
        self.setCurrentIndex(index)
        return True

    @Slot(int)
    def _remember(self, _index: int) -> None:
        node = self.node()
        if node is not None:
            self.wanted = node
