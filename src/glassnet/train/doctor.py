"""The training doctor: rules that turn the instruments' readings into diagnoses.

Every rule reads ``Facts`` (the per-epoch losses and accuracies, the ``instruments`` readings,
the majority-class rate) and returns a ``Diagnosis`` — the problem's id, where it happened,
the numbers that show it, why the article's math stops learning there, and the flag to change.
The thresholds below are written down with the runs that set them in docs/doctor.md.

Notation: J the training loss per epoch, k the number of classes, L_u = ln k the loss of a
uniform guess (ln 2 for one sigmoid output), η the learning rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from glassnet.train.keep import clear_gap

BLOWUP = 3.0             # diverged: J above 3·L_u, far worse than guessing uniformly
UPDATE_EXPLODES = 10.0   # exploding_gradient: an epoch moved W by more than 10 × ‖W‖
VANISHING_RATIO = 1e-3   # vanishing_gradient: first layer's gradient RMS / last layer's
SATURATED_SHARE = 0.5    # saturated_units: half of a layer's σ(z) outside [0.01, 0.99]
DEAD_SHARE = 0.5         # dead_units: half of a layer's ReLUs at z ≤ 0 for the whole probe
STUCK_LOSS = 0.25        # … and only while J is still above L_u / 4: a net that fits is not stuck
OSCILLATION_RISE = 0.10  # oscillating_loss: an epoch raised J by more than 10 % …
OSCILLATION_RISES = 3    # … at least 3 times, and the last J is 1.5 × its best
OSCILLATION_UNSETTLED = 1.5
SLOW_LOSS = 0.5          # slow_convergence: J still above L_u / 2 and falling every epoch
SLOW_EPOCHS = 3
CHANCE_MARGIN = 0.1      # chance_level: accuracy within 10 % of the way from chance to 1
OVERFIT_GAP = 0.15       # overfitting: training accuracy − validation accuracy above 0.15
OVERFIT_EPOCHS = 3       # … in the last epoch and in the median of the last 3


@dataclass
class Diagnosis:
    """One problem: ``problem`` id, ``what`` (with numbers), ``why`` (the math), ``fix``."""

    problem: str
    what: str
    why: str
    fix: str
    epoch: int | None = None
    layer: int | None = None
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"problem": self.problem, "epoch": self.epoch, "layer": self.layer,
                "evidence": self.evidence, "what": self.what, "why": self.why, "fix": self.fix}

    @classmethod
    def from_dict(cls, data: dict) -> Diagnosis:
        keys = ("problem", "what", "why", "fix", "epoch", "layer", "evidence")
        return cls(**{k: data.get(k) for k in keys if k in data})

    def __str__(self) -> str:
        return f"warning: {self.problem}: {self.what}\n  {self.why}\n  Try: {self.fix}"


@dataclass
class Facts:
    """What the rules read: per-epoch history, the probe readings and the run's settings."""

    history: dict
    readings: list
    chance: float | None = None
    n_classes: int | None = None
    lr: float | None = None
    n_validation: int = 0
    diverged_epoch: int | None = None  # 0-based epoch whose loss became NaN or inf
    data_accuracy: float | None = None  # accuracy on the data given to ``diagnose``

    @property
    def uniform_loss(self) -> float | None:
        return math.log(self.n_classes) if self.n_classes and self.n_classes >= 2 else None

    def series(self, key) -> list:
        return [v for v in self.history.get(key, []) if v is not None]

    def layers(self, epoch_index=-1) -> list:
        return self.readings[epoch_index]["layers"] if self.readings else []

    def lr_times(self, factor: float) -> str:
        if self.lr:
            return f"--lr {self.lr * factor:.3g}"
        return f"a {'smaller' if factor < 1 else 'larger'} --lr"


def diverged(f: Facts):
    if f.diverged_epoch is not None:
        epoch = f.diverged_epoch + 1
        return Diagnosis(
            "diverged", f"the training loss became NaN or infinite in epoch {epoch}",
            "Each step θ ← θ − η·∂J/∂θ overshot the minimum by more than it gained, so |θ| grew until "
            "z = Wᵀx + b overflowed; the weights of the last good epoch were kept.",
            f"{f.lr_times(0.1)} (10× smaller)" + (", then continue with --resume" if epoch > 1 else ""),
            epoch=epoch,
            evidence={"loss": "nan/inf", "lr": f.lr})
    loss, bound = f.series("loss"), f.uniform_loss
    if bound is None or not loss:
        return None
    worst = max(range(len(loss)), key=lambda i: loss[i])
    if loss[worst] <= BLOWUP * bound:
        return None
    return Diagnosis(
        "diverged", f"the training loss reached J = {loss[worst]:.4g} in epoch {worst + 1}, "
        f"{loss[worst] / bound:.3g}× the ln {f.n_classes} = {bound:.3f} of a uniform guess",
        "J = −(1/n)Σ log p_y grows when the steps η·∂J/∂θ overshoot: the network became confidently "
        "wrong, so p_y → 0 and −log p_y is huge.",
        f"{f.lr_times(0.1)} (10× smaller)", epoch=worst + 1,
        evidence={"loss": loss[worst], "uniform_loss": round(bound, 4), "lr": f.lr})


