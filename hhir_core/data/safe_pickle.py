"""Read annotation pickles without running code from them.

``pickle.load`` calls whatever callable a file names (``os.system`` included), so
every annotation pickle hhir did not write itself goes through
:func:`load_annotation_pickle`: an :class:`pickle.Unpickler` whose ``find_class``
allows only what the NTU / mmaction2 / pyskl formats hold — plain containers,
numbers, strings, bytes and numpy arrays, scalars and dtypes. Anything else, and
any malformed byte stream (truncated, bit-flipped), is one :class:`DataError`
naming the file. The packed layout (see :mod:`hhir_core.data.ntu`) is the
pickle-free alternative.
"""
from __future__ import annotations

import _compat_pickle
import os
import pickle
import warnings
from pathlib import Path
from typing import Any, BinaryIO, FrozenSet, Tuple, Union

from ..errors import DataError

#: ``(module, name)`` pairs an annotation file may reference, and what they resolve to.
ALLOWED_BUILTINS: FrozenSet[Tuple[str, str]] = frozenset(
    [("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "int", "float",
                               "complex", "str", "bytes", "bytearray", "bool", "slice",
                               "range")]
    + [("collections", "OrderedDict"), ("collections", "defaultdict"),
       ("_codecs", "encode")])  # protocol-2 pickles store bytes as _codecs.encode(str, latin1)
_NUMPY = {("numpy", "dtype"): "dtype", ("numpy", "ndarray"): "ndarray"}
for _mod in ("numpy.core", "numpy._core"):
    _NUMPY.update({(f"{_mod}.multiarray", "_reconstruct"): "_reconstruct",
                   (f"{_mod}.multiarray", "scalar"): "scalar",
                   (f"{_mod}.numeric", "_frombuffer"): "_frombuffer"})
ALLOWED_GLOBALS: FrozenSet[Tuple[str, str]] = ALLOWED_BUILTINS | frozenset(_NUMPY)


class UnsafePickleError(DataError):
    """The pickle references a global outside :data:`ALLOWED_GLOBALS`."""


class _Corrupt(Exception):
    """Internal: numpy objects in the stream are inconsistent."""


# numpy's own reconstructors trust their input: an edited dtype state (e.g. ``'a8'``
# with an int64 state) crashes the interpreter. So dtypes and arrays are rebuilt
# here from checked values, through placeholders replaced after loading.
class _DTypeSpec:
    """``numpy.dtype(obj, align, copy)`` + its pickled state, resolved after checks."""

    def __init__(self, obj: Any = None, align: Any = False, copy: Any = True) -> None:
        self.obj, self.align, self.state, self._dtype = obj, align, None, None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def resolve(self) -> Any:
        import numpy as np

        if self._dtype is not None:
            return self._dtype
        if not isinstance(self.obj, str) or not isinstance(self.align, bool):
            raise _Corrupt(f"numpy dtype({self.obj!r}, align={self.align!r})")
        dtype = np.dtype(self.obj, align=self.align)
        if self.state is not None:
            if not isinstance(self.state, tuple) or len(self.state) < 2:
                raise _Corrupt(f"numpy dtype state {self.state!r}")
            order = self.state[1]
            if order in ("<", ">") and dtype.byteorder != "|":
                dtype = dtype.newbyteorder(order)
            if dtype.__reduce__()[2] != self.state:
                raise _Corrupt(f"numpy dtype {self.obj!r} with inconsistent state "
                               f"{self.state!r}")
        self._dtype = dtype
        return dtype


def _dtype_of(value: Any) -> Any:
    if not isinstance(value, _DTypeSpec):
        raise _Corrupt(f"expected a numpy dtype, got {type(value).__name__}")
    return value.resolve()


class _ArraySpec:
    """``numpy.core.multiarray._reconstruct(ndarray, ...)`` then ``__setstate__``."""

    def __init__(self, cls: Any = None, shape: Any = None, dtype: Any = None) -> None:
        if cls is not _NdarrayMarker:
            raise _Corrupt("_reconstruct of something other than numpy.ndarray")
        self.state, self._array = None, None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def resolve(self) -> Any:
        import numpy as np

        if self._array is not None:
            return self._array
        state = self.state
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise _Corrupt(f"numpy array state of type {type(state).__name__}")
        if len(state) == 4:
            state = (1,) + state
        version, shape, dtype, fortran, data = state
        dtype = _dtype_of(dtype)
        if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise _Corrupt(f"numpy array shape {shape!r}")
        if not isinstance(fortran, bool):
            raise _Corrupt(f"numpy array order flag {fortran!r}")
        array = np.ndarray.__new__(np.ndarray, (0,), np.uint8)
        if dtype.hasobject:
            if not isinstance(data, list):
                raise _Corrupt("object array without a list of items")
            data = [_finalize(v, {}) for v in data]
        elif not isinstance(data, (bytes, bytearray)):
            raise _Corrupt(f"numpy array data of type {type(data).__name__}")
        array.__setstate__((version, shape, dtype, fortran, data))
        self._array = array
        return array


