/* The cpu backend's quiet form of an element-wise function, in C (rules NS-12, TH-2).
 *
 * SmallCall(ufunc, split, within, enter, leave, ignore, ndarray, scalars, limits, compute)
 * is what `_parallel._quietly` gives `_quiet.quiet` for a NumPy ufunc of one or two
 * inputs. Called with the operands:
 *   - the result's size is bounded by the product of the operands' sizes, where the
 *     operand of a unary function is an exact ndarray, and the operands of a binary one
 *     exact ndarrays or a Python scalar beside one (-1 otherwise, as a size);
 *   - below the threading threshold (`limits`' MIN_COMPUTE_ITEMS, or MIN_ITEMS where
 *     `compute` is false, read on each call), `within(ufunc, *operands)` runs the ufunc
 *     inside the prepared quiet context; a RuntimeError from it (the context is entered
 *     already) falls through;
 *   - otherwise, NumPy's error state is set in the caller's context (`enter(ignore)`),
 *     `split` (at or above the threshold) or the ufunc runs, and `leave(token)` restores
 *     it.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* The SHA-256 of this file, given by the build hook (hatch_build.py). */
#ifndef CQUIET_SOURCE_SHA256
#define CQUIET_SOURCE_SHA256 "unknown: built outside hatch_build.py"
#endif

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *ufunc, *split, *within, *enter, *leave, *ignore, *ndarray, *scalars, *limits;
    int compute;
    int nin;
} SmallCallObject;

static PyObject *s_size, *s_min_items, *s_min_compute_items;

/* An operand's part of the size bound: its size for an exact ndarray, 1 for a Python
   scalar, -1 for anything else; -2 with an exception. */
static Py_ssize_t
part(SmallCallObject *self, PyObject *x)
{
    if ((PyObject *)Py_TYPE(x) == self->ndarray) {
        PyObject *size = PyObject_GetAttr(x, s_size);
        if (size == NULL) {
            return -2;
        }
        Py_ssize_t n = PyLong_AsSsize_t(size);
        Py_DECREF(size);
        return (n == -1 && PyErr_Occurred()) ? -2 : n;
    }
    int plain = PySet_Contains(self->scalars, (PyObject *)Py_TYPE(x));
    return plain < 0 ? -2 : plain ? 1 : -1;
}

static PyObject *
smallcall_vectorcall(SmallCallObject *self, PyObject *const *args, size_t nargsf,
                     PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (kwnames != NULL || nargs != self->nin) {
        PyErr_Format(PyExc_TypeError, "this quiet form takes %d operands", self->nin);
        return NULL;
    }
    /* The bound: as the Python form computed it, -1 for other operands. */
    Py_ssize_t n;
    if (nargs == 1) {  /* an exact ndarray's size; -1 for any other operand */
        if ((PyObject *)Py_TYPE(args[0]) != self->ndarray) {
            n = -1;
        }
        else if ((n = part(self, args[0])) == -2) {
            return NULL;
        }
    }
    else if ((PyObject *)Py_TYPE(args[0]) == self->ndarray) {
        Py_ssize_t n1 = part(self, args[0]), n2;
        if (n1 == -2 || (n2 = part(self, args[1])) == -2) {
            return NULL;
        }
        /* A product past Py_ssize_t is past any threshold. */
        n = (n2 != 0 && n1 > PY_SSIZE_T_MAX / (n2 < 0 ? -n2 : n2)) ? PY_SSIZE_T_MAX : n1 * n2;
    }
    else {
        Py_ssize_t n1 = part(self, args[0]), n2;
        if (n1 == -2 || (n2 = part(self, args[1])) == -2) {
            return NULL;
        }
        n = ((PyObject *)Py_TYPE(args[1]) == self->ndarray && n1 == 1) ? n2 : -1;
    }
    PyObject *least_obj = PyDict_GetItemWithError(
        self->limits, self->compute ? s_min_compute_items : s_min_items);
    if (least_obj == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_RuntimeError, "the cpu backend's thresholds are missing");
        }
        return NULL;
    }
    Py_ssize_t least = PyLong_AsSsize_t(least_obj);
    if (least == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (0 <= n && n < least) {
        PyObject *call[3] = {self->ufunc, args[0], nargs == 2 ? args[1] : NULL};
        PyObject *out = PyObject_Vectorcall(self->within, call, nargs + 1, NULL);
        if (out != NULL || !PyErr_ExceptionMatches(PyExc_RuntimeError)) {
            return out;
        }
        PyErr_Clear();  /* entered: by another thread, or around us */
    }
    PyObject *token = PyObject_CallOneArg(self->enter, self->ignore);
    if (token == NULL) {
        return NULL;
    }
    PyObject *out = PyObject_Vectorcall(n >= least ? self->split : self->ufunc, args, nargs, NULL);
    /* The state is restored whatever happened, the error kept for the caller. */
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject *left = PyObject_CallOneArg(self->leave, token);
    Py_DECREF(token);
    if (left == NULL) {
        Py_XDECREF(out);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(traceback);
        return NULL;
    }
    Py_DECREF(left);
    PyErr_Restore(type, value, traceback);
    return out;
}

