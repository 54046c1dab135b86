/* The lookup of a kept conversion (rules DS-4, DS-6): asarray's, from_dlpack's and
 * astype's per-call work for an Array or a native array of a backend's fast types.
 *
 * convert(obj, dtype, device, copy, requires_grad, caller) builds the key that
 * arrayport._conversion.convert builds for such an input, element for element, finds the
 * conversion the installed registry's table keeps for it and runs it on obj. Every other
 * input, a key not met yet, and a conversion that asks to be planned again (Reclassify)
 * go to convert itself (installed as `slow`), which plans and keeps.
 */

#include "_cseam.h"

static PyObject *slow = NULL;        /* arrayport._conversion.convert */
static PyObject *reclassify = NULL;  /* arrayport._sources.Reclassify */
static PyObject *s_fast_natives = NULL, *s_dtype = NULL;

/* install_convert(convert, Reclassify) */
PyObject *
cseam_install_convert(PyObject *module, PyObject *args)
{
    PyObject *fn, *exc;
    if (!PyArg_ParseTuple(args, "OO:install_convert", &fn, &exc)) {
        return NULL;
    }
    if (!PyExceptionClass_Check(exc)) {
        PyErr_SetString(PyExc_TypeError, "install_convert: Reclassify must be an exception");
        return NULL;
    }
    if ((s_fast_natives == NULL && (s_fast_natives = PyUnicode_InternFromString("fast_natives")) == NULL)
        || (s_dtype == NULL && (s_dtype = PyUnicode_InternFromString("dtype")) == NULL)) {
        return NULL;
    }
    Py_XSETREF(slow, Py_NewRef(fn));
    Py_XSETREF(reclassify, Py_NewRef(exc));
    Py_RETURN_NONE;
}

/* The key of an Array or a fast native (a new reference), or NULL without an exception
   for any other input. */
static PyObject *
convert_key(PyObject *reg, PyObject *const *args)
{
    PyObject *obj = args[0], *dtype = args[1], *device = args[2], *copy = args[3];
    PyObject *grad = args[4], *caller = args[5];
    PyObject *t = (PyObject *)Py_TYPE(obj);
    PyObject *copy_type = (PyObject *)Py_TYPE(copy), *grad_type = (PyObject *)Py_TYPE(grad);
    if (Py_TYPE(obj) == Array) {
        ArrayObject *a = (ArrayObject *)obj;
        PyObject *parts[11] = {
            caller, t, a->dtype, a->device, a->grad == Py_None ? Py_True : Py_False,
            dtype, device, copy, grad, copy_type, grad_type,
        };
        return cs_pack_key(parts, 11);
    }
    PyObject *fast = PyObject_GetAttr(reg, s_fast_natives);
    if (fast == NULL) {
        return NULL;
    }
    int known = PySequence_Contains(fast, t);
    Py_DECREF(fast);
    if (known <= 0) {
        return NULL;
    }
    PyObject *native_dtype = PyObject_GetAttr(obj, s_dtype);
    if (native_dtype == NULL) {
        return NULL;
    }
    PyObject *parts[9] = {
        caller, t, native_dtype, dtype, device, copy, grad, copy_type, grad_type,
    };
    PyObject *key = cs_pack_key(parts, 9);
    Py_DECREF(native_dtype);
    return key;
}

/* convert(obj, dtype, device, copy, requires_grad, caller) */
PyObject *
cseam_convert(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError,
                        "convert(obj, dtype, device, copy, requires_grad, caller)");
        return NULL;
    }
    if (slow == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "arrayport._cseam: install_convert() was not called");
        return NULL;
    }
    PyObject *reg = cs_registry();
    if (reg == NULL) {
        return NULL;
    }
    PyObject *key = convert_key(reg, args), *kept = NULL;
    if (key != NULL) {
        kept = cs_kept(reg, key);
        Py_DECREF(key);
    }
    Py_DECREF(reg);
    if (kept == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        return PyObject_Vectorcall(slow, args, 6, NULL);
    }
    PyObject *out = PyObject_CallOneArg(kept, args[0]);
    Py_DECREF(kept);
    if (out == NULL && PyErr_ExceptionMatches(reclassify)) {
        PyErr_Clear();  /* planned again by convert itself */
        return PyObject_Vectorcall(slow, args, 6, NULL);
    }
    return out;
}
