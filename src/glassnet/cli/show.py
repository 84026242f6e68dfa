"""Tables and text the commands print (rich): results to stdout, notes to stderr."""

from __future__ import annotations

import json
import sys

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from glassnet.cli.terminal import printable, safe_console
from glassnet.files.modelfile import diagnosis_of
from glassnet.nn.model import network_text

EXIT_INTERRUPTED = 130


class PipeConsole(Console):
    """A rich Console that lets a closed pipe (``glassnet … | head -1``) reach the command
    line's handler as BrokenPipeError, instead of rich's own ``SystemExit(1)``."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(32, "Broken pipe")


def stdout() -> Console:
    """Results; every text segment is escaped (class and file names come from users' files)."""
    return safe_console(PipeConsole, highlight=False, soft_wrap=True)


def stderr() -> Console:
    return safe_console(PipeConsole, stderr=True, highlight=False)


def note(message: str):
    """One plain line on stderr (not rich markup: paths may hold brackets; never wrapped),
    control characters escaped."""
    print(printable(message), file=sys.stderr, flush=True)


def show_notices(notices):
    """Every command's notices (ignored files, converted images, …) the same way: one
    ``note: …`` line each on stderr — printed even with --quiet, which silences progress only."""
    for line in notices:
        note(f"note: {line}")


def print_json(data):
    print(json.dumps(data, indent=2, default=str))


def fmt(value, digits=4) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


# ---- evaluation ------------------------------------------------------------------------------
def confusion_table(report: dict, title="Confusion matrix (rows: true class, columns: predicted)") -> Table:
    classes = [str(c) for c in report["classes"]]
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    table.add_column("true \\ pred", justify="right", style="bold")
    for name in classes:
        table.add_column(name, justify="right")
    for i, (name, row) in enumerate(zip(classes, report["confusion_matrix"])):
        cells = [f"[bold green]{n}[/]" if i == j else (f"[red]{n}[/]" if n else "[dim]·[/]")
                 for j, n in enumerate(row)]
        table.add_row(Text(name), *cells)
    return table


def per_class_table(report: dict) -> Table:
    table = Table(title="Per class", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for column in ("class", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="right")
    for row in report["per_class"]:
        table.add_row(Text(str(row["class"])), fmt(row["precision"], 3), fmt(row["recall"], 3),
                      fmt(row["f1"], 3), str(row["support"]))
    return table


def show_evaluation(console: Console, report: dict, source: str):
    console.print(Text(f"{source}: {report['n_samples']:,} samples"))
    console.print(f"accuracy  [bold]{report['accuracy']:.4f}[/]    log-loss  {report['log_loss']:.4f}"
                  f"    macro F1  {report['macro_f1']:.4f}")
    console.print(per_class_table(report))
    console.print(confusion_table(report))
    if report.get("mistakes"):
        console.print(mistakes_table(report["mistakes"]))


def mistakes_table(mistakes: list[dict], limit: int = 10) -> Table:
    """The most confident mistakes with their files: the first ones to look at."""
    shown = f"; the {limit} most confident" if len(mistakes) > limit else ""
    table = Table(title=f"Mistakes: {len(mistakes):,}{shown} (all of them: --mistakes FILE.csv)",
                  box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for column, justify in (("source", "left"), ("true", "right"), ("predicted", "right"),
                            ("p", "right")):
        table.add_column(column, justify=justify)
    for m in mistakes[:limit]:
        table.add_row(Text(str(m["source"])), Text(str(m["true"])), Text(str(m["predicted"])),
                      f"{m['probability']:.3f}")
    return table


# ---- training ----------------------------------------------------------------------------------
def training_summary(model, path, training: dict) -> Table:
    history = model.history
    table = Table(title="Training summary", box=box.SIMPLE_HEAD, show_header=False,
                  title_justify="left", pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    final = training.get("final", {})
    rows = [
        ("model", str(path)),
        ("network", network_text(model)),
        ("parameters", f"{model.n_params():,}"),
        ("data", f"{training['data']} ({training['n_train']:,} training, "
                 f"{training['n_validation']:,} validation rows)"),
        ("epochs", f"{history.epochs}" + (" (stopped early)" if training.get("stopped_epoch") is not None else "")
                   + (f"; saved the weights of epoch {training['final_epoch']}, the best"
                      if training.get("final_epoch") != history.epochs else "")),
        ("train loss / accuracy", f"{fmt(final.get('loss'))} / {fmt(final.get('accuracy'))}"),
    ]
    kept = training.get("kept_best")
    if kept:
        rows.insert(5, ("kept best", f"validation accuracy {kept['val_accuracy']:.4f} in epoch {kept['epoch']} vs "
                                     f"{kept['last_val_accuracy']:.4f} in the last (more than the noise "
                                     f"{kept['threshold']:.3f} apart); --keep last saves the last epoch"))
    if final.get("val_loss") is not None:
        rows.append(("validation loss / accuracy", f"{fmt(final['val_loss'])} / {fmt(final.get('val_accuracy'))}"))
    resumed = " (this session; resumed)" if training.get("resumed") else ""
    rows.append(("time", f"{training['seconds']:.1f} s{resumed}"))
    for key, value in rows:
        table.add_row(key, Text(value))
    return table


# ---- info ----------------------------------------------------------------------------------------
def info_table(model) -> Table:
    file = model.meta.get("file", {})
    pre = model.preprocessor
    table = Table(box=box.SIMPLE_HEAD, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    shape = tuple(model.input_shape)
    channels = file.get("channels") or getattr(pre, "channels", None)
    classes = model.classes_
    rows = [
        ("file", f"{file.get('path')} (format version {file.get('format_version')}, "
                 f"written by glassnet {file.get('glassnet_version')})"),
        ("input", f"{model.n_features:,} features (plain vectors)" if len(shape) == 1 and not channels
                  else f"{'×'.join(map(str, shape))}" + (f" {channels}, channels last" if channels else "")
                  + f" → {model.n_features:,} features"),
        ("preprocessing", pre.describe() if pre is not None else "none (raw inputs)"),
        ("task", f"{model.task} ({model.loss.name})"),
        ("classes", "–" if classes is None else f"{len(classes)}: {' '.join(map(str, classes.tolist()))}"
                    f" ({type(classes[0].item()).__name__})"),
        ("parameters", f"{model.n_params():,} ({model.dtype})"),
    ]
    rows += _training_rows(model.meta.get("training"), model.history)
    for key, value in rows:
        table.add_row(key, Text(value))
    return table


def _training_rows(training, history) -> list:
    if not training:
        return [("trained", "no training record (saved from the Python API?)")]
    if not isinstance(training, dict):
        return [("trained", str(training))]
    settings = training.get("settings") if isinstance(training.get("settings"), dict) else {}
    rows = [("trained on", f"{training.get('data')} ({training.get('n_train', '?')} rows, "
                           f"{training.get('n_validation', 0)} for validation)")]
    keys = ("optimizer", "lr", "batch_size", "l2", "hidden", "activation", "init", "seed", "patience")
    rows.append(("settings", ", ".join(f"{k}={settings[k]}" for k in keys if settings.get(k) is not None)))
    seconds = training.get("seconds")
    rows.append(("epochs", f"{training.get('epochs_run')}"
                           + (f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else "")
                           + (" (resumed)" if training.get("resumed") else "")))
    final = training.get("final") if isinstance(training.get("final"), dict) else {}
    rows.append(("final metrics", "  ".join(f"{k} {fmt(v)}" for k, v in final.items() if v is not None)))
    found = diagnosis_of(training)
    rows.append(("diagnosis", "\n".join(f"{d['problem']}: {d.get('what', '')}; try {d.get('fix', '')}"
                                        for d in found) if found else "no problems found"))
    return rows


def print_diagnosis(found):
    """The doctor's findings on stderr: per problem ``warning: <id>: …``, the why, ``Try: …``."""
    for d in found:
        note(f"warning: {d['problem']}: {d.get('what', '')}")
        note(f"  {d.get('why', '')}")
        note(f"  Try: {d.get('fix', '')}")