static PyObject *
smallcall_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *names[] = {
        "ufunc", "split", "within", "enter", "leave", "ignore", "ndarray", "scalars",
        "limits", "compute", NULL,
    };
    PyObject *ufunc, *split, *within, *enter, *leave, *ignore, *ndarray, *scalars, *limits;
    int compute;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOOO!O!p", names, &ufunc, &split, &within,
                                     &enter, &leave, &ignore, &ndarray, &PyFrozenSet_Type,
                                     &scalars, &PyDict_Type, &limits, &compute)) {
        return NULL;
    }
    PyObject *nin_obj = PyObject_GetAttrString(ufunc, "nin");
    if (nin_obj == NULL) {
        return NULL;
    }
    long nin = PyLong_AsLong(nin_obj);
    Py_DECREF(nin_obj);
    if (nin == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (nin != 1 && nin != 2) {
        PyErr_Format(PyExc_ValueError, "SmallCall takes ufuncs of one or two inputs; got %ld",
                     nin);
        return NULL;
    }
    SmallCallObject *self = (SmallCallObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = (vectorcallfunc)smallcall_vectorcall;
    self->ufunc = Py_NewRef(ufunc);
    self->split = Py_NewRef(split);
    self->within = Py_NewRef(within);
    self->enter = Py_NewRef(enter);
    self->leave = Py_NewRef(leave);
    self->ignore = Py_NewRef(ignore);
    self->ndarray = Py_NewRef(ndarray);
    self->scalars = Py_NewRef(scalars);
    self->limits = Py_NewRef(limits);
    self->compute = compute;
    self->nin = (int)nin;
    return (PyObject *)self;
}

static int
smallcall_traverse(SmallCallObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->ufunc);
    Py_VISIT(self->split);
    Py_VISIT(self->within);
    Py_VISIT(self->enter);
    Py_VISIT(self->leave);
    Py_VISIT(self->ignore);
    Py_VISIT(self->ndarray);
    Py_VISIT(self->scalars);
    Py_VISIT(self->limits);
    return 0;
}

static int
smallcall_clear(SmallCallObject *self)
{
    Py_CLEAR(self->ufunc);
    Py_CLEAR(self->split);
    Py_CLEAR(self->within);
    Py_CLEAR(self->enter);
    Py_CLEAR(self->leave);
    Py_CLEAR(self->ignore);
    Py_CLEAR(self->ndarray);
    Py_CLEAR(self->scalars);
    Py_CLEAR(self->limits);
    return 0;
}

static void
smallcall_dealloc(SmallCallObject *self)
{
    PyObject_GC_UnTrack(self);
    smallcall_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef smallcall_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(SmallCallObject, split), READONLY, NULL},
    {"ufunc", T_OBJECT, offsetof(SmallCallObject, ufunc), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject SmallCallType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "arrayport_cpu._cquiet.SmallCall",
    .tp_doc = PyDoc_STR(
        "SmallCall(ufunc, split, within, enter, leave, ignore, ndarray, scalars, limits, "
        "compute): the quiet form of an element-wise function (rule NS-12)."),
    .tp_basicsize = sizeof(SmallCallObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(SmallCallObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = smallcall_new,
    .tp_traverse = (traverseproc)smallcall_traverse,
    .tp_clear = (inquiry)smallcall_clear,
    .tp_dealloc = (destructor)smallcall_dealloc,
    .tp_members = smallcall_members,
};

static struct PyModuleDef cquiet_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "arrayport_cpu._cquiet",
    .m_doc = PyDoc_STR("The cpu backend's quiet form of element-wise functions, in C."),
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__cquiet(void)
{
    if ((s_size = PyUnicode_InternFromString("size")) == NULL
        || (s_min_items = PyUnicode_InternFromString("MIN_ITEMS")) == NULL
        || (s_min_compute_items = PyUnicode_InternFromString("MIN_COMPUTE_ITEMS")) == NULL) {
        return NULL;
    }
    if (PyType_Ready(&SmallCallType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&cquiet_module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddStringConstant(m, "SOURCE_SHA256", CQUIET_SOURCE_SHA256) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&SmallCallType);
    if (PyModule_AddObject(m, "SmallCall", (PyObject *)&SmallCallType) < 0) {
        Py_DECREF(&SmallCallType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