def exploding_gradient(f: Facts):
    loss, bound = f.series("loss"), f.uniform_loss
    for reading in f.readings:
        epoch = reading["epoch"]
        for layer in reading["layers"]:
            ratio, grad = layer.get("update_ratio"), layer.get("grad_norm")
            first_bad = epoch == 1 and bool(loss) and bound is not None and loss[0] > bound
            if grad is None or (ratio is not None and ratio > UPDATE_EXPLODES and (epoch > 1 or first_bad)):
                shown = "‖∂J/∂W‖ is not finite" if grad is None else f"‖ΔW‖/‖W‖ = {ratio:.3g}"
                return Diagnosis(
                    "exploding_gradient", f"in epoch {epoch}, layer {layer['layer']}: {shown}; one epoch "
                    "should move the weights by well under their own size",
                    "The step ΔW = −η·∂J/∂W is larger than W itself: ∂J/∂W = xᵀg_z multiplies the "
                    "backpropagated g by every layer's W, so large weights make larger steps, and so on.",
                    f"{f.lr_times(0.1)} (10× smaller), or --standardize", epoch=epoch, layer=layer["layer"],
                    evidence={"update_ratio": ratio, "grad_norm": grad, "lr": f.lr})
    return None


def _stuck(f: Facts) -> bool:
    """Saturated or dead units matter while the loss is still high: a network that has fitted
    its data (J near 0) with many saturated units is working, not stuck."""
    loss, bound = f.series("loss"), f.uniform_loss
    return bound is None or not loss or loss[-1] > STUCK_LOSS * bound


def saturated_units(f: Facts):
    if not _stuck(f):
        return None
    for layer in f.layers():
        share = layer.get("saturated")
        if share is not None and share >= SATURATED_SHARE:
            sigmoid = layer["activation"] == "sigmoid"
            name = "σ(z) < 0.01 or > 0.99" if sigmoid else "|tanh(z)| > 0.98"
            slope = "σ'(z) = σ(z)(1 − σ(z)) < 0.01" if sigmoid else "tanh'(z) = 1 − tanh² < 0.04"
            return Diagnosis(
                "saturated_units", f"in layer {layer['layer']} ({layer['activation']}), {share:.0%} of the "
                f"activations on the probe batch are saturated ({name})",
                f"There {slope}, so ∂L/∂W = xᵀ(f'(z) ⊙ g) is almost zero and these units stop learning; "
                "|z| = |Wᵀx + b| grew too large (too large a learning rate or inputs).",
                f"{f.lr_times(0.1)} (10× smaller), or --standardize", epoch=f.readings[-1]["epoch"],
                layer=layer["layer"], evidence={"saturated_share": round(share, 4)})
    return None


def dead_units(f: Facts):
    if not _stuck(f):
        return None
    for layer in f.layers():
        share = layer.get("dead")
        if share is not None and share >= DEAD_SHARE:
            return Diagnosis(
                "dead_units", f"in layer {layer['layer']} ({layer['activation']}), {share:.0%} of the units "
                "have z ≤ 0 for every row of the probe batch",
                "For z ≤ 0 relu'(z) = 0, so g_z = relu'(z) ⊙ g = 0 and ∂L/∂W = xᵀg_z is zero: a dead unit "
                "never changes again. A step that pushed b and W far negative killed them.",
                f"{f.lr_times(0.1)} (10× smaller), --init he_normal, or --activation leaky_relu",
                epoch=f.readings[-1]["epoch"], layer=layer["layer"], evidence={"dead_share": round(share, 4)})
    return None


def vanishing_gradient(f: Facts):
    layers = f.layers()
    if len(layers) < 2 or not layers[0].get("grad_norm") or not layers[-1].get("grad_norm"):
        return None
    first, last = layers[0], layers[-1]
    ratio = _rms(first) / _rms(last)
    if ratio >= VANISHING_RATIO:
        return None
    return Diagnosis(
        "vanishing_gradient", f"layer 1's gradient is {ratio:.2g}× the output layer's (RMS per weight "
        f"{_rms(first):.2g} vs {_rms(last):.2g})",
        "Backpropagation multiplies g by Wᵀ and f'(z) at every layer: ∂L/∂x = (f'(z) ⊙ g)Wᵀ. With "
        "σ'(z) ≤ 1/4 and small W the product shrinks layer by layer, so the first layers barely move.",
        "fewer layers (--hidden 128 64), --init glorot_uniform or he_normal, or --activation relu",
        epoch=f.readings[-1]["epoch"], layer=1, evidence={"gradient_ratio": ratio})


