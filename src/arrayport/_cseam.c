/* The seam's per-call work in C (rules DS-1, DS-2, DS-5).
 *
 * This module holds what every call of an operation runs: the Array's storage and its one
 * constructor (`new`), the seam's entries for one and two operands (`apply1`, `apply2`),
 * which build a call's key and look it up in the installed registry's table, and the
 * replay of a plain decision (`Replay`), which calls the backend's function and makes
 * the Array. Everything that decides stays in Python and is called from here: a key not
 * met yet (`decide`), an operand that requires gradients (`recorded`), the signature of
 * a tuple operand (`signature`), the call of any other arity (`applyn`) and the registry's
 * first load (`current_registry`). `arrayport._seam` hands them over through `install`.
 */

/* The SHA-256 of this file, given by the build hook (hatch_build.py). */
#ifndef CSEAM_SOURCE_SHA256
#define CSEAM_SOURCE_SHA256 "unknown: built outside hatch_build.py"
#endif

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* ---------------------------------------------------------------------------------- */
/* The Array's storage                                                                */
/* ---------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *native;
    PyObject *device;
    PyObject *dtype;
    PyObject *readonly;
    PyObject *grad;
    PyObject *weakreflist;
} ArrayObject;

static PyMemberDef array_members[] = {
    {"_native", T_OBJECT_EX, offsetof(ArrayObject, native), 0, NULL},
    {"_device", T_OBJECT_EX, offsetof(ArrayObject, device), 0, NULL},
    {"_dtype", T_OBJECT_EX, offsetof(ArrayObject, dtype), 0, NULL},
    {"_readonly", T_OBJECT_EX, offsetof(ArrayObject, readonly), 0, NULL},
    {"_grad", T_OBJECT_EX, offsetof(ArrayObject, grad), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static int
array_traverse(ArrayObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->native);
    Py_VISIT(self->device);
    Py_VISIT(self->dtype);
    Py_VISIT(self->readonly);
    Py_VISIT(self->grad);
    return 0;
}

static int
array_clear(ArrayObject *self)
{
    Py_CLEAR(self->native);
    Py_CLEAR(self->device);
    Py_CLEAR(self->dtype);
    Py_CLEAR(self->readonly);
    Py_CLEAR(self->grad);
    return 0;
}

/* Arrays are of Python subclasses only, whose deallocator (CPython's subtype_dealloc)
   visits and releases the class itself: this one clears the fields. */
static void
array_dealloc(ArrayObject *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    array_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject ArrayBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "arrayport._cseam.ArrayBase",
    .tp_doc = PyDoc_STR("The storage of arrayport.Array: native, device, dtype, flag, autograd."),
    .tp_basicsize = sizeof(ArrayObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)array_traverse,
    .tp_clear = (inquiry)array_clear,
    .tp_dealloc = (destructor)array_dealloc,
    .tp_weaklistoffset = offsetof(ArrayObject, weakreflist),
    .tp_members = array_members,
    .tp_new = PyType_GenericNew,  /* Array.__init__ says how arrays are made */
};

/* ---------------------------------------------------------------------------------- */
/* The Operation's flags                                                              */
/* ---------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    char ndim;   /* its decisions depend on the operands' numbers of dimensions */
    char typed;  /* its parameters are keyed by type as well as by value */
} OperationObject;

