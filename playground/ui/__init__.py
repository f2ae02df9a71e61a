"""The PySide6 + pyqtgraph desktop UI: a thin layer over ``playground.core``."""
