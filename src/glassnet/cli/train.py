"""``glassnet train``: one command from a folder of images to a saved, resumable model."""

from __future__ import annotations

import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import click
import numpy as np
from click.core import ParameterSource

from glassnet.cli.budget import check_network_budget
from glassnet.cli.dask import connect, dask_options
from glassnet.cli.defaults import DEFAULT_INIT, DEFAULT_LR, LR_DEFAULTS_TEXT, auto_lr, default_lr
from glassnet.cli.show import (
    EXIT_INTERRUPTED,
    note,
    print_diagnosis,
    show_notices,
    stdout,
    training_summary,
)
from glassnet.cli.terminal import printable, resume_command
from glassnet.cli.types import FRACTION, HIDDEN, LEARNING_RATE, NON_NEGATIVE, SIZE
from glassnet.errors import (
    ConfigError,
    DivergedError,
    ModelFileError,
    TrainingInterrupted,
    TrainingProblemWarning,
)
from glassnet.files import io
from glassnet.files.checkpoints import discard_checkpoint
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.initializers import INITIALIZERS
from glassnet.train.keep import KeepBest
from glassnet.train.optimizers import get_optimizer

# Settings a resumed run must keep (they shape the network, the data or the exact path of
# the run); the others may change on --resume.
FIXED_ON_RESUME = ("hidden", "activation", "init", "optimizer", "batch_size", "size", "grayscale",
                   "color", "standardize", "validation_split", "seed", "label_column",
                   "shuffle_block")
CHANGEABLE_ON_RESUME = ("epochs", "lr", "l2", "patience", "keep")
CLI_FIX = "Choose another --out, or add --force to replace it."


@click.command("train")
@click.argument("data")
@click.option("--out", "-o", required=True, metavar="MODEL",
              help="Model file to write (.safetensors added if no extension).")
@click.option("--hidden", type=HIDDEN, default="128,64", show_default="128 64",
              help="Units of each hidden layer; 'none' for logistic regression.")
@click.option("--activation", type=click.Choice(sorted(set(ACTIVATIONS) - {"softmax"})),
              default="sigmoid", show_default=True,
              help="Activation of the hidden layers.")
@click.option("--init", type=click.Choice(sorted(INITIALIZERS)), default=None,
              help="Weight initializer of the hidden layers [default: he_normal for relu and "
                   "leaky_relu, glorot_uniform otherwise].")
@click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--shuffle-block", type=click.IntRange(min=1), default=None, metavar="N",
              help="Shuffle blocks of N consecutive rows, not single rows: a memory-mapped "
                   "file bigger than RAM is then read in runs (docs/architecture.md).")
@click.option("--lr", type=LEARNING_RATE, default=None,
              help="Learning rate, or 'auto': a range test that picks one and draws MODEL.lr.png "
                   f"[default: {LR_DEFAULTS_TEXT}].")
@click.option("--optimizer", type=click.Choice(sorted(DEFAULT_LR)), default="sgd", show_default=True)
@click.option("--l2", type=NON_NEGATIVE, default=0.0, show_default=True,
              help="L2 penalty λ on the weights.")
@click.option("--size", type=SIZE, default=None, help="Resize images to HEIGHTxWIDTH, e.g. 28x28.")
@click.option("--grayscale", is_flag=True, help="Convert every image to one gray channel.")
@click.option("--color", "--colour", "color", is_flag=True,
              help="Keep colour: a folder with any colour image trains on RGB [default: the "
                   "channels most images have].")
@click.option("--standardize", is_flag=True,
              help="Scale each feature to mean 0, std 1 (default: divide by the raw maximum).")
@click.option("--validation-split", type=FRACTION, default=0.1, show_default=True,
              help="Fraction held out to validate each epoch (0: none).")
@click.option("--patience", type=click.IntRange(min=1), default=None,
              help="Stop after N epochs without improvement; keep the best weights.")
@click.option("--keep", type=click.Choice(["best", "last"]), default="best", show_default=True,
              help="With validation: save the best epoch's weights when the last epoch is clearly "
                   "worse (best), or always the last epoch's (last).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Makes the run repeat exactly.")