static PyMemberDef operation_members[] = {
    {"ndim", T_BOOL, offsetof(OperationObject, ndim), 0, NULL},
    {"typed", T_BOOL, offsetof(OperationObject, typed), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject OperationBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "arrayport._cseam.OperationBase",
    .tp_doc = PyDoc_STR("The flags of arrayport's Operation that every call's key reads."),
    .tp_basicsize = sizeof(OperationObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_members = operation_members,
    .tp_new = PyType_GenericNew,
};

/* ---------------------------------------------------------------------------------- */
/* What arrayport._seam installs                                                      */
/* ---------------------------------------------------------------------------------- */

static PyTypeObject *Array = NULL;   /* arrayport.Array, a subclass of ArrayBase */
static PyObject *plugins_dict = NULL;  /* arrayport._plugins' globals: its _REGISTRY */
static PyObject *current_registry = NULL;
static PyObject *decide = NULL;
static PyObject *recorded = NULL;
static PyObject *operand = NULL;  /* arrayport._operations.Operand */
/* The table of the registry met last: a registry's table is one dict for its lifetime. */
static PyObject *last_registry = NULL;
static PyObject *last_table = NULL;

static PyObject *s_REGISTRY, *s_decisions, *s_typed, *s_ndim, *s_shape, *s_dlpack, *s_readonly;
static PyObject *empty_tuple;

/* A new Array (the one constructor); steals no reference. */
static inline PyObject *
make_array(PyObject *native, PyObject *device, PyObject *dtype, PyObject *readonly)
{
    ArrayObject *a = (ArrayObject *)Array->tp_alloc(Array, 0);
    if (a == NULL) {
        return NULL;
    }
    Py_INCREF(native);
    a->native = native;
    Py_INCREF(device);
    a->device = device;
    Py_INCREF(dtype);
    a->dtype = dtype;
    Py_INCREF(readonly);
    a->readonly = readonly;
    Py_INCREF(Py_None);
    a->grad = Py_None;
    return (PyObject *)a;
}

static PyObject *
cseam_new(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError,
                     "Array._new() takes native, device, dtype and readonly; got %zd arguments",
                     nargs);
        return NULL;
    }
    if (Array == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "arrayport._cseam: register() was not called");
        return NULL;
    }
    return make_array(args[0], args[1], args[2], args[3]);
}

/* ---------------------------------------------------------------------------------- */
/* The replay of a plain decision                                                     */
/* ---------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *run;
    PyObject *native_type;
    PyObject *to_native;
    PyObject *device;
    PyObject *dtype;
    PyObject *readonly;
    int view;
} ReplayObject;

/* hasattr(obj, name): true, false, or -1 with an exception other than AttributeError. */
static int
has_attr(PyObject *obj, PyObject *name)
{
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v != NULL) {
        Py_DECREF(v);
        return 1;
    }
    if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        return 0;
    }
    return -1;
}

static PyObject *
replay_vectorcall(ReplayObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (kwnames != NULL || nargs < 2 || nargs > 4) {
        PyErr_SetString(PyExc_TypeError, "a replay takes (first, n1[, n2[, n3]])");
        return NULL;
    }
    PyObject *out = PyObject_Vectorcall(self->run, args + 1, nargs - 1, NULL);
    if (out == NULL) {
        return NULL;
    }
    if ((PyObject *)Py_TYPE(out) != self->native_type) {
        int has = has_attr(out, s_dlpack);
        if (has < 0) {
            Py_DECREF(out);
            return NULL;
        }
        if (!has) {
            if (out == Py_None) {  /* __setitem__ has no result */
                return out;
            }
            PyObject *native = PyObject_CallOneArg(self->to_native, out);
            Py_DECREF(out);
            if (native == NULL) {
                return NULL;
            }
            out = native;
        }
    }
    PyObject *result;
    if (self->view) {  /* x's flag, asked of its backend only where not known yet */
        PyObject *first = args[0];
        PyObject *ro = NULL;
        if (PyObject_TypeCheck(first, &ArrayBaseType)) {
            ro = ((ArrayObject *)first)->readonly;
        }
        if (ro == NULL || ro == Py_None) {
            ro = PyObject_GetAttr(first, s_readonly);
            if (ro == NULL) {
                Py_DECREF(out);
                return NULL;
            }
            result = make_array(out, self->device, self->dtype, ro);
            Py_DECREF(ro);
        }
        else {
            result = make_array(out, self->device, self->dtype, ro);
        }
    }
    else {
        result = make_array(out, self->device, self->dtype, self->readonly);
    }
    Py_DECREF(out);
    return result;
}

