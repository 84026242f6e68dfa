"""Where the numbers live: NumPy arrays on the CPU, CuPy arrays on a GPU — one set of math.

glassnet's math is written once, against an *array namespace* ``xp``: the module whose
functions compute on an array (``xp.matmul``, ``xp.exp``, ``xp.sum`` …). For a NumPy array
``xp`` is ``numpy``; for a CuPy array it is ``cupy``, which provides the same functions with
the same signatures, so the same forward, backward and optimizer code runs on a GPU::

    xp = namespace_of(z)          # numpy for NumPy arrays (the fast path: one type check)
    out = xp.exp(z, out=z)

A model is moved with ``model.to("cuda")`` (or ``fit(..., device="cuda")``): every layer then
caches its ``xp`` once, so the hot loop pays no lookup per operation. ``to_device`` and
``to_numpy`` move single arrays. CuPy is imported only when a device other than "cpu" is
asked for or a CuPy array shows up — a CPU-only machine never imports it.

Devices are a small closed table. "cpu" and "cuda" are built in; ``register_device`` adds
another namespace that follows the same contract (the tests use it to run the whole device
path on the CPU through a recording NumPy namespace).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

from glassnet.errors import ConfigError, unknown_name


@dataclass
class Device:
    """A place arrays can live: its namespace, its array type, and the two copies."""

    name: str
    xp: object  # the array namespace (a module, or an object with the same functions)
    array_type: type
    from_numpy: Callable  # numpy array → array on this device
    to_numpy: Callable  # array on this device → numpy array

    def __reduce__(self):  # a model pickles its device by name (modules do not pickle)
        return get_device, (self.name,)

    def __repr__(self):
        return f"Device({self.name!r})"


CPU = Device("cpu", np, np.ndarray, lambda a: a, lambda a: a)
_DEVICES: dict[str, Device] = {"cpu": CPU}
_BY_TYPE: dict[type, Device] = {np.ndarray: CPU}
_LOADERS: dict[str, Callable[[], Device]] = {}


def _load_cuda() -> Device:
    """CuPy, imported on first use; a clear error when it or a GPU is missing."""
    try:
        import cupy
    except ImportError:
        raise ConfigError(
            "device 'cuda' needs CuPy, which is not installed. Install glassnet's GPU extra "
            "(pip install 'glassnet[gpu]', i.e. cupy-cuda12x) on a machine with an NVIDIA GPU."
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDA driver missing or broken: CuPy raises its own runtime errors
        raise ConfigError(f"device 'cuda': CuPy found no usable GPU ({e}).") from None
    if count < 1:
        raise ConfigError("device 'cuda': CuPy found no GPU on this machine. Use device='cpu'.")
    return Device("cuda", cupy, cupy.ndarray, cupy.asarray, cupy.asnumpy)


_LOADERS["cuda"] = _load_cuda


def register_device(device: Device) -> Device:
    """Add (or replace) a device; its arrays are recognised by ``namespace_of`` from then on."""
    _DEVICES[device.name] = device
    _BY_TYPE[device.array_type] = device
    return device


def unregister_device(name: str) -> None:
    device = _DEVICES.pop(name, None)
    if device is not None:
        _BY_TYPE.pop(device.array_type, None)


def get_device(name) -> Device:
    """The ``Device`` called ``name`` ("cpu", "cuda", or a registered one)."""
    if isinstance(name, Device):
        return name
    key = str(name).lower() if isinstance(name, str) else name
    if key in ("gpu", "cuda:0"):
        key = "cuda"
    if key in _DEVICES:
        return _DEVICES[key]
    if key in _LOADERS:
        return register_device(_LOADERS[key]())
    raise unknown_name("device", name, set(_DEVICES) | set(_LOADERS))


def device_of(array) -> Device:
    """The device an array lives on (the CPU for NumPy arrays, scalars and lists)."""
    device = _BY_TYPE.get(type(array))
    if device is not None:
        return device
    if type(array).__module__.split(".")[0] == "cupy":  # a CuPy array made by the user
        return get_device("cuda")
    return CPU


def namespace_of(array):
    """The array namespace that computes on ``array``: numpy, cupy, … (NumPy by default)."""
    if type(array) is np.ndarray:
        return np
    return device_of(array).xp


def to_device(array, device):
    """``array`` on ``device`` ("cpu", "cuda", …): itself when it is already there."""
    target = get_device(device)
    source = device_of(array)
    if source is target:
        return array
    host = source.to_numpy(array) if source is not CPU else np.asarray(array)
    return target.from_numpy(host)


def to_numpy(array):
    """A NumPy array with the values of ``array`` wherever it lives (a copy from a GPU)."""
    if type(array) is np.ndarray:
        return array
    return device_of(array).to_numpy(array) if device_of(array) is not CPU else np.asarray(array)


def is_dask_array(x) -> bool:
    """True for a ``dask.array.Array`` — without importing dask when nobody has."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(x, module.Array)
