"""Files on disk: the model-file format (safetensors tensors + validated JSON metadata),
atomic writes, and checkpointed training runs that can be interrupted and resumed."""
