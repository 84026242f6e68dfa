"""Dask training and prediction: the same model code on a cluster's workers (docs/scaling.md).

Importing this package registers ``api`` with ``glassnet.train.fit`` (dask itself is imported
only when a dask array arrives); ``api`` holds fit, predict, evaluate and the L-BFGS path."""

from glassnet.distributed import api
from glassnet.train.fit import register_distributed

register_distributed(api)