static PyObject *
replay_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *names[] = {
        "run", "native_type", "to_native", "device", "dtype", "readonly", "view", NULL,
    };
    PyObject *run, *native_type, *to_native, *device, *dtype, *readonly;
    int view;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOp", names, &run, &native_type,
                                     &to_native, &device, &dtype, &readonly, &view)) {
        return NULL;
    }
    ReplayObject *self = (ReplayObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = (vectorcallfunc)replay_vectorcall;
    Py_INCREF(run);
    self->run = run;
    Py_INCREF(native_type);
    self->native_type = native_type;
    Py_INCREF(to_native);
    self->to_native = to_native;
    Py_INCREF(device);
    self->device = device;
    Py_INCREF(dtype);
    self->dtype = dtype;
    Py_INCREF(readonly);
    self->readonly = readonly;
    self->view = view;
    return (PyObject *)self;
}

static int
replay_traverse(ReplayObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->run);
    Py_VISIT(self->native_type);
    Py_VISIT(self->to_native);
    Py_VISIT(self->device);
    Py_VISIT(self->dtype);
    Py_VISIT(self->readonly);
    return 0;
}

static int
replay_clear(ReplayObject *self)
{
    Py_CLEAR(self->run);
    Py_CLEAR(self->native_type);
    Py_CLEAR(self->to_native);
    Py_CLEAR(self->device);
    Py_CLEAR(self->dtype);
    Py_CLEAR(self->readonly);
    return 0;
}