@click.option("--label-column", default=None, help="CSV data: the label column (name or index).")
@click.option("--skip-bad", is_flag=True, help="Skip unreadable images instead of stopping.")
@click.option("--resume", is_flag=True,
              help="Continue the interrupted run saved in MODEL.ckpt.safetensors.")
@click.option("--force", is_flag=True,
              help="Replace MODEL even if it holds another architecture; discard an unfinished checkpoint.")
@click.option("--keep-checkpoint", is_flag=True,
              help="Keep MODEL.ckpt.safetensors after a successful run (it is removed by default).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output (notices and warnings still print).")
@dask_options
@click.pass_context
def train(ctx, data, out, quiet, resume, force, skip_bad, keep_checkpoint, dask_scheduler,
          dask_local, **options):
    """Train a network on DATA and save it to MODEL.

    \b
    Examples:
      glassnet train builtin:digits --out digits.safetensors --hidden 64 --epochs 40
      glassnet train photos/ --out pets.safetensors --size 32x32 --hidden 128 64 --patience 5
      glassnet train photos/ --out pets.safetensors --epochs 40 --resume
      glassnet train photos/ --out pets.safetensors --size 32x32 --dask-local 4

    A checkpoint (MODEL.ckpt.safetensors) is saved after every epoch. Ctrl-C finishes the
    current batch, saves it and prints the command that resumes; the resumed run ends with
    the same weights as an uninterrupted one. A run that finishes removes its checkpoint
    (--keep-checkpoint keeps it); an interrupted or failed one keeps it.

    A folder of mostly gray images with a few colour ones trains on gray (and the reverse
    on colour), converting the few and saying how many; --color or --grayscale decide.
    """
    check_network_budget(options)
    if Path(out).is_dir():
        raise ConfigError(f"--out {out} is a folder; name the model file, e.g. {Path(out) / 'model.safetensors'}.")
    out = io.with_suffix(out)
    if not out.parent.is_dir():
        raise ConfigError(f"--out {out}: the folder {out.parent} does not exist. Create it first "
                          "or choose another path.")
    if options["color"] and options["grayscale"]:
        raise ConfigError("--color and --grayscale exclude each other: pass one of them.")
    checkpoint = io.checkpoint_path(out)
    settings = {"data": data, **options}
    if not (dask_scheduler or dask_local):
        settings.pop("sync_every", None)  # a setting of Dask runs only
    elif options["shuffle_block"]:
        raise ConfigError("--shuffle-block orders the rows of one machine's file; a Dask run "
                          "shuffles each worker's chunks. Drop one of the two.")
    saved = None
    if resume:
        saved = io.load_checkpoint(checkpoint)
        settings = _resume_settings(ctx, settings, saved.settings, quiet)
        _check_epochs_left(settings["epochs"], saved.state[1])
    else:
        _refuse_unfinished(checkpoint, force)
    settings["lr"] = settings["lr"] or default_lr(settings["optimizer"], settings["activation"])
    settings["init"] = settings["init"] or DEFAULT_INIT.get(settings["activation"], "glorot_uniform")
    with connect(dask_scheduler, dask_local) as client:  # a Dask client, or None: one machine
        dataset, model, train_set, val_set = _prepare(settings, saved, skip_bad, client)
        if not force:
            io.check_overwrite(out, model, CLI_FIX)
        show_notices(dataset.notices)
        if settings["lr"] == "auto":
            settings["lr"] = auto_lr(model, train_set, settings, out, client)
        if not quiet:
            note(f"data: {dataset.describe()}")
        started = time.perf_counter()
        history, kept = _fit(model, train_set, val_set, settings, saved, checkpoint, quiet, client)
    model.meta["training"] = _record(settings, history, train_set, val_set,
                                     time.perf_counter() - started, resumed=saved is not None, kept=kept)
    model.meta["training"]["diagnosis"] = history.info.get("diagnosis", [])
    if not force:
        io.check_overwrite(out, model, CLI_FIX)  # again: the file may have changed meanwhile
    io.save(model, out)
    if not keep_checkpoint:
        discard_checkpoint(checkpoint)
    if quiet:
        print(printable(f"saved {out}"))
    else:
        stdout().print(training_summary(model, out, model.meta["training"]))
    print_diagnosis(model.meta["training"]["diagnosis"])


