"""arrayport: the Python array API standard (2025.12) on devices served by backend plugins.

``import arrayport as xp`` gives the namespace. Non-standard names are marked so in
their docstrings: ``Device``, ``default_device``, ``asarray_plan``, ``backends`` and
``register_backend``, ``materialize``, and the exception classes.
"""

# No ``from __future__ import annotations`` here: it would add a public name.

# Each section's public names are declared once, in its module's ``__all__``; the
# namespace takes them over and its ``__all__`` is what it then holds.

# ---- objects -------------------------------------------------------------------------
from arrayport._array_object import Array as Array
from arrayport._devices import Device as Device
from arrayport._placement import default_device as default_device

# ---- the standard's sections ---------------------------------------------------------
from arrayport._dtypes import *
from arrayport._creation_functions import *
from arrayport._constants import *
from arrayport._data_type_functions import *
from arrayport._elementwise_functions import *
from arrayport._indexing_functions import *
from arrayport._linear_algebra_functions import *
from arrayport._manipulation_functions import *
from arrayport._searching_functions import *
from arrayport._set_functions import *
from arrayport._sorting_functions import *
from arrayport._statistical_functions import *
from arrayport._utility_functions import *
from arrayport._info import *

# ---- extensions ----------------------------------------------------------------------
from arrayport import fft as fft, linalg as linalg

# ---- the Array's operators, from the functions above ---------------------------------
from arrayport import _operators  # noqa: F401 - it installs the Array's operators

# ---- autograd (non-standard): formulas attached, Array.backward installed ------------
from arrayport import autograd as autograd

# ---- plans, backends, threads and errors (non-standard) ------------------------------
from arrayport._plans import Plan as Plan, Step as Step
from arrayport._conversion import asarray_plan as asarray_plan
from arrayport._plugins import (
    BackendInfo as BackendInfo,
    backends as backends,
    register_backend as register_backend,
    unregister_backend as unregister_backend,
)
from arrayport._threads import *
from arrayport._lazy import *
from arrayport._errors import *
from arrayport.hookspecs import hookimpl as hookimpl

__array_api_version__ = "2025.12"


def _installed_version() -> str:
    """The installed distribution's version (rule PR-5)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("arrayport")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


__version__: str = _installed_version()
del _installed_version

__all__ = [
    "__array_api_version__",
    "__array_namespace_info__",
    "fft",
    "linalg",
    # Every public name above, but modules: the extensions are listed; hookspecs and
    # autograd are not (non-standard).
    *(name for name, v in globals().items() if name[0] != "_" and type(v) is not type(fft)),
]
