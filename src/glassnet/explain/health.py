"""The report's "Training health" section: the doctor's instruments per epoch, and its findings.

The training loop's ``Instruments`` (``glassnet.train.instruments``) took one reading per epoch
on a fixed probe batch; this draws them — the gradient norm ‖∂J/∂W‖ and the update ratio
‖ΔW‖/‖W‖ of every layer, the share of saturated sigmoid/tanh units and of dead ReLUs — and
lists each diagnosis with the math of why it stops learning and the flag that fixes it.
"""

from __future__ import annotations

from html import escape

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from glassnet.files.modelfile import diagnosis_of


def health_section(network, figure_html) -> str:
    """HTML for the section; ``figure_html(fig, alt, caption)`` embeds a Figure."""
    history = network.history
    readings = history.info.get("instruments", []) if history is not None else []
    found = diagnosis_of(network.meta.get("training")) or (
        diagnosis_of({"diagnosis": history.info.get("diagnosis")}) if history is not None else [])
    parts = [_findings(found)]
    if readings:
        parts.append(figure_html(instrument_plots(readings), "training instruments per epoch",
                                 "Per epoch, on a fixed probe batch of training rows: the gradient norm "
                                 "‖∂J/∂W‖ and the update ratio ‖ΔW‖/‖W‖ of each layer (log scale), and the "
                                 "share of saturated sigmoid/tanh units (σ(z) outside [0.01, 0.99]) or dead "
                                 "ReLUs (z ≤ 0 on every probe row)."))
    else:
        parts.append('<p class="note">No instrument readings are stored with this model (trained '
                     "before the training doctor, or with diagnose=False).</p>")
    return "".join(parts)


def _findings(found) -> str:
    if not found:
        return ('<p class="note">The training doctor found no problem: no divergence, no exploding or '
                "vanishing gradient, no saturated or dead units, no oscillation, no underfitting or "
                "overfitting beyond its thresholds (docs/doctor.md).</p>")
    items = []
    for d in found:
        where = ", ".join(f"{k} {d[k]}" for k in ("epoch", "layer") if d.get(k) is not None)
        items.append(f"<li><strong>{escape(d['problem'])}</strong>{f' ({where})' if where else ''}: "
                     f"{escape(str(d.get('what', '')))}.<br>{escape(str(d.get('why', '')))}<br>"
                     f"<em>Try:</em> <code>{escape(str(d.get('fix', '')))}</code></li>")
    return f'<ul class="diagnosis">{"".join(items)}</ul>'


def instrument_plots(readings) -> Figure:
    """Three axes: ‖∂J/∂W‖, ‖ΔW‖/‖W‖ per layer and epoch, and the unit shares."""
    fig = Figure(figsize=(10, 3.2))
    # fixed margins (the labels are numbers): constrained layout took half the drawing time
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.3)
    epochs = [r["epoch"] for r in readings]
    n_layers = max(len(r["layers"]) for r in readings)
    axes = [fig.add_subplot(1, 3, k + 1) for k in range(3)]
    for i in range(n_layers):
        label = f"layer {i + 1}"
        for ax, key in zip(axes[:2], ("grad_norm", "update_ratio")):
            values = [_value(r, i, key) for r in readings]
            if any(v > 0 for v in values if not np.isnan(v)):
                ax.plot(epochs, values, marker="o", markersize=3, label=label)
        for key, style in (("saturated", "-"), ("dead", "--")):
            values = [_value(r, i, key) for r in readings]
            if not all(np.isnan(values)):
                axes[2].plot(epochs, values, style, marker="o", markersize=3, label=f"{label} {key}")
    titles = ("gradient norm ‖∂J/∂W‖", "update ratio ‖ΔW‖/‖W‖", "saturated / dead share")
    for ax, title in zip(axes, titles):
        ax.set(title=title, xlabel="epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(frameon=False, fontsize=7)
    for ax in axes[:2]:
        if ax.lines:
            ax.set_yscale("log")
    axes[2].set_ylim(-0.02, 1.02)
    return fig


def _value(reading, i, key) -> float:
    layers = reading["layers"]
    value = layers[i].get(key) if i < len(layers) else None
    return np.nan if value is None else float(value)


def lr_range_figure(finding) -> Figure:
    """The learning-rate range test: smoothed loss against the rate (log scale), the pick marked."""
    fig = Figure(figsize=(6, 3.4), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(finding.lrs, finding.losses, color="#1f6feb")
    label = (f"picked η = {finding.lr:g}" if finding.conclusive else
             f"no pick: J fell only {finding.fall:.0%}")
    ax.axvline(finding.lr, color="#d1242f", linestyle="--", label=label)
    ax.set(xscale="log", xlabel="learning rate η", ylabel="smoothed training loss J",
           title=f"learning-rate range test ({finding.optimizer})")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return fig
