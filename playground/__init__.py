"""Neural Network Playground: build a network on a canvas, train it, watch it learn, export it."""

__version__ = "0.1.0"
