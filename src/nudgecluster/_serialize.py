"""Binary (de)serialisers for numpy arrays in widget traits.

An array travels as ``{"dtype": "float32", "shape": [n, 2], "buffer": <bytes>}``: ipywidgets lifts the
memoryview out of the JSON message into a binary buffer, so N points cost 8 N bytes on the wire, not a
JSON list of numbers. The front end reads the buffer as a typed array without copying.

``NDArray`` is the matching trait type: it coerces to one dtype, keeps arrays read-only (what was sent
must not change behind the front end's back) and compares by content so an unchanged array is not
re-sent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

__all__ = ["NDArray", "array_to_json", "array_from_json", "array_serialization"]

#: dtypes the front end decodes (js/src/codec.ts); anything else is refused rather than guessed.
WIRE_DTYPES = frozenset(
    {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"}
)


def array_to_json(value: np.ndarray | None, widget: Any = None) -> dict | None:
    """numpy array -> {"dtype", "shape", "buffer"} with a zero-copy memoryview as the buffer."""
    if value is None:
        return None
    arr = np.ascontiguousarray(value)
    if arr.dtype.byteorder == ">":  # typed arrays in the browser are little-endian
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    dtype = arr.dtype.name
    if dtype not in WIRE_DTYPES:
        raise TypeError(f"cannot send dtype {dtype} to the front end")
    buffer = memoryview(arr).cast("B") if arr.size else b""
    return {"dtype": dtype, "shape": list(arr.shape), "buffer": buffer}


def array_from_json(value: Any, widget: Any = None) -> np.ndarray | None:
    """{"dtype", "shape", "buffer"} (or, leniently, a plain list) -> read-only numpy array."""
    if value is None:
        return None
    if isinstance(value, dict):
        dtype = str(value.get("dtype", ""))
        if dtype not in WIRE_DTYPES:
            raise ValueError(f"unsupported dtype from the front end: {dtype!r}")
        buffer = value.get("buffer")
        if buffer is None:
            raise ValueError("array message without a buffer")
        arr = np.frombuffer(buffer, dtype=np.dtype(dtype).newbyteorder("<"))
        shape = tuple(int(s) for s in value.get("shape", [arr.size]))
        if int(np.prod(shape)) != arr.size:
            raise ValueError(f"buffer of {arr.size} items does not fit shape {shape}")
        return arr.reshape(shape)
    return np.asarray(value)


array_serialization = {"to_json": array_to_json, "from_json": array_from_json}


class NDArray(traitlets.TraitType):
    """A numpy array trait of shape ``(n, *tail)`` and one of the allowed dtypes.

    ``NDArray("float32", (2,))`` holds (n, 2) float32; ``NDArray(("uint8", "uint16"))`` keeps
    either dtype as given and converts anything else to the first one (refusing values that do
    not fit, rather than wrapping them around).
    """

    info_text = "a numpy array"

    def __init__(self, dtype: str | tuple[str, ...], tail: tuple[int, ...] = (), **kwargs: Any):
        names = (dtype,) if isinstance(dtype, str) else tuple(dtype)
        self.dtypes = tuple(np.dtype(d) for d in names)
        self.tail = tuple(tail)
        default = np.zeros((0, *self.tail), dtype=self.dtypes[0])
        default.flags.writeable = False
        kwargs.setdefault("default_value", default)
        super().__init__(**kwargs)

    def validate(self, obj: Any, value: Any) -> np.ndarray:
        try:
            arr = np.asarray(value)
            if arr.dtype not in self.dtypes:
                target = self.dtypes[0]
                if arr.size and np.issubdtype(target, np.integer):
                    if not np.issubdtype(arr.dtype, np.integer) and not (
                        np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))
                    ):
                        raise TypeError
                    info = np.iinfo(target)
                    if arr.min() < info.min or arr.max() > info.max:
                        raise TypeError
                arr = arr.astype(target)
        except (TypeError, ValueError):
            self.error(obj, value)
        if arr.size == 0:
            arr = arr.reshape((0, *self.tail))
        elif arr.ndim != 1 + len(self.tail) or arr.shape[1:] != self.tail:
            self.error(obj, value)
        arr = np.ascontiguousarray(arr)
        if arr is value or arr.flags.writeable:
            arr = arr.view()  # a read-only view; the caller's own array stays writeable
            arr.flags.writeable = False
        return arr

    def set(self, obj: traitlets.HasTraits, value: Any) -> None:
        new_value = self._validate(obj, value)
        try:
            old_value = obj._trait_values[self.name]
        except KeyError:
            old_value = self.default_value
        obj._trait_values[self.name] = new_value
        same = (
            isinstance(old_value, np.ndarray)
            and old_value.shape == new_value.shape
            and old_value.dtype == new_value.dtype
            and (old_value is new_value or np.array_equal(old_value, new_value))
        )
        if not same:
            obj._notify_trait(self.name, old_value, new_value)