static void
replay_dealloc(ReplayObject *self)
{
    PyObject_GC_UnTrack(self);
    replay_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef replay_members[] = {
    {"run", T_OBJECT, offsetof(ReplayObject, run), READONLY, NULL},
    {"device", T_OBJECT, offsetof(ReplayObject, device), READONLY, NULL},
    {"dtype", T_OBJECT, offsetof(ReplayObject, dtype), READONLY, NULL},
    {"readonly", T_OBJECT, offsetof(ReplayObject, readonly), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject ReplayType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "arrayport._cseam.Replay",
    .tp_doc = PyDoc_STR(
        "Replay(run, native_type, to_native, device, dtype, readonly, view): the replay "
        "of a plain decision, called as replay(first, n1[, n2[, n3]])."),
    .tp_basicsize = sizeof(ReplayObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(ReplayObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = replay_new,
    .tp_traverse = (traverseproc)replay_traverse,
    .tp_clear = (inquiry)replay_clear,
    .tp_dealloc = (destructor)replay_dealloc,
    .tp_members = replay_members,
};

/* ---------------------------------------------------------------------------------- */
/* The seam's entries                                                                 */
/* ---------------------------------------------------------------------------------- */

/* The installed registry (a borrowed reference is not enough: a swap may drop it). */
static PyObject *
registry(void)
{
    PyObject *reg = PyDict_GetItemWithError(plugins_dict, s_REGISTRY);
    if (reg != NULL && reg != Py_None) {
        Py_INCREF(reg);
        return reg;
    }
    if (PyErr_Occurred()) {
        return NULL;
    }
    return PyObject_CallNoArgs(current_registry);
}

/* An attribute read as a truth value: 1, 0, or -1 with an exception. An Operation's
   flags are read off its fields. */
static int
flag(PyObject *obj, PyObject *name)
{
    if (PyObject_TypeCheck(obj, &OperationBaseType)) {
        OperationObject *op = (OperationObject *)obj;
        return name == s_ndim ? op->ndim : op->typed;
    }
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) {
        return -1;
    }
    int t = PyObject_IsTrue(v);
    Py_DECREF(v);
    return t;
}

/* The parameters' part of the key: (params, type(p0), type(p1), ...) where the operation
   is typed and has parameters, else params itself. New reference. */
static PyObject *
kind_of(PyObject *op, PyObject *params)
{
    Py_ssize_t n = PyTuple_GET_SIZE(params);
    if (n == 0) {
        Py_INCREF(params);
        return params;
    }
    int typed = flag(op, s_typed);
    if (typed < 0) {
        return NULL;
    }
    if (!typed) {
        Py_INCREF(params);
        return params;
    }
    PyObject *kind = PyTuple_New(n + 1);
    if (kind == NULL) {
        return NULL;
    }
    Py_INCREF(params);
    PyTuple_SET_ITEM(kind, 0, params);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = (PyObject *)Py_TYPE(PyTuple_GET_ITEM(params, i));
        Py_INCREF(t);
        PyTuple_SET_ITEM(kind, i + 1, t);
    }
    return kind;
}

static PyObject *ndim_of(PyObject *native);

/* A non-array operand's part of a call key: its type, or for a tuple (an index key) the
   parts' signatures, with an Operand for each array in it. New reference. */
static PyObject *
value_key(PyObject *x)
{
    PyTypeObject *t = Py_TYPE(x);
    if (t == Array) {
        ArrayObject *a = (ArrayObject *)x;
        PyObject *n = ndim_of(a->native);
        if (n == NULL) {
            return NULL;
        }
        PyObject *call[3] = {a->device, a->dtype, n};
        PyObject *o = PyObject_Vectorcall(operand, call, 3, NULL);
        Py_DECREF(n);
        return o;
    }
    if (t != &PyTuple_Type) {
        Py_INCREF(t);
        return (PyObject *)t;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(x);
    int deep = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTypeObject *p = Py_TYPE(PyTuple_GET_ITEM(x, i));
        if (p == Array || p == &PyTuple_Type) {
            deep = 1;
            break;
        }
    }
    PyObject *parts = PyTuple_New(n);
    if (parts == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(x, i);
        PyObject *part;
        if (deep) {
            if ((part = value_key(item)) == NULL) {
                Py_DECREF(parts);
                return NULL;
            }
        }
        else {
            part = (PyObject *)Py_TYPE(item);
            Py_INCREF(part);
        }
        PyTuple_SET_ITEM(parts, i, part);
    }
    return parts;
}

static PyObject *
cseam_signature(PyObject *module, PyObject *x)
{
    if (operand == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "arrayport._cseam: install() was not called");
        return NULL;
    }
    return value_key(x);
}

/* len(native.shape) as a Python int. New reference. */
static PyObject *
ndim_of(PyObject *native)
{
    PyObject *shape = PyObject_GetAttr(native, s_shape);
    if (shape == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyObject_Size(shape);
    Py_DECREF(shape);
    if (n < 0) {
        return NULL;
    }
    return PyLong_FromSsize_t(n);
}

/* The replay kept for key, or a fresh decision for the operands: `given` where the
   caller has them as one object, else a tuple of the nops of ops made on a miss only.
   Steals nothing; a new reference. */
static PyObject *
lookup(PyObject *reg, PyObject *op, PyObject *params, PyObject *key, PyObject *given,
       PyObject *const *ops, Py_ssize_t nops)
{
    PyObject *table;
    if (reg == last_registry) {
        table = last_table;
        Py_INCREF(table);
    }
    else {
        if ((table = PyObject_GetAttr(reg, s_decisions)) == NULL) {
            return NULL;
        }
        /* Both set before either old one is let go: releasing one may run Python code,
           and another thread must never see this registry with the old table. */
        PyObject *old_registry = last_registry, *old_table = last_table;
        Py_INCREF(reg);
        Py_INCREF(table);
        last_registry = reg;
        last_table = table;
        Py_XDECREF(old_registry);
        Py_XDECREF(old_table);
    }
    PyObject *replay;
    if (PyDict_CheckExact(table)) {
        replay = PyDict_GetItemWithError(table, key);
        Py_XINCREF(replay);
    }
    else {
        replay = PyObject_GetItem(table, key);
    }
    Py_DECREF(table);
    if (replay != NULL) {
        return replay;
    }
    if (PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_KeyError) && !PyErr_ExceptionMatches(PyExc_TypeError)) {
            return NULL;
        }
        PyErr_Clear();  /* unhashable parameters: decided on each call */
    }
    PyObject *operands = given;
    if (operands != NULL) {
        Py_INCREF(operands);
    }
    else {
        if ((operands = PyTuple_New(nops)) == NULL) {
            return NULL;
        }
        for (Py_ssize_t i = 0; i < nops; i++) {
            Py_INCREF(ops[i]);
            PyTuple_SET_ITEM(operands, i, ops[i]);
        }
    }
    PyObject *call[5] = {reg, op, operands, params, key};
    replay = PyObject_Vectorcall(decide, call, 5, NULL);
    Py_DECREF(operands);
    return replay;
}

