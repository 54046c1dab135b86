/* The seam's per-call work in C (rules DS-1, DS-2, DS-5, DS-6): the module.
 *
 * arrayport._cseam holds what every call of an operation runs: the Array's storage and
 * its one constructor (`new`), the seam's entries (`apply1`, `apply2`, `applyn`), which
 * build a call's key and look it up in the installed registry's table, and the replay of
 * a plain decision (`Replay`), which calls the backend's function and makes the Array.
 * Everything that decides stays in Python and is called from here: a key not met yet
 * (`decide`), an operand that requires gradients (`recorded`) and the registry's first
 * load (`current_registry`). `arrayport._seam` hands them over through `install`. This
 * file holds the entries and the module; _cseam.h says where the rest is.
 */

/* The SHA-256 of the seam's C sources, given by the build hook (hatch_build.py). */
#ifndef CSEAM_SOURCE_SHA256
#define CSEAM_SOURCE_SHA256 "unknown: built outside hatch_build.py"
#endif

#include "_cseam.h"

/* ---------------------------------------------------------------------------------- */
/* What arrayport._seam installs                                                      */
/* ---------------------------------------------------------------------------------- */

PyTypeObject *Array = NULL;   /* arrayport.Array, a subclass of ArrayBase */
PyObject *plugins_dict = NULL;  /* arrayport._plugins' globals: its _REGISTRY */
PyObject *current_registry = NULL;
PyObject *decide = NULL;
PyObject *recorded = NULL;
PyObject *operand = NULL;  /* arrayport._operations.Operand */
/* The table of the registry met last: a registry's table is one dict for its lifetime. */
PyObject *last_registry = NULL;
PyObject *last_table = NULL;

PyObject *s_REGISTRY, *s_decisions, *s_typed, *s_ndim, *s_shape, *s_dlpack, *s_readonly;
PyObject *empty_tuple;

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
    int ndim = cs_flag(op, s_ndim);
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
    if ((kind = cs_kind_of(op, params)) == NULL || (key = PyTuple_New(size)) == NULL) {
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
                PyObject *d = cs_ndim_of(arr->native);
                if (d == NULL) {
                    goto done;
                }
                PyTuple_SET_ITEM(key, at++, d);
            }
            Py_INCREF(arr->native);
            natives[++filled] = arr->native;
        }
        else {
            PyObject *k = cs_value_key(a);
            if (k == NULL) {
                goto done;
            }
            PyTuple_SET_ITEM(key, at++, k);
            Py_INCREF(a);
            natives[++filled] = a;
        }
    }
    natives[0] = first;
    if ((reg = cs_registry()) == NULL) {
        goto done;
    }
    replay = cs_lookup(reg, op, params, key, args, NULL, 0);
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
    PyObject *params;
    if (cs_entry_args(args, nargs, 2, "applyn(op, args, params=())", &params) < 0) {
        return NULL;
    }
    return applyn_impl(args[0], args[1], params);
}