def _resume_settings(ctx, given: dict, saved: dict, quiet: bool) -> dict:
    """The checkpoint's settings, with the options given now that may change on resume."""
    settings = {**given, **{k: v for k, v in saved.items() if k in given}}
    for key in (*FIXED_ON_RESUME, *CHANGEABLE_ON_RESUME):
        explicit = ctx.get_parameter_source(key) == ParameterSource.COMMANDLINE
        if not explicit or key not in saved or _same(given[key], saved[key]):
            continue
        flag = "--" + key.replace("_", "-")
        if key in FIXED_ON_RESUME:
            raise ConfigError(
                f"{flag} {_show(given[key])} differs from the checkpoint's {_show(saved.get(key))}: a "
                f"resumed run keeps its network, data and seed. Drop {flag}, or start over "
                "without --resume (add --force to discard the checkpoint)."
            )
        settings[key] = given[key]
        if key != "epochs":
            note(f"note: {flag} {_show(given[key])} replaces the checkpoint's {_show(saved.get(key))}; "
                 "the run will differ from an uninterrupted one.")
    if given["data"] != saved.get("data"):
        note(f"note: the checkpoint was trained on {saved.get('data')}; continuing on {given['data']}.")
    settings["data"] = given["data"]
    return settings


def _check_epochs_left(epochs, scalars):
    """A resumed run cannot end before the point it already reached."""
    done, batch = int(scalars["epoch"]), int(scalars["batch"])
    reached = done + (1 if batch else 0)
    if epochs < reached:
        part = f" and {batch} batches of epoch {done + 1}" if batch else ""
        raise ConfigError(f"--epochs {epochs}: the checkpoint has already trained {done} epochs{part}. "
                          f"Give --epochs {reached} or more.")


def _same(a, b) -> bool:
    normal = (lambda v: list(v) if isinstance(v, (tuple, list)) else v)
    return normal(a) == normal(b)


def _show(value) -> str:
    if isinstance(value, (tuple, list)):
        return " ".join(map(str, value)) or "none"
    return str(value)


def _refuse_unfinished(checkpoint, force: bool):
    if force or not checkpoint.exists():
        return
    try:
        saved = io.load_checkpoint(checkpoint)
    except ModelFileError:
        return  # unreadable: nothing there to lose
    if saved.status != "finished":
        epoch = saved.state[1]["epoch"]
        raise ConfigError(
            f"{checkpoint} holds an unfinished run (stopped after epoch {epoch} of "
            f"{saved.settings.get('epochs', '?')}). Continue it with --resume, or start over "
            "with --force."
        )


def _prepare(settings, saved, skip_bad, client=None):
    """Load DATA, split off validation rows, and build (or take from the checkpoint) the model.
    With a Dask ``client`` the rows stay on its workers (``cluster_cli``)."""
    from glassnet.cli.dask import load_data
    from glassnet.data import Preprocessor, load
    from glassnet.data.lazy import fit_preprocessor
    from glassnet.train.evaluate import fit_channels
    from glassnet.train.sequential import build_classifier

    if client is not None:
        dataset = load_data(settings, skip_bad)
    else:
        dataset = load(settings["data"], size=settings["size"], grayscale=settings["grayscale"],
                       color=settings.get("color", False), skip_bad=skip_bad,
                       label_column=settings["label_column"])
    if settings["validation_split"] and client is not None:
        train_set, val_set = dataset.split(settings["validation_split"], seed=settings["seed"])
    elif settings["validation_split"]:
        train_set, val_set = _split_by_rows(dataset, settings["validation_split"], settings["seed"])
    else:
        train_set, val_set = dataset, None
    if saved is not None:
        model = saved.model
        for part in (train_set, val_set):
            if part is not None:
                part.X = fit_channels(part.X, dataset.channels, model)
        if train_set.X.shape[1] != model.n_features:
            raise ConfigError(f"{settings['data']}: rows of {train_set.X.shape[1]:,} features, but the "
                              f"checkpoint's model takes {model.n_features:,}. Resume on the same data.")
        return dataset, model, train_set, val_set
    kind = "standardize" if settings["standardize"] else "scale"
    pre = Preprocessor.for_dataset(train_set, kind)
    pre = fit_preprocessor(pre, train_set.X) if client is not None else pre.fit(train_set.X)
    shape = dataset.image_shape or (dataset.n_features,)
    check_network_budget(settings, n_in=dataset.n_features)
    model = build_classifier(shape, len(dataset.classes), hidden=settings["hidden"],
                             activation=settings["activation"], init=settings["init"])
    model.preprocessor = pre
    return dataset, model, train_set, val_set


