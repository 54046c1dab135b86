/* The cpu backend's quiet calls in C (rules NS-12, TH-2): the quiet form of an element-wise
 * function (SmallCall), the general quiet wrapper (QuietCall) and the quiet form of a
 * reduction (SmallReduce), below.
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

static PyObject *s_size, *s_min_items, *s_min_compute_items, *empty_tuple;

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

/* `out` after `leave(token)` has restored NumPy's error state, whatever happened: the
   error (out NULL) kept for the caller. Steals token and out. */
static PyObject *
restored(PyObject *leave, PyObject *token, PyObject *out)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject *left = PyObject_CallOneArg(leave, token);
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

/* limits[name] as a size: the threshold, read on each call (tests change them); -1 with
   an exception where it is missing or not an int. */
static Py_ssize_t
threshold(PyObject *limits, PyObject *name)
{
    PyObject *least = PyDict_GetItemWithError(limits, name);
    if (least == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_RuntimeError, "the cpu backend's thresholds are missing");
        }
        return -1;
    }
    return PyLong_AsSsize_t(least);
}

#define QUIET_STACK 8

/* fn(*head, *tail) where the tail's last len(kwnames) items are keyword values: one
   vectorcall, the arguments laid out on the C stack where they are few. */
static PyObject *
call_with_tail(PyObject *fn, PyObject *const *head, Py_ssize_t nhead, PyObject *tail,
               PyObject *kwnames)
{
    Py_ssize_t ntail = PyTuple_GET_SIZE(tail), total = nhead + ntail;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    PyObject *small[QUIET_STACK];
    PyObject **stack = small;
    if (total > QUIET_STACK && (stack = PyMem_Malloc(total * sizeof(PyObject *))) == NULL) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < nhead; i++) {
        stack[i] = head[i];
    }
    for (Py_ssize_t i = 0; i < ntail; i++) {
        stack[nhead + i] = PyTuple_GET_ITEM(tail, i);
    }
    PyObject *out = PyObject_Vectorcall(fn, stack, total - nkw, kwnames);
    if (stack != small) {
        PyMem_Free(stack);
    }
    return out;
}

/* The tail (prefix's items, then the keywords' values) and the keywords' names (NULL for
   none) of a call with bound arguments; -1 with an exception, TypeError for a name
   that is not a string. */
static int
bound_tail(PyObject *prefix, PyObject *keywords, PyObject **tail, PyObject **kwnames)
{
    Py_ssize_t npos = PyTuple_GET_SIZE(prefix), nkw = PyDict_GET_SIZE(keywords);
    *kwnames = NULL;
    if ((*tail = PyTuple_New(npos + nkw)) == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < npos; i++) {
        PyTuple_SET_ITEM(*tail, i, Py_NewRef(PyTuple_GET_ITEM(prefix, i)));
    }
    if (nkw == 0) {
        return 0;
    }
    if ((*kwnames = PyTuple_New(nkw)) == NULL) {
        Py_CLEAR(*tail);
        return -1;
    }
    Py_ssize_t pos = 0, i = 0;
    PyObject *k, *v;
    while (PyDict_Next(keywords, &pos, &k, &v)) {
        if (!PyUnicode_Check(k)) {
            PyErr_SetString(PyExc_TypeError, "keywords must be strings");
            Py_CLEAR(*tail);
            Py_CLEAR(*kwnames);
            return -1;
        }
        PyTuple_SET_ITEM(*kwnames, i, Py_NewRef(k));
        PyTuple_SET_ITEM(*tail, npos + i, Py_NewRef(v));
        i++;
    }
    return 0;
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
    Py_ssize_t least = threshold(self->limits, self->compute ? s_min_compute_items : s_min_items);
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
    return restored(self->leave, token, out);
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

/* QuietCall(fn, enter, leave, ignore, wrapped, keywords): `fn(*args, **keywords)` with
   NumPy's error state set to `ignore` in the caller's context (`enter(ignore)`) and
   restored after (`leave(token)`), the error kept for the caller: `_quiet.quiet`'s
   general wrapper. `keywords` are those a `functools.partial` bound (`fn` its function,
   `wrapped` the partial); a call's own keywords take precedence over them, as a
   partial's do. */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *fn, *enter, *leave, *ignore, *wrapped;
    PyObject *kwnames;   /* the bound keywords' names as a tuple, or NULL */
    PyObject *kwvalues;  /* their values, in that order */
} QuietCallObject;

/* fn(*args, **keywords, **kwnames): the bound keywords after the positional operands on
   the stack where the call brings none of its own, else through a merged dict. */
