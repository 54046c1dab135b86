"""arrayport: the Python array API standard (2025.12) on devices served by backend plugins.

``import arrayport as xp`` gives the namespace. Non-standard names are marked so in
their docstrings: ``Device``, ``default_device``, ``asarray_plan``, ``backends`` and
``register_backend``, and the exception classes.
"""

# No ``from __future__ import annotations`` here: it would add a public name.

# ---- objects -------------------------------------------------------------------------
from arrayport._array_object import Array
from arrayport._devices import Device
from arrayport._placement import default_device_context as default_device

# ---- dtypes --------------------------------------------------------------------------
from arrayport._dtypes import (
    bool,
    complex64,
    complex128,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)

# ---- creation functions --------------------------------------------------------------
from arrayport._creation_functions import (
    arange,
    asarray,
    empty,
    empty_like,
    eye,
    from_dlpack,
    full,
    full_like,
    linspace,
    meshgrid,
    ones,
    ones_like,
    tril,
    triu,
    zeros,
    zeros_like,
)

# ---- constants -----------------------------------------------------------------------
from arrayport._constants import e, inf, nan, newaxis, pi

# ---- data type functions -------------------------------------------------------------
from arrayport._data_type_functions import (
    astype,
    can_cast,
    finfo,
    iinfo,
    isdtype,
    result_type,
)

# ---- elementwise functions -----------------------------------------------------------
from arrayport._elementwise_functions import (
    abs,
    acos,
    acosh,
    add,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_invert,
    bitwise_left_shift,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    ceil,
    clip,
    conj,
    copysign,
    cos,
    cosh,
    divide,
    equal,
    exp,
    expm1,
    floor,
    floor_divide,
    greater,
    greater_equal,
    hypot,
    imag,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    multiply,
    negative,
    nextafter,
    not_equal,
    positive,
    pow,
    real,
    reciprocal,
    remainder,
    round,
    sign,
    signbit,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    trunc,
)

# ---- indexing functions --------------------------------------------------------------
from arrayport._indexing_functions import (
    take,
    take_along_axis,
)

# ---- linear algebra functions --------------------------------------------------------
from arrayport._linear_algebra_functions import (
    matmul,
    matrix_transpose,
    tensordot,
    vecdot,
)

# ---- manipulation functions ----------------------------------------------------------
from arrayport._manipulation_functions import (
    broadcast_arrays,
    broadcast_shapes,
    broadcast_to,
    concat,
    expand_dims,
    flip,
    moveaxis,
    permute_dims,
    repeat,
    reshape,
    roll,
    squeeze,
    stack,
    tile,
    unstack,
)

# ---- searching functions -------------------------------------------------------------
from arrayport._searching_functions import (
    argmax,
    argmin,
    count_nonzero,
    nonzero,
    searchsorted,
    where,
)

# ---- set functions -------------------------------------------------------------------
from arrayport._set_functions import (
    isin,
    unique_all,
    unique_counts,
    unique_inverse,
    unique_values,
)

# ---- sorting functions ---------------------------------------------------------------
from arrayport._sorting_functions import (
    argsort,
    sort,
)

# ---- statistical functions -----------------------------------------------------------
from arrayport._statistical_functions import (
    cumulative_prod,
    cumulative_sum,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)

# ---- utility functions ---------------------------------------------------------------
from arrayport._utility_functions import (
    all,
    any,
    diff,
)

# ---- inspection ----------------------------------------------------------------------
from arrayport._info import __array_namespace_info__

# ---- extensions ----------------------------------------------------------------------
from arrayport import fft, linalg

# ---- the Array's operators, from the functions above -----------------------------------
from arrayport import _operators  # noqa: F401 - installs the Array's operators

# ---- plans, backends and errors (non-standard) ---------------------------------------
from arrayport._plans import Plan, Step
from arrayport._conversion import asarray_plan
from arrayport._plugins import BackendInfo, backends, register_backend, unregister_backend
from arrayport._errors import (
    ArrayportError,
    AutogradError,
    BackendConflictError,
    BackendError,
    BackendWarning,
    CopyError,
    DeviceError,
    DeviceMismatchError,
    DLPackError,
    ReadOnlyError,
    UnsupportedDTypeError,
)
from arrayport.hookspecs import hookimpl

__array_api_version__ = "2025.12"

__all__ = [
    "__array_api_version__",
    "__array_namespace_info__",
    # extensions
    "fft",
    "linalg",
    # objects
    "Array",
    "Device",
    "default_device",
    # dtypes
    "bool",
    "complex64",
    "complex128",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    # creation functions
    "arange",
    "asarray",
    "empty",
    "empty_like",
    "eye",
    "from_dlpack",
    "full",
    "full_like",
    "linspace",
    "meshgrid",
    "ones",
    "ones_like",
    "tril",
    "triu",
    "zeros",
    "zeros_like",
    # constants
    "e",
    "inf",
    "nan",
    "newaxis",
    "pi",
    # data type functions
    "astype",
    "can_cast",
    "finfo",
    "iinfo",
    "isdtype",
    "result_type",
    # elementwise functions
    "abs",
    "acos",
    "acosh",
    "add",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "ceil",
    "clip",
    "conj",
    "copysign",
    "cos",
    "cosh",
    "divide",
    "equal",
    "exp",
    "expm1",
    "floor",
    "floor_divide",
    "greater",
    "greater_equal",
    "hypot",
    "imag",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "nextafter",
    "not_equal",
    "positive",
    "pow",
    "real",
    "reciprocal",
    "remainder",
    "round",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "trunc",
    # indexing functions
    "take",
    "take_along_axis",
    # linear algebra functions
    "matmul",
    "matrix_transpose",
    "tensordot",
    "vecdot",
    # manipulation functions
    "broadcast_arrays",
    "broadcast_shapes",
    "broadcast_to",
    "concat",
    "expand_dims",
    "flip",
    "moveaxis",
    "permute_dims",
    "repeat",
    "reshape",
    "roll",
    "squeeze",
    "stack",
    "tile",
    "unstack",
    # searching functions
    "argmax",
    "argmin",
    "count_nonzero",
    "nonzero",
    "searchsorted",
    "where",
    # set functions
    "isin",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unique_values",
    # sorting functions
    "argsort",
    "sort",
    # statistical functions
    "cumulative_prod",
    "cumulative_sum",
    "max",
    "mean",
    "min",
    "prod",
    "std",
    "sum",
    "var",
    # utility functions
    "all",
    "any",
    "diff",
    # non-standard
    "Plan",
    "Step",
    "asarray_plan",
    "BackendInfo",
    "backends",
    "register_backend",
    "unregister_backend",
    "hookimpl",
    "ArrayportError",
    "AutogradError",
    "BackendConflictError",
    "BackendError",
    "BackendWarning",
    "CopyError",
    "DeviceError",
    "DeviceMismatchError",
    "DLPackError",
    "ReadOnlyError",
    "UnsupportedDTypeError",
]