def _split_by_rows(dataset, fraction, seed):
    """(train, validation) Datasets whose X are RowViews of ``dataset.X``: the split copies
    no pixels (a memory-mapped X stays on disk); rows are gathered a batch at a time."""
    from dataclasses import replace

    from glassnet.data.dataset import take_sources
    from glassnet.nn.batches import RowView

    def part(rows):
        sources = take_sources(dataset.sources, rows)
        return replace(dataset, X=RowView(dataset.X, rows), y=dataset.y[rows], sources=sources,
                       notices=[], skipped=[])

    train_rows, val_rows = dataset.split_rows(fraction, seed=seed)
    return part(train_rows), part(val_rows)


def _fit(model, train_set, val_set, settings, saved, checkpoint, quiet, client=None):
    from glassnet.files.checkpoints import Run, fit_with_checkpoints

    run = Run(checkpoint)
    keeper = None
    if val_set is not None and settings.get("keep", "best") == "best" and not settings["patience"]:
        keeper = KeepBest(len(val_set))
    optimizer = get_optimizer(settings["optimizer"], lr=settings["lr"])
    stored = {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}
    try:
        with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", TrainingProblemWarning)  # printed as a block instead
            history = fit_with_checkpoints(
                model, train_set.X, train_set.y, checkpoint=checkpoint, settings=stored,
                resume=saved.state if saved is not None else None, run=run,
                validation_data=(val_set.X, val_set.y) if val_set is not None else None,
                epochs=settings["epochs"], batch_size=settings["batch_size"], optimizer=optimizer,
                l2=settings["l2"], seed=settings["seed"], early_stopping=keeper or settings["patience"],
                verbose=0 if quiet else 1,
                **({"client": client, "sync_every": settings["sync_every"]} if client is not None
                   else {"shuffle_block": settings.get("shuffle_block")}),
            )
        return history, keeper.kept if keeper is not None else None
    except TrainingInterrupted as e:
        note(f"Interrupted: {e} Checkpoint saved to {checkpoint}.")
        note(f"Resume with: {resume_command(click.get_current_context())}")
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    except DivergedError as e:
        print_diagnosis([d.to_dict() for d in getattr(e, "diagnosis", [])])
        where = (f" The weights from before the loss diverged are in {checkpoint}: continue from "
                 "there with --resume and a smaller --lr." if run.has_checkpoint
                 else " No epoch finished, so nothing was saved.")
        raise DivergedError(str(e) + where, e.epoch) from None


def _record(settings, history, train_set, val_set, seconds, resumed, kept=None) -> dict:
    """The training summary stored in the model file (``model.meta["training"]``)."""
    best = history.info.get("best_epoch")
    at = best if settings["patience"] and best is not None and best >= 0 else history.epochs - 1
    if kept is not None:
        at = kept["epoch"] - 1
    final = {k: v[at] for k, v in history.history.items() if len(v) > at and v[at] is not None}
    return {
        "data": settings["data"],
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items() if k != "data"},
        "n_train": len(train_set),
        "n_validation": len(val_set) if val_set is not None else 0,
        "epochs_run": history.epochs,
        "seed": settings["seed"],
        "best_epoch": best,
        "final_epoch": at + 1,  # the epoch whose weights were saved (the best, with --patience)
        "kept_best": kept,  # set when --keep best put back a clearly better epoch
        "stopped_epoch": history.info.get("stopped_epoch"),
        "final": final,
        "seconds": round(seconds, 3),
        "resumed": resumed,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
