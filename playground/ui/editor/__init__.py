"""The node-graph editor: the scene mirrors the core graph, items draw it, the view navigates it,
the controller turns gestures into undo commands (a regular package, so packaging finds it and
import-linter can hold items apart from the scene)."""
