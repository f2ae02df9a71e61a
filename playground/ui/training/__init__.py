"""Training in the background: the worker-thread bridge and the training controls."""