class _NdarrayMarker:
    """Stands for ``numpy.ndarray`` (only ever an argument of ``_reconstruct``)."""


def _scalar(dtype: Any, data: Any = None) -> Any:
    import numpy as np

    dtype = _dtype_of(dtype)
    if dtype.hasobject:
        return _finalize(data, {})
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise _Corrupt(f"numpy scalar of {dtype} with {len(data) if isinstance(data, bytes) else data!r} bytes")
    return np.frombuffer(data, dtype=dtype)[0].copy()


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> Any:
    import numpy as np

    dtype = _dtype_of(dtype)
    if dtype.hasobject or order not in ("C", "F") or not isinstance(shape, tuple):
        raise _Corrupt("numpy _frombuffer arguments")
    return np.frombuffer(bytes(buf), dtype=dtype).reshape(shape, order=order)


_NUMPY_IMPL = {"dtype": _DTypeSpec, "ndarray": _NdarrayMarker, "_reconstruct": _ArraySpec,
               "scalar": _scalar, "_frombuffer": _frombuffer}


def _finalize(obj: Any, seen: dict) -> Any:
    """Replace the placeholders by real numpy objects, keeping shared references shared."""
    key = id(obj)
    if key in seen:
        return seen[key]
    if isinstance(obj, (_DTypeSpec, _ArraySpec)):
        out = obj.resolve()
    elif isinstance(obj, dict):
        seen[key] = obj
        for k in list(obj):
            obj[k] = _finalize(obj[k], seen)
        return obj
    elif isinstance(obj, list):
        seen[key] = obj
        obj[:] = [_finalize(v, seen) for v in obj]
        return obj
    elif isinstance(obj, tuple):
        out = tuple(_finalize(v, seen) for v in obj)
    elif isinstance(obj, (set, frozenset)):
        out = type(obj)(_finalize(v, seen) for v in obj)
    else:
        return obj
    seen[key] = out
    return out


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        # Python-2 names (protocol < 3 pickles write ``__builtin__.set``) -> Python 3 names
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        if (module, name) in _NUMPY:
            return _NUMPY_IMPL[_NUMPY[(module, name)]]
        if (module, name) not in ALLOWED_BUILTINS:
            raise UnsafePickleError(f"{module}.{name}")
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"persistent id {str(pid)[:40]!r}")


class _BoundedReader:
    """File view whose ``read(n)`` never asks for more than what is left.

    A flipped length byte in a pickle can claim gigabytes; without the bound the
    reader would allocate that much before noticing the file is short.
    """

    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f, self._left = f, size

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(self._left if n < 0 or n > self._left else n)
        self._left -= len(data)
        return data

    def readinto(self, buf: Any) -> int:
        with memoryview(buf) as view, view[:min(len(view), self._left)] as part:
            n = self._f.readinto(part) or 0
        self._left -= n
        return n

    def readline(self) -> bytes:
        line = self._f.readline(self._left)
        self._left -= len(line)
        return line


def load_annotation_pickle(path: Union[str, Path]) -> Any:
    """Unpickle ``path`` allowing only data types; every failure is a :class:`DataError`."""
    path = str(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb", buffering=1 << 20) as f, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy deprecations about odd dtype strings
            data = _RestrictedUnpickler(_BoundedReader(f, size), encoding="latin1").load()
            return _finalize(data, {})
    except UnsafePickleError as exc:
        raise UnsafePickleError(
            f"annotation file {path!r} refers to {exc}, which is not allowed in annotation "
            "files (only containers, numbers, strings and numpy arrays are; hhir never runs "
            "code from data files). Re-export the data as plain lists/dicts/arrays, or use "
            "the packed layout (docs/data.md)") from None
    except OSError as exc:
        raise DataError(f"annotation file {path!r} cannot be read: {exc}") from None
    except MemoryError:
        raise DataError(f"annotation file {path!r} is corrupt (it claims more memory than "
                        "is available); re-create or re-download it") from None
    except RecursionError:
        raise DataError(f"annotation file {path!r} is corrupt (nested too deeply)") from None
    except Exception as exc:  # malformed stream: UnpicklingError, EOF, Overflow, Lookup, ...
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise DataError(f"annotation file {path!r} is truncated or not a valid pickle "
                        f"({type(exc).__name__}{': ' + detail if detail else ''}); "
                        "re-create or re-download it") from None


def dump_plain(obj: Any, path: Union[str, Path]) -> None:
    """Write ``obj`` as a pickle :func:`load_annotation_pickle` accepts (atomically)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        pickle.dump(obj, f, protocol=4)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)

