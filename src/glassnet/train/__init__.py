"""Training: optimizers and schedules, the epoch loop (History, EarlyStopping, Trainer), fit(),
Sequential (the network plus fit), progress reporters and evaluation metrics."""