static PyObject *
quietcall_call_fn(QuietCallObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    if (self->kwnames == NULL) {
        return PyObject_Vectorcall(self->fn, args, nargs, kwnames);
    }
    if (kwnames == NULL) {
        return call_with_tail(self->fn, args, nargs, self->kwvalues, self->kwnames);
    }
    PyObject *kw = PyDict_New();
    if (kw == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self->kwnames); i++) {
        PyObject *name = PyTuple_GET_ITEM(self->kwnames, i);
        if (PyDict_SetItem(kw, name, PyTuple_GET_ITEM(self->kwvalues, i)) < 0) {
            Py_DECREF(kw);
            return NULL;
        }
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); i++) {
        if (PyDict_SetItem(kw, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0) {
            Py_DECREF(kw);
            return NULL;
        }
    }
    PyObject *pos = PyTuple_New(nargs);
    if (pos == NULL) {
        Py_DECREF(kw);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyTuple_SET_ITEM(pos, i, Py_NewRef(args[i]));
    }
    PyObject *out = PyObject_Call(self->fn, pos, kw);
    Py_DECREF(pos);
    Py_DECREF(kw);
    return out;
}

static PyObject *
quietcall_vectorcall(QuietCallObject *self, PyObject *const *args, size_t nargsf,
                     PyObject *kwnames)
{
    PyObject *token = PyObject_CallOneArg(self->enter, self->ignore);
    if (token == NULL) {
        return NULL;
    }
    PyObject *out = quietcall_call_fn(self, args, PyVectorcall_NARGS(nargsf), kwnames);
    return restored(self->leave, token, out);
}

static PyObject *
quietcall_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *names[] = {"fn", "enter", "leave", "ignore", "wrapped", "keywords", NULL};
    PyObject *fn, *enter, *leave, *ignore, *wrapped, *keywords;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOO!", names, &fn, &enter, &leave,
                                     &ignore, &wrapped, &PyDict_Type, &keywords)) {
        return NULL;
    }
    PyObject *kwnames, *kwvalues;
    if (bound_tail(empty_tuple, keywords, &kwvalues, &kwnames) < 0) {
        return NULL;
    }
    QuietCallObject *self = (QuietCallObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_XDECREF(kwnames);
        Py_XDECREF(kwvalues);
        return NULL;
    }
    self->vectorcall = (vectorcallfunc)quietcall_vectorcall;
    self->fn = Py_NewRef(fn);
    self->enter = Py_NewRef(enter);
    self->leave = Py_NewRef(leave);
    self->ignore = Py_NewRef(ignore);
    self->wrapped = Py_NewRef(wrapped);
    self->kwnames = kwnames;
    self->kwvalues = kwvalues;
    return (PyObject *)self;
}

static int
quietcall_traverse(QuietCallObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->fn);
    Py_VISIT(self->enter);
    Py_VISIT(self->leave);
    Py_VISIT(self->ignore);
    Py_VISIT(self->wrapped);
    Py_VISIT(self->kwnames);
    Py_VISIT(self->kwvalues);
    return 0;
}

static int
quietcall_clear(QuietCallObject *self)
{
    Py_CLEAR(self->fn);
    Py_CLEAR(self->enter);
    Py_CLEAR(self->leave);
    Py_CLEAR(self->ignore);
    Py_CLEAR(self->wrapped);
    Py_CLEAR(self->kwnames);
    Py_CLEAR(self->kwvalues);
    return 0;
}