/* apply1(op, x, params=()): run op on one operand. */
static PyObject *
cseam_apply1(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *params;
    if (cs_entry_args(args, nargs, 2, "apply1(op, x, params=())", &params) < 0) {
        return NULL;
    }
    PyObject *op = args[0], *x = args[1];
    PyObject *reg = cs_registry();
    if (reg == NULL) {
        return NULL;
    }
    PyObject *kind = cs_kind_of(op, params);
    if (kind == NULL) {
        Py_DECREF(reg);
        return NULL;
    }
    PyObject *key = NULL, *replay = NULL, *operands = NULL, *result = NULL;
    if (Py_TYPE(x) != Array) {
        PyObject *k = cs_value_key(x);
        if (k == NULL) {
            goto done;
        }
        PyObject *parts[3] = {op, kind, k};
        key = cs_pack_key(parts, 3);
        Py_DECREF(k);
        if (key == NULL) {
            goto done;
        }
        replay = cs_lookup(reg, op, params, key, NULL, &x, 1);
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
    int ndim = cs_flag(op, s_ndim);
    if (ndim < 0) {
        goto done;
    }
    if (ndim) {
        PyObject *n = cs_ndim_of(native);
        if (n == NULL) {
            goto done;
        }
        PyObject *parts[5] = {op, kind, a->dtype, a->device, n};
        key = cs_pack_key(parts, 5);
        Py_DECREF(n);
    }
    else {
        PyObject *parts[4] = {op, kind, a->dtype, a->device};
        key = cs_pack_key(parts, 4);
    }
    if (key == NULL) {
        goto done;
    }
    replay = cs_lookup(reg, op, params, key, NULL, &x, 1);
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
    PyObject *params;
    if (cs_entry_args(args, nargs, 3, "apply2(op, x1, x2, params=())", &params) < 0) {
        return NULL;
    }
    PyObject *op = args[0], *x1 = args[1], *x2 = args[2];
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
    int ndim = cs_flag(op, s_ndim);
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
    PyObject *kind = cs_kind_of(op, params);
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
        if (ndim && (d1 = cs_ndim_of(n1)) == NULL) {
            goto done;
        }
        if (array2) {
            ArrayObject *a2 = (ArrayObject *)x2;
            n2 = a2->native;
            if (ndim) {
                if ((d2 = cs_ndim_of(n2)) == NULL) {
                    goto done;
                }
                PyObject *parts[8] = {op, kind, a1->dtype, a1->device, d1, a2->dtype, a2->device, d2};
                key = cs_pack_key(parts, 8);
            }
            else {
                PyObject *parts[6] = {op, kind, a1->dtype, a1->device, a2->dtype, a2->device};
                key = cs_pack_key(parts, 6);
            }
        }
        else {
            if ((k2 = cs_value_key(x2)) == NULL) {
                goto done;
            }
            if (ndim) {
                PyObject *parts[6] = {op, kind, a1->dtype, a1->device, d1, k2};
                key = cs_pack_key(parts, 6);
            }
            else {
                PyObject *parts[5] = {op, kind, a1->dtype, a1->device, k2};
                key = cs_pack_key(parts, 5);
            }
        }
    }
    else if (array2) {  /* a value first: op does not ask for numbers of dimensions */
        ArrayObject *a2 = (ArrayObject *)x2;
        first = x2;
        n2 = a2->native;
        if ((k1 = cs_value_key(x1)) == NULL) {
            goto done;
        }
        PyObject *parts[5] = {op, kind, k1, a2->dtype, a2->device};
        key = cs_pack_key(parts, 5);
    }
    else {  /* two values, such as a shape and a fill value */
        if ((k1 = cs_value_key(x1)) == NULL || (k2 = cs_value_key(x2)) == NULL) {
            goto done;
        }
        PyObject *parts[4] = {op, kind, k1, k2};
        key = cs_pack_key(parts, 4);
    }
    if (key == NULL || (reg = cs_registry()) == NULL) {
        goto done;
    }
    replay = cs_lookup(reg, op, params, key, NULL, args + 1, 2);
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
    Py_XSETREF(Array, (PyTypeObject *)Py_NewRef(array));
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
    Py_XSETREF(plugins_dict, Py_NewRef(pdict));
    Py_XSETREF(current_registry, Py_NewRef(cur));
    Py_XSETREF(decide, Py_NewRef(dec));
    Py_XSETREF(recorded, Py_NewRef(rec));
    Py_XSETREF(operand, Py_NewRef(opd));
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
    {"convert", (PyCFunction)(void (*)(void))cseam_convert, METH_FASTCALL,
     PyDoc_STR("convert(obj, dtype, device, copy, requires_grad, caller): the conversion "
               "kept for an array or a fast native, else arrayport._conversion.convert "
               "(rule DS-4).")},
    {"install_convert", cseam_install_convert, METH_VARARGS,
     PyDoc_STR("install_convert(convert, Reclassify): what convert() falls back to.")},
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