static PyObject *
pack_key(PyObject **parts, Py_ssize_t n)
{
    PyObject *key = PyTuple_New(n);
    if (key == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_INCREF(parts[i]);
        PyTuple_SET_ITEM(key, i, parts[i]);
    }
    return key;
}

static int
check_installed(void)
{
    if (Array == NULL || decide == NULL || operand == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "arrayport._cseam: install() was not called");
        return -1;
    }
    return 0;
}

static int
params_arg(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t at, PyObject **params)
{
    if (nargs <= at) {
        *params = empty_tuple;
        return 0;
    }
    if (!PyTuple_Check(args[at])) {
        PyErr_SetString(PyExc_TypeError, "the seam's params must be a tuple");
        return -1;
    }
    *params = args[at];
    return 0;
}

/* applyn's work: op on the operands of a sequence (arrays, scalars, None, index keys). */
static PyObject *
applyn_impl(PyObject *op, PyObject *args, PyObject *params)
{
    PyObject *seq = PySequence_Fast(args, "applyn: the operands must be a sequence");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *result = NULL, *kind = NULL, *key = NULL, *reg = NULL, *replay = NULL;
    PyObject *local[8], **natives = local;  /* natives[0]: the first array, or None */
    Py_ssize_t filled = 0;
    int ndim = flag(op, s_ndim);
    if (ndim < 0) {
        goto done;
    }
    Py_ssize_t size = 2;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a = items[i];
        if (Py_TYPE(a) == Array) {
            if (((ArrayObject *)a)->grad != Py_None) {  /* rule AG-2 */
                PyObject *operands = PySequence_Tuple(seq);
                if (operands != NULL) {
                    PyObject *call[3] = {op, operands, params};
                    result = PyObject_Vectorcall(recorded, call, 3, NULL);
                    Py_DECREF(operands);
                }
                goto done;
            }
            size += ndim ? 3 : 2;
        }
        else {
            size += 1;
        }
    }
    if (n + 1 > 8 && (natives = PyMem_New(PyObject *, n + 1)) == NULL) {
        natives = local;
        PyErr_NoMemory();
        goto done;
    }
    if ((kind = kind_of(op, params)) == NULL || (key = PyTuple_New(size)) == NULL) {
        goto done;
    }
    Py_INCREF(op);
    PyTuple_SET_ITEM(key, 0, op);
    Py_INCREF(kind);
    PyTuple_SET_ITEM(key, 1, kind);
    Py_ssize_t at = 2;
    PyObject *first = Py_None;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a = items[i];
        if (Py_TYPE(a) == Array) {
            ArrayObject *arr = (ArrayObject *)a;
            if (first == Py_None) {
                first = a;
            }
            Py_INCREF(arr->dtype);
            PyTuple_SET_ITEM(key, at++, arr->dtype);
            Py_INCREF(arr->device);
            PyTuple_SET_ITEM(key, at++, arr->device);
            if (ndim) {
                PyObject *d = ndim_of(arr->native);
                if (d == NULL) {
                    goto done;
                }
                PyTuple_SET_ITEM(key, at++, d);
            }
            Py_INCREF(arr->native);
            natives[++filled] = arr->native;
        }
        else {
            PyObject *k = value_key(a);
            if (k == NULL) {
                goto done;
            }
            PyTuple_SET_ITEM(key, at++, k);
            Py_INCREF(a);
            natives[++filled] = a;
        }
    }
    natives[0] = first;
    if ((reg = registry()) == NULL) {
        goto done;
    }
    replay = lookup(reg, op, params, key, args, NULL, 0);
    if (replay != NULL) {
        result = PyObject_Vectorcall(replay, natives, n + 1, NULL);
    }
