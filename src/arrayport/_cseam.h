/* What the seam's C files share (rule DS-6): the Array's and the Operation's fields, the
 * types, what arrayport._seam installs, and the helpers of the keys.
 *
 *   _cseam.c        the entries (apply1, apply2, applyn), install and the module;
 *   _cseam_types.c  the Array's storage, the Operation's flags and the plain replay;
 *   _cseam_keys.c   the registry, the parts of a key and the lookup;
 *   _cseam_convert.c  asarray's, from_dlpack's and astype's lookup of a kept conversion.
 */

#ifndef ARRAYPORT_CSEAM_H
#define ARRAYPORT_CSEAM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *native;
    PyObject *device;
    PyObject *dtype;
    PyObject *readonly;
    PyObject *grad;
    PyObject *weakreflist;
} ArrayObject;

typedef struct {
    PyObject_HEAD
    char ndim;   /* its decisions depend on the operands' numbers of dimensions */
    char typed;  /* its parameters are keyed by type as well as by value */
} OperationObject;

extern PyTypeObject ArrayBaseType;
extern PyTypeObject OperationBaseType;
extern PyTypeObject ReplayType;

/* What arrayport._seam installs (_cseam.c defines them). */
extern PyTypeObject *Array;  /* arrayport.Array, a subclass of ArrayBase */
extern PyObject *plugins_dict;  /* arrayport._plugins' globals: its _REGISTRY */
extern PyObject *current_registry;
extern PyObject *decide;
extern PyObject *recorded;
extern PyObject *operand;  /* arrayport._operations.Operand */
extern PyObject *last_registry;
extern PyObject *last_table;
extern PyObject *s_REGISTRY, *s_decisions, *s_typed, *s_ndim, *s_shape, *s_dlpack, *s_readonly;
extern PyObject *empty_tuple;

/* _cseam_types.c */
PyObject *cseam_new(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* _cseam_keys.c */
PyObject *cs_registry(void);
int cs_flag(PyObject *obj, PyObject *name);
PyObject *cs_kind_of(PyObject *op, PyObject *params);
PyObject *cs_value_key(PyObject *x);
PyObject *cseam_signature(PyObject *module, PyObject *x);
PyObject *cs_ndim_of(PyObject *native);
PyObject *cs_lookup(PyObject *reg, PyObject *op, PyObject *params, PyObject *key, PyObject *given,
                    PyObject *const *ops, Py_ssize_t nops);
PyObject *cs_pack_key(PyObject **parts, Py_ssize_t n);
PyObject *cs_kept(PyObject *reg, PyObject *key);
/* _cseam_convert.c */
PyObject *cseam_convert(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *cseam_install_convert(PyObject *module, PyObject *args);
int cs_entry_args(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t least, const char *usage,
                  PyObject **params);

/* A new Array (the one constructor); steals no reference. */
static inline PyObject *
cs_make_array(PyObject *native, PyObject *device, PyObject *dtype, PyObject *readonly)
{
    ArrayObject *a = (ArrayObject *)Array->tp_alloc(Array, 0);
    if (a == NULL) {
        return NULL;
    }
    a->native = Py_NewRef(native);
    a->device = Py_NewRef(device);
    a->dtype = Py_NewRef(dtype);
    a->readonly = Py_NewRef(readonly);
    a->grad = Py_NewRef(Py_None);
    return (PyObject *)a;
}

#endif
