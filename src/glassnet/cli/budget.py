"""``glassnet train``: refuse a network that cannot fit in memory before loading any data.

``--hidden 10000000000`` or ``--size 60000x60000`` are valid numbers; without this check they
would end in a ``MemoryError`` (or the kernel killing the process) minutes later. The weights
of one layer are (n_in × units) float32 values; when even one layer needs more than this
machine's physical memory the run cannot work, and the message says both sizes.
"""

from __future__ import annotations

from glassnet.errors import ConfigError
from glassnet.limits import check_allocation

FLOAT32 = 4


def check_network_budget(options: dict, n_in: int | None = None) -> None:
    """Refuse the run when one layer's float32 weights (or one image row) exceed memory.

    ``n_in`` is the number of input features once the data is loaded; before that it is
    what ``--size`` implies (one channel: the least it can be), or unknown.
    """
    hidden = [int(units) for units in options.get("hidden") or ()]
    size = options.get("size")
    if n_in is None and size is not None:
        n_in = int(size[0]) * int(size[1])
        check_allocation(n_in * FLOAT32, f"--size {size[0]}x{size[1]}: one image as float32 row",
                         ConfigError)
    widths = ([n_in] if n_in is not None else []) + hidden
    first = n_in is not None
    for k in range(len(widths) - 1):
        n_bytes = widths[k] * widths[k + 1] * FLOAT32
        what = _flag(options, k, first)
        check_allocation(n_bytes, f"{what}: {'the first layer' if k == 0 and first else 'one layer'} "
                                  f"alone ({widths[k]:,} × {widths[k + 1]:,} float32 weights)", ConfigError)


def _flag(options, k: int, first: bool) -> str:
    """The option that made layer ``k`` big, as the user typed it."""
    hidden = " ".join(str(units) for units in options.get("hidden") or ())
    size = options.get("size")
    if k == 0 and first and size is not None:
        return f"--size {size[0]}x{size[1]} with --hidden {hidden}"
    return f"--hidden {hidden}"