done:
    for (Py_ssize_t i = 1; i <= filled; i++) {
        Py_DECREF(natives[i]);
    }
    if (natives != local) {
        PyMem_Free(natives);
    }
    Py_XDECREF(replay);
    Py_XDECREF(reg);
    Py_XDECREF(key);
    Py_XDECREF(kind);
    Py_DECREF(seq);
    return result;
}

/* applyn(op, args, params=()): run op on any number of operands. */
static PyObject *
cseam_applyn(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "applyn(op, args, params=())");
        return NULL;
    }
    PyObject *params;
    if (check_installed() < 0 || params_arg(args, nargs, 2, &params) < 0) {
        return NULL;
    }
    return applyn_impl(args[0], args[1], params);
}

/* apply1(op, x, params=()): run op on one operand. */
static PyObject *
cseam_apply1(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "apply1(op, x, params=())");
        return NULL;
    }
    PyObject *op = args[0], *x = args[1], *params;
    if (check_installed() < 0 || params_arg(args, nargs, 2, &params) < 0) {
        return NULL;
    }
    PyObject *reg = registry();
    if (reg == NULL) {
        return NULL;
    }
    PyObject *kind = kind_of(op, params);
    if (kind == NULL) {
        Py_DECREF(reg);
        return NULL;
    }
    PyObject *key = NULL, *replay = NULL, *operands = NULL, *result = NULL;
    if (Py_TYPE(x) != Array) {
        PyObject *k = value_key(x);
        if (k == NULL) {
            goto done;
        }
        PyObject *parts[3] = {op, kind, k};
        key = pack_key(parts, 3);
        Py_DECREF(k);
        if (key == NULL) {
            goto done;
        }
        replay = lookup(reg, op, params, key, NULL, &x, 1);
        if (replay != NULL) {
            PyObject *call[2] = {Py_None, x};
            result = PyObject_Vectorcall(replay, call, 2, NULL);
        }
        goto done;
    }
    ArrayObject *a = (ArrayObject *)x;
    if (a->grad != Py_None) {
        if ((operands = PyTuple_Pack(1, x)) != NULL) {
            PyObject *call[3] = {op, operands, params};
            result = PyObject_Vectorcall(recorded, call, 3, NULL);
        }
        goto done;
    }
    PyObject *native = a->native;
    int ndim = flag(op, s_ndim);
    if (ndim < 0) {
        goto done;
    }
    if (ndim) {
        PyObject *n = ndim_of(native);
        if (n == NULL) {
            goto done;
        }
        PyObject *parts[5] = {op, kind, a->dtype, a->device, n};
        key = pack_key(parts, 5);
        Py_DECREF(n);
    }
    else {
        PyObject *parts[4] = {op, kind, a->dtype, a->device};
        key = pack_key(parts, 4);
    }
    if (key == NULL) {
        goto done;
    }
    replay = lookup(reg, op, params, key, NULL, &x, 1);
    if (replay != NULL) {
        Py_INCREF(native);  /* the replay may replace x's native (a write through it) */
        PyObject *call[2] = {x, native};
        result = PyObject_Vectorcall(replay, call, 2, NULL);
        Py_DECREF(native);
    }
done:
    Py_XDECREF(replay);
    Py_XDECREF(operands);
    Py_XDECREF(key);
    Py_DECREF(kind);
    Py_DECREF(reg);
    return result;
}

