/* The installed registry, the parts of a call's key and the lookup (rules DS-1, DS-6). */

#include "_cseam.h"


/* The installed registry (a borrowed reference is not enough: a swap may drop it). */
PyObject *
cs_registry(void)
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
int
cs_flag(PyObject *obj, PyObject *name)
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
PyObject *
cs_kind_of(PyObject *op, PyObject *params)
{
    Py_ssize_t n = PyTuple_GET_SIZE(params);
    if (n == 0) {
        Py_INCREF(params);
        return params;
    }
    int typed = cs_flag(op, s_typed);
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

/* A non-array operand's part of a call key: its type, or for a tuple (an index key) the
   parts' signatures, with an Operand for each array in it. New reference. */
PyObject *
cs_value_key(PyObject *x)
{
    PyTypeObject *t = Py_TYPE(x);
    if (t == Array) {
        ArrayObject *a = (ArrayObject *)x;
        PyObject *n = cs_ndim_of(a->native);
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
            if ((part = cs_value_key(item)) == NULL) {
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


/* len(native.shape) as a Python int. New reference. */
PyObject *
cs_ndim_of(PyObject *native)
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

/* What the registry's table keeps for key: a new reference, or NULL without an exception
   where it keeps nothing (or the key is unhashable: decided on each call). */
PyObject *
cs_kept(PyObject *reg, PyObject *key)
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
    PyObject *kept;
    if (PyDict_CheckExact(table)) {
        kept = PyDict_GetItemWithError(table, key);
        Py_XINCREF(kept);
    }
    else {
        kept = PyObject_GetItem(table, key);
    }
    Py_DECREF(table);
    if (kept == NULL && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_KeyError) && !PyErr_ExceptionMatches(PyExc_TypeError)) {
            return NULL;
        }
        PyErr_Clear();  /* unhashable parameters: decided on each call */
    }
    return kept;
}

/* The replay kept for key, or a fresh decision for the operands: `given` where the
   caller has them as one object, else a tuple of the nops of ops made on a miss only.
   Steals nothing; a new reference. */
PyObject *
cs_lookup(PyObject *reg, PyObject *op, PyObject *params, PyObject *key, PyObject *given,
       PyObject *const *ops, Py_ssize_t nops)
{
    PyObject *replay = cs_kept(reg, key);
    if (replay != NULL || PyErr_Occurred()) {
        return replay;
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

PyObject *
cs_pack_key(PyObject **parts, Py_ssize_t n)
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
cs_check_installed(void)
{
    if (Array == NULL || decide == NULL || operand == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "arrayport._cseam: install() was not called");
        return -1;
    }
    return 0;
}

PyObject *
cseam_signature(PyObject *module, PyObject *x)
{
    return cs_check_installed() < 0 ? NULL : cs_value_key(x);
}

static int
cs_params_arg(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t at, PyObject **params)
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

/* An entry's arguments: `least` of them and the optional params, a tuple. -1 with a
   TypeError saying `usage` for another count. */
int
cs_entry_args(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t least, const char *usage,
              PyObject **params)
{
    if (nargs < least || nargs > least + 1) {
        PyErr_SetString(PyExc_TypeError, usage);
        return -1;
    }
    if (cs_check_installed() < 0) {
        return -1;
    }
    return cs_params_arg(args, nargs, least, params);
}