static void
quietcall_dealloc(QuietCallObject *self)
{
    PyObject_GC_UnTrack(self);
    quietcall_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef quietcall_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(QuietCallObject, wrapped), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject QuietCallType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "arrayport_cpu._cquiet.QuietCall",
    .tp_doc = PyDoc_STR(
        "QuietCall(fn, enter, leave, ignore, wrapped, keywords): fn(*args, **keywords) "
        "with NumPy's error state set to ignore around it (rule NS-12)."),
    .tp_basicsize = sizeof(QuietCallObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(QuietCallObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = quietcall_new,
    .tp_traverse = (traverseproc)quietcall_traverse,
    .tp_clear = (inquiry)quietcall_clear,
    .tp_dealloc = (destructor)quietcall_dealloc,
    .tp_members = quietcall_members,
};

/* SmallReduce(reduce, fallback, within, ndarray, limits, limit, args, keywords, wrapped): the
   quiet form of the reduction `wrapped`, with its parameters decided (rule NS-12). Called with one exact
   ndarray of fewer elements than `limits[limit]` (read on each call), it runs
   `within(reduce, a, *args, **keywords)`, the reduction inside the prepared quiet
   context; any other call, and one that finds the context entered (a RuntimeError from
   `within`), is `fallback`'s, with the arguments as given. */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *reduce, *fallback, *within, *ndarray, *limits, *limit, *wrapped;
    PyObject *tail;     /* (*args, *keyword values): what follows the operand */
    PyObject *kwnames;  /* the keywords' names, or NULL */
} SmallReduceObject;

static PyObject *
smallreduce_vectorcall(SmallReduceObject *self, PyObject *const *args, size_t nargsf,
                       PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs == 1 && kwnames == NULL && (PyObject *)Py_TYPE(args[0]) == self->ndarray) {
        PyObject *size = PyObject_GetAttr(args[0], s_size);
        if (size == NULL) {
            return NULL;
        }
        Py_ssize_t n = PyLong_AsSsize_t(size);
        Py_DECREF(size);
        if (n == -1 && PyErr_Occurred()) {
            return NULL;
        }
        Py_ssize_t least = threshold(self->limits, self->limit);
        if (least == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (n < least) {
            PyObject *head[2] = {self->reduce, args[0]};
            PyObject *out = call_with_tail(self->within, head, 2, self->tail, self->kwnames);
            if (out != NULL || !PyErr_ExceptionMatches(PyExc_RuntimeError)) {
                return out;
            }
            PyErr_Clear();  /* entered: by another thread, or around us */
        }
    }
    return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
}

static PyObject *
smallreduce_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *names[] = {
        "reduce", "fallback", "within", "ndarray", "limits", "limit", "args", "keywords",
        "wrapped", NULL,
    };
    PyObject *reduce, *fallback, *within, *ndarray, *limits, *limit, *rargs, *keywords, *wrapped;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOO!UO!O!O", names, &reduce, &fallback,
                                     &within, &ndarray, &PyDict_Type, &limits, &limit,
                                     &PyTuple_Type, &rargs, &PyDict_Type, &keywords, &wrapped)) {
        return NULL;
    }
    PyObject *tail, *kwnames;
    if (bound_tail(rargs, keywords, &tail, &kwnames) < 0) {
        return NULL;
    }
    SmallReduceObject *self = (SmallReduceObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_DECREF(tail);
        Py_XDECREF(kwnames);
        return NULL;
    }
    self->vectorcall = (vectorcallfunc)smallreduce_vectorcall;
    self->reduce = Py_NewRef(reduce);
    self->fallback = Py_NewRef(fallback);
    self->within = Py_NewRef(within);
    self->ndarray = Py_NewRef(ndarray);
    self->limits = Py_NewRef(limits);
    self->limit = Py_NewRef(limit);
    self->wrapped = Py_NewRef(wrapped);
    self->tail = tail;
    self->kwnames = kwnames;
    return (PyObject *)self;
}

static int
smallreduce_traverse(SmallReduceObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->reduce);
    Py_VISIT(self->fallback);
    Py_VISIT(self->within);
    Py_VISIT(self->ndarray);
    Py_VISIT(self->limits);
    Py_VISIT(self->limit);
    Py_VISIT(self->wrapped);
    Py_VISIT(self->tail);
    Py_VISIT(self->kwnames);
    return 0;
}

static int
smallreduce_clear(SmallReduceObject *self)
{
    Py_CLEAR(self->reduce);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->within);
    Py_CLEAR(self->ndarray);
    Py_CLEAR(self->limits);
    Py_CLEAR(self->limit);
    Py_CLEAR(self->wrapped);
    Py_CLEAR(self->tail);
    Py_CLEAR(self->kwnames);
    return 0;
}

static void
smallreduce_dealloc(SmallReduceObject *self)
{
    PyObject_GC_UnTrack(self);
    smallreduce_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef smallreduce_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(SmallReduceObject, wrapped), READONLY, NULL},
    {"fallback", T_OBJECT, offsetof(SmallReduceObject, fallback), READONLY, NULL},
    {"reduce", T_OBJECT, offsetof(SmallReduceObject, reduce), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject SmallReduceType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "arrayport_cpu._cquiet.SmallReduce",
    .tp_doc = PyDoc_STR(
        "SmallReduce(reduce, fallback, within, ndarray, limits, limit, args, keywords, "
        "wrapped): the quiet form of a reduction with its parameters decided (rule NS-12)."),
    .tp_basicsize = sizeof(SmallReduceObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(SmallReduceObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = smallreduce_new,
    .tp_traverse = (traverseproc)smallreduce_traverse,
    .tp_clear = (inquiry)smallreduce_clear,
    .tp_dealloc = (destructor)smallreduce_dealloc,
    .tp_members = smallreduce_members,
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
    if ((empty_tuple = PyTuple_New(0)) == NULL
        || (s_size = PyUnicode_InternFromString("size")) == NULL
        || (s_min_items = PyUnicode_InternFromString("MIN_ITEMS")) == NULL
        || (s_min_compute_items = PyUnicode_InternFromString("MIN_COMPUTE_ITEMS")) == NULL) {
        return NULL;
    }
    if (PyType_Ready(&SmallCallType) < 0 || PyType_Ready(&QuietCallType) < 0
        || PyType_Ready(&SmallReduceType) < 0) {
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
    if (PyModule_AddObjectRef(m, "SmallCall", (PyObject *)&SmallCallType) < 0
        || PyModule_AddObjectRef(m, "QuietCall", (PyObject *)&QuietCallType) < 0
        || PyModule_AddObjectRef(m, "SmallReduce", (PyObject *)&SmallReduceType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