/* apply2(op, x1, x2, params=()): run op on two operands. */
static PyObject *
cseam_apply2(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 3 || nargs > 4) {
        PyErr_SetString(PyExc_TypeError, "apply2(op, x1, x2, params=())");
        return NULL;
    }
    PyObject *op = args[0], *x1 = args[1], *x2 = args[2], *params;
    if (check_installed() < 0 || params_arg(args, nargs, 3, &params) < 0) {
        return NULL;
    }
    int array1 = Py_TYPE(x1) == Array, array2 = Py_TYPE(x2) == Array;
    PyObject *result = NULL, *operands = NULL;
    if ((array1 && ((ArrayObject *)x1)->grad != Py_None)
        || (array2 && ((ArrayObject *)x2)->grad != Py_None)) {
        if ((operands = PyTuple_Pack(2, x1, x2)) == NULL) {
            return NULL;
        }
        PyObject *call[3] = {op, operands, params};
        result = PyObject_Vectorcall(recorded, call, 3, NULL);
        Py_DECREF(operands);
        return result;
    }
    int ndim = flag(op, s_ndim);
    if (ndim < 0) {
        return NULL;
    }
    if (!array1 && array2 && ndim) {  /* a value first: the key of applyn */
        if ((operands = PyTuple_Pack(2, x1, x2)) == NULL) {
            return NULL;
        }
        result = applyn_impl(op, operands, params);
        Py_DECREF(operands);
        return result;
    }
    PyObject *kind = kind_of(op, params);
    if (kind == NULL) {
        return NULL;
    }
    PyObject *key = NULL, *replay = NULL, *reg = NULL, *k1 = NULL, *k2 = NULL;
    PyObject *d1 = NULL, *d2 = NULL;  /* the numbers of dimensions, where op asks */
    PyObject *first = Py_None, *n1 = x1, *n2 = x2;
    if (array1) {
        ArrayObject *a1 = (ArrayObject *)x1;
        first = x1;
        n1 = a1->native;
        if (ndim && (d1 = ndim_of(n1)) == NULL) {
            goto done;
        }
        if (array2) {
            ArrayObject *a2 = (ArrayObject *)x2;
            n2 = a2->native;
            if (ndim) {
                if ((d2 = ndim_of(n2)) == NULL) {
                    goto done;
                }
                PyObject *parts[8] = {op, kind, a1->dtype, a1->device, d1, a2->dtype, a2->device, d2};
                key = pack_key(parts, 8);
            }
            else {
                PyObject *parts[6] = {op, kind, a1->dtype, a1->device, a2->dtype, a2->device};
                key = pack_key(parts, 6);
            }
        }
        else {
            if ((k2 = value_key(x2)) == NULL) {
                goto done;
            }
            if (ndim) {
                PyObject *parts[6] = {op, kind, a1->dtype, a1->device, d1, k2};
                key = pack_key(parts, 6);
            }
            else {
                PyObject *parts[5] = {op, kind, a1->dtype, a1->device, k2};
                key = pack_key(parts, 5);
            }
        }
    }
    else if (array2) {  /* a value first: op does not ask for numbers of dimensions */
        ArrayObject *a2 = (ArrayObject *)x2;
        first = x2;
        n2 = a2->native;
        if ((k1 = value_key(x1)) == NULL) {
            goto done;
        }
        PyObject *parts[5] = {op, kind, k1, a2->dtype, a2->device};
        key = pack_key(parts, 5);
    }
    else {  /* two values, such as a shape and a fill value */
        if ((k1 = value_key(x1)) == NULL || (k2 = value_key(x2)) == NULL) {
            goto done;
        }
        PyObject *parts[4] = {op, kind, k1, k2};
        key = pack_key(parts, 4);
    }
    if (key == NULL || (reg = registry()) == NULL) {
        goto done;
    }
    replay = lookup(reg, op, params, key, NULL, args + 1, 2);
    if (replay != NULL) {
        Py_INCREF(n1);
        Py_INCREF(n2);
        PyObject *call[3] = {first, n1, n2};
        result = PyObject_Vectorcall(replay, call, 3, NULL);
        Py_DECREF(n1);
        Py_DECREF(n2);
    }
done:
    Py_XDECREF(replay);
    Py_XDECREF(operands);
    Py_XDECREF(key);
    Py_XDECREF(reg);
    Py_XDECREF(k1);
    Py_XDECREF(k2);
    Py_XDECREF(d1);
    Py_XDECREF(d2);
    Py_DECREF(kind);
    return result;
}

