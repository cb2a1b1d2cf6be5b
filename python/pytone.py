"""pytone — process audio through PyTone FX rigs from Python.

A thin ctypes binding of libpytone.so (src/api/pytone.h); nothing is
compiled. The library is found through $PYTONE_LIB, then next to this file
(../build/libpytone.so in a source tree), then the system's library path.

    import numpy as np, pytone
    with pytone.Rig("rigs/crunch.yaml", rate=48000) as rig:
        y = rig.render(x)                  # x: mono float32, y: (n,) or (n, 2)
        rig.set("amp", "drive", 7.5)       # smoothed, as from the UI
        print(rig.latency, rig.describe()["nodes"][0]["params"])

Rig.render() removes the rig's declared latency (the output lines up with
the input and is as long as it), as `pytone render` does; Rig.process()
keeps it and carries state from call to call, as a real-time stream.
"""
import ctypes
import ctypes.util
import json
import os

__all__ = ["Rig", "PyToneError", "version"]


class PyToneError(Exception):
    """A file, parameter or value the engine refused; the message names it."""


def _load():
    here = os.path.dirname(os.path.abspath(__file__))
    names = [os.environ.get("PYTONE_LIB"),
             os.path.join(here, "..", "build", "libpytone.so"),
             os.path.join(here, "libpytone.so"),
             ctypes.util.find_library("pytone")]
    tried = []
    for name in names:
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            tried.append(f"{name}: {e}")
    raise ImportError("libpytone.so not found (build it with `make`, or set PYTONE_LIB): "
                      + "; ".join(tried))


_lib = _load()
_c_float_p = ctypes.POINTER(ctypes.c_float)
_lib.pytone_version.restype = ctypes.c_char_p
_lib.pytone_open.restype = ctypes.c_void_p
_lib.pytone_open.argtypes = [ctypes.c_char_p, ctypes.c_double, ctypes.c_int, ctypes.c_char_p,
                             ctypes.c_size_t]
_lib.pytone_close.argtypes = [ctypes.c_void_p]
for _f in ("pytone_channels", "pytone_latency"):
    getattr(_lib, _f).argtypes = [ctypes.c_void_p]
    getattr(_lib, _f).restype = ctypes.c_int
_lib.pytone_rate.argtypes = [ctypes.c_void_p]
_lib.pytone_rate.restype = ctypes.c_double
_lib.pytone_process.argtypes = [ctypes.c_void_p, _c_float_p, _c_float_p, _c_float_p, ctypes.c_long]
_lib.pytone_set_param.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                  ctypes.c_double, ctypes.c_char_p, ctypes.c_size_t]
_lib.pytone_set_bypass.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                   ctypes.c_char_p, ctypes.c_size_t]
_lib.pytone_describe.argtypes = [ctypes.c_void_p]
_lib.pytone_describe.restype = ctypes.c_char_p


def version():
    return _lib.pytone_version().decode()


def _enc(s):
    return None if s is None else os.fsencode(s) if isinstance(s, os.PathLike) else s.encode()


class Rig:
    """One rig built for one sample rate; see the module's docstring."""

    def __init__(self, path, rate=48000, block=64):
        err = ctypes.create_string_buffer(2048)
        h = _lib.pytone_open(_enc(os.fspath(path)), float(rate), int(block), err, len(err))
        if not h:
            raise PyToneError(err.value.decode(errors="replace"))
        self._h = h

    def close(self):
        if getattr(self, "_h", None):
            _lib.pytone_close(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _handle(self):
        if not self._h:
            raise PyToneError("the rig is closed")
        return self._h

    @property
    def channels(self):
        return _lib.pytone_channels(self._handle())

    @property
    def latency(self):
        """Samples the rig adds (declared by its nodes)."""
        return _lib.pytone_latency(self._handle())

    @property
    def rate(self):
        return _lib.pytone_rate(self._handle())

    def process(self, x):
        """Mono float32 samples in; (n,) out for a mono rig, (n, 2) for a stereo one.
        Delayed by `latency` samples; state carries over to the next call."""
        import numpy as np
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 1:
            raise PyToneError(f"process: mono input wanted (1-D), got shape {x.shape}")
        n = len(x)
        left = np.empty(n, np.float32)
        right = np.empty(n, np.float32)
        _lib.pytone_process(self._handle(), x.ctypes.data_as(_c_float_p),
                            left.ctypes.data_as(_c_float_p), right.ctypes.data_as(_c_float_p), n)
        return left if self.channels == 1 else np.stack([left, right], axis=1)

    def render(self, x):
        """process() with the latency removed: the output lines up with x and is as long."""
        import numpy as np
        x = np.asarray(x, dtype=np.float32)
        lat = self.latency
        y = self.process(np.concatenate([x, np.zeros(lat, np.float32)]))
        return y[lat:]

    def set(self, node, param, value):
        """Set node.param (smoothed); node may be None for a one-node rig."""
        err = ctypes.create_string_buffer(1024)
        if _lib.pytone_set_param(self._handle(), _enc(node), _enc(param), float(value), err,
                                 len(err)):
            raise PyToneError(err.value.decode(errors="replace"))

    def bypass(self, node, on=True):
        err = ctypes.create_string_buffer(1024)
        if _lib.pytone_set_bypass(self._handle(), _enc(node), int(bool(on)), err, len(err)):
            raise PyToneError(err.value.decode(errors="replace"))

    def describe(self):
        """The rig's nodes and parameters (ranges, units, defaults, values)."""
        return json.loads(_lib.pytone_describe(self._handle()).decode())