def _rms(layer) -> float:
    return layer["grad_norm"] / math.sqrt(max(layer.get("size", 1), 1))


def oscillating_loss(f: Facts):
    loss = f.series("loss")
    rises = [i for i in range(1, len(loss)) if loss[i] > loss[i - 1] * (1 + OSCILLATION_RISE)]
    if len(rises) < OSCILLATION_RISES or loss[-1] < OSCILLATION_UNSETTLED * min(loss):
        return None
    return Diagnosis(
        "oscillating_loss", f"the training loss rose by more than {OSCILLATION_RISE:.0%} in {len(rises)} "
        f"epochs ({', '.join(str(i + 1) for i in rises)}) and ends at {loss[-1]:.4g}, "
        f"{loss[-1] / min(loss):.2g}× its best",
        "The step −η·∂J/∂θ jumps across the valley of J instead of down it: along a steep direction "
        "with curvature h, steps larger than 2/h make J bounce from one side to the other.",
        f"{f.lr_times(1 / 3)} (3× smaller)", epoch=rises[-1] + 1, evidence={"rises": len(rises), "loss": loss[-1]})


def slow_convergence(f: Facts):
    loss, bound = f.series("loss"), f.uniform_loss
    if bound is None or len(loss) <= SLOW_EPOCHS or loss[-1] <= SLOW_LOSS * bound:
        return None
    if not all(loss[i] < loss[i - 1] for i in range(len(loss) - SLOW_EPOCHS, len(loss))):
        return None
    return Diagnosis(
        "slow_convergence", f"after {len(loss)} epochs the training loss is still J = {loss[-1]:.4g} "
        f"(a uniform guess: {bound:.3f}) and still falling every epoch",
        "Each step moves θ by η·‖∂J/∂θ‖; with this η the descent has not yet reached the valley, "
        "so the network underfits.",
        f"{f.lr_times(3)} (3× larger) or more --epochs", epoch=len(loss), evidence={"loss": loss[-1], "lr": f.lr})


def chance_level(f: Facts):
    key = "val_accuracy" if f.series("val_accuracy") else "accuracy"
    accuracy = f.series(key)
    if f.data_accuracy is not None:
        key, accuracy = "accuracy on the data", [f.data_accuracy]
    if f.chance is None or not accuracy:
        return None
    bar = f.chance + CHANCE_MARGIN * (1 - f.chance)
    if accuracy[-1] > bar:
        return None
    return Diagnosis(
        "chance_level", f"{key.replace('_', ' ')} {accuracy[-1]:.3f} is at chance: always answering the "
        f"most frequent class scores {f.chance:.3f}",
        "The network learned nothing that a constant answer does not: the outputs p = softmax(z) "
        "hardly depend on x, so ∂J/∂W carries no signal about the classes.",
        "the fixes above, if any; otherwise the default --lr and --init (drop both), or --lr auto",
        epoch=len(accuracy),
        evidence={key: accuracy[-1], "chance": round(f.chance, 4)})


def overfitting(f: Facts):
    train, val = f.series("accuracy"), f.series("val_accuracy")
    if not train or not val:
        return None
    gap = train[-1] - val[-1]
    # the gap must hold: one noisy last epoch (a step that overshot) is not overfitting
    held = sorted(t - v for t, v in zip(train[-OVERFIT_EPOCHS:], val[-OVERFIT_EPOCHS:]))
    if min(gap, held[len(held) // 2]) <= max(
            OVERFIT_GAP, clear_gap(val[-1], f.n_validation) if f.n_validation else 0.0):
        return None
    return Diagnosis(
        "overfitting", f"training accuracy {train[-1]:.3f} vs validation {val[-1]:.3f}: a gap of {gap:.3f}",
        "J is minimized on the training rows only; with many weights per row the network fits their "
        "noise, which does not carry over to new rows.",
        "more data, --l2 1 (penalty (λ/2n)‖W‖²), fewer units (--hidden 64), or --patience 5",
        epoch=len(val), evidence={"accuracy": train[-1], "val_accuracy": val[-1], "gap": round(gap, 4)})


RULES = (diverged, exploding_gradient, saturated_units, dead_units, vanishing_gradient,
         oscillating_loss, slow_convergence, chance_level, overfitting)
PROBLEMS = tuple(rule.__name__ for rule in RULES)
CAUSES = ("saturated_units", "dead_units")  # their warning already explains a vanishing gradient


def examine(facts: Facts) -> list[Diagnosis]:
    """Every rule's diagnosis, in the order of ``RULES`` (the most severe first)."""
    found = [d for d in (rule(facts) for rule in RULES) if d is not None]
    if any(d.problem in CAUSES for d in found):
        found = [d for d in found if d.problem != "vanishing_gradient"]
    return found