/* register(Array): the class whose instances new() makes and the seam reads. */
static PyObject *
cseam_register(PyObject *module, PyObject *array)
{
    if (!PyType_Check(array) || !PyType_IsSubtype((PyTypeObject *)array, &ArrayBaseType)
        || !(((PyTypeObject *)array)->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        PyErr_SetString(PyExc_TypeError, "register: Array must be a class derived from ArrayBase");
        return NULL;
    }
    Py_INCREF(array);
    Py_XSETREF(Array, (PyTypeObject *)array);
    Py_RETURN_NONE;
}

/* install(plugins_globals, current_registry, decide, recorded, Operand) */
static PyObject *
cseam_install(PyObject *module, PyObject *args)
{
    PyObject *pdict, *cur, *dec, *rec, *opd;
    if (!PyArg_ParseTuple(args, "O!OOOO:install", &PyDict_Type, &pdict, &cur, &dec, &rec,
                          &opd)) {
        return NULL;
    }
    Py_INCREF(pdict);
    Py_XSETREF(plugins_dict, pdict);
    Py_INCREF(cur);
    Py_XSETREF(current_registry, cur);
    Py_INCREF(dec);
    Py_XSETREF(decide, dec);
    Py_INCREF(rec);
    Py_XSETREF(recorded, rec);
    Py_INCREF(opd);
    Py_XSETREF(operand, opd);
    Py_RETURN_NONE;
}

static PyMethodDef cseam_methods[] = {
    {"new", (PyCFunction)(void (*)(void))cseam_new, METH_FASTCALL,
     PyDoc_STR("new(native, device, dtype, readonly): the one constructor of Array.")},
    {"apply1", (PyCFunction)(void (*)(void))cseam_apply1, METH_FASTCALL,
     PyDoc_STR("apply1(op, x, params=()): run op on one operand (rules DS-1, DS-2).")},
    {"apply2", (PyCFunction)(void (*)(void))cseam_apply2, METH_FASTCALL,
     PyDoc_STR("apply2(op, x1, x2, params=()): run op on two operands (rules DS-1, DS-2).")},
    {"applyn", (PyCFunction)(void (*)(void))cseam_applyn, METH_FASTCALL,
     PyDoc_STR("applyn(op, args, params=()): run op on any number of operands (DS-1, DS-2).")},
    {"signature", cseam_signature, METH_O,
     PyDoc_STR("signature(value): a non-array operand's part of a call key (DS-1).")},
    {"register", cseam_register, METH_O,
     PyDoc_STR("register(Array): the class whose instances new() makes.")},
    {"install", cseam_install, METH_VARARGS,
     PyDoc_STR("install(plugins_globals, current_registry, decide, recorded, Operand): "
               "what the seam's entries call.")},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef cseam_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "arrayport._cseam",
    .m_doc = PyDoc_STR("The seam's per-call work: Array storage, key, lookup, replay."),
    .m_size = -1,
    .m_methods = cseam_methods,
};

#define INTERN(var, text)                                 \
    do {                                                  \
        if ((var = PyUnicode_InternFromString(text)) == NULL) { \
            return NULL;                                  \
        }                                                 \
    } while (0)

PyMODINIT_FUNC
PyInit__cseam(void)
{
    INTERN(s_REGISTRY, "_REGISTRY");
    INTERN(s_decisions, "decisions");
    INTERN(s_typed, "typed");
    INTERN(s_ndim, "ndim");
    INTERN(s_shape, "shape");
    INTERN(s_dlpack, "__dlpack__");
    INTERN(s_readonly, "readonly");
    if ((empty_tuple = PyTuple_New(0)) == NULL) {
        return NULL;
    }
    if (PyType_Ready(&ArrayBaseType) < 0 || PyType_Ready(&ReplayType) < 0
        || PyType_Ready(&OperationBaseType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&cseam_module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&ArrayBaseType);
    if (PyModule_AddObject(m, "ArrayBase", (PyObject *)&ArrayBaseType) < 0) {
        Py_DECREF(&ArrayBaseType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddStringConstant(m, "SOURCE_SHA256", CSEAM_SOURCE_SHA256) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&ReplayType);
    if (PyModule_AddObject(m, "Replay", (PyObject *)&ReplayType) < 0) {
        Py_DECREF(&ReplayType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&OperationBaseType);
    if (PyModule_AddObject(m, "OperationBase", (PyObject *)&OperationBaseType) < 0) {
        Py_DECREF(&OperationBaseType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
