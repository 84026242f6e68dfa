"""``glassnet train DATA --dask-scheduler ADDRESS`` / ``--dask-local N``: the CLI on a Dask cluster.

What changes with a cluster (the rest of ``train`` is the same):

* DATA: an image folder is read lazily — the client lists the files, the workers decode them
  (``data.load_lazy``); other DATA (IDX, .npz, .csv, builtin:…) is loaded, then split into
  row chunks for the workers (``data.to_dask``);
* preprocessing statistics are computed on the workers (``data.lazy.fit_preprocessor``);
* training is parameter averaging with ``--sync-every`` steps between averagings
  (``cluster.fit``); checkpoints, Ctrl-C and ``--resume`` work as on one machine.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import click

from glassnet.errors import ConfigError, DataError

OPTIONS = (
    click.option("--dask-scheduler", metavar="ADDRESS", default=None,
                 help="Train on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786)."),
    click.option("--dask-local", type=click.IntRange(min=1), metavar="N", default=None,
                 help="Start a local Dask cluster of N worker processes and train on it."),
    click.option("--sync-every", type=click.IntRange(min=1), default=10, show_default=True,
                 help="On a Dask cluster: steps each worker takes between two weight averagings."),
)


def dask_options(command):
    """Add --dask-scheduler, --dask-local and --sync-every to a click command."""
    for option in reversed(OPTIONS):
        command = option(command)
    return command


@contextmanager
def connect(scheduler: str | None = None, local: int | None = None):
    """A ``dask.distributed.Client`` for the options given (None when neither is), closed after."""
    if scheduler and local:
        raise ConfigError("--dask-scheduler and --dask-local exclude each other: pass one of them.")
    if not scheduler and not local:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("--dask-scheduler / --dask-local need Dask: pip install 'glassnet[dask]'.") from None
    cluster = None
    if local:
        cluster = LocalCluster(n_workers=int(local), threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as e:
            raise ConfigError(f"--dask-scheduler {scheduler}: cannot connect ({e}). Check the address, or "
                              "start a scheduler with `dask scheduler` and workers with `dask worker ADDRESS`."
                              ) from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def load_data(settings: dict, skip_bad: bool):
    """DATA for the cluster: an image folder lazily (decoded on the workers), the rest chunked."""
    from glassnet.data import load, load_lazy, to_dask
    from glassnet.data.idx import folder_has_idx

    spec = str(settings["data"])
    path = Path(spec)
    plain_folder = not spec.startswith("builtin:") and path.is_dir() and not folder_has_idx(path)
    if plain_folder and settings.get("label_column") is None:
        return load_lazy(path, size=settings.get("size"), grayscale=settings.get("grayscale", False),
                         color=settings.get("color", False),
                         skip_bad=skip_bad)
    return to_dask(load(spec, size=settings.get("size"), grayscale=settings.get("grayscale", False),
                        skip_bad=skip_bad, label_column=settings.get("label_column")))


def refuse_resume_channels(model, dataset):
    """Resuming on the cluster needs rows of exactly the model's width (no channel fix-up)."""
    if dataset.X.shape[1] != model.n_features:
        raise DataError(f"{dataset.describe()}: rows of {dataset.X.shape[1]:,} features, but the "
                        f"checkpoint's model takes {model.n_features:,}. Resume on the same data.")
