/* The Array's storage and its one constructor, the Operation's flags, and the replay of
 * a plain decision (rules DS-5, DS-6). */

#include "_cseam.h"

/* ---------------------------------------------------------------------------------- */
/* The Array's storage                                                                */
/* ---------------------------------------------------------------------------------- */


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

PyTypeObject ArrayBaseType = {
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


static PyMemberDef operation_members[] = {
    {"ndim", T_BOOL, offsetof(OperationObject, ndim), 0, NULL},
    {"typed", T_BOOL, offsetof(OperationObject, typed), 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

PyTypeObject OperationBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "arrayport._cseam.OperationBase",
    .tp_doc = PyDoc_STR("The flags of arrayport's Operation that every call's key reads."),
    .tp_basicsize = sizeof(OperationObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_members = operation_members,
    .tp_new = PyType_GenericNew,
};

PyObject *
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
    return cs_make_array(args[0], args[1], args[2], args[3]);
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

/* hasattr(obj, name): true, false, or -1 with an exception other than AttributeError.
   An object whose type has no such attribute, and neither an instance dict nor its own
   attribute lookup, has none either: told without raising and catching AttributeError
   (a NumPy scalar, the result of a full reduction, is such an object). */
static int
has_attr(PyObject *obj, PyObject *name)
{
    PyTypeObject *tp = Py_TYPE(obj);
    if (_PyType_Lookup(tp, name) != NULL) {
        return 1;
    }
    if (tp->tp_getattro == PyObject_GenericGetAttr && tp->tp_dictoffset == 0) {
        return 0;
    }
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
            result = cs_make_array(out, self->device, self->dtype, ro);
            Py_DECREF(ro);
        }
        else {
            result = cs_make_array(out, self->device, self->dtype, ro);
        }
    }
    else {
        result = cs_make_array(out, self->device, self->dtype, self->readonly);
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
    self->run = Py_NewRef(run);
    self->native_type = Py_NewRef(native_type);
    self->to_native = Py_NewRef(to_native);
    self->device = Py_NewRef(device);
    self->dtype = Py_NewRef(dtype);
    self->readonly = Py_NewRef(readonly);
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

PyTypeObject ReplayType = {
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
