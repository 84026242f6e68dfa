"""The article's math: activations, initializers, layers (Flatten, Dense, Dropout), losses,
gradient checking, and the Network that runs them forward and backward. No I/O, no training loop."""
