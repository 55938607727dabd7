// SPDX-License-Identifier: MIT
// xen.records_merge: the poll's hot path in C. A listing batch (records of
// one release's getdomaininfo layout, `size` bytes each) is compared with
// the copy kept from the previous poll and copied over it; Python gets the
// indices that differ and decodes only those (monitor/stubmon/listing.py).
// At 1000 unchanged domains Python then touches none of them.
#include <string.h>

#include "py/runtime.h"

// records_merge(stored, at, batch, n, size) -> [index, ...]
// stored[at*size:(at+n)*size] becomes batch[:n*size]; the list holds the
// indices (at + i) whose bytes were not already there.
static mp_obj_t xen_records_merge(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t stored, batch;
    mp_get_buffer_raise(args[0], &stored, MP_BUFFER_RW);
    mp_get_buffer_raise(args[2], &batch, MP_BUFFER_READ);
    mp_int_t at = mp_obj_get_int(args[1]);
    mp_int_t n = mp_obj_get_int(args[3]);
    mp_int_t size = mp_obj_get_int(args[4]);
    if (at < 0 || n < 0 || size <= 0 || (size_t)(n * size) > batch.len
        || (size_t)((at + n) * size) > stored.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("records_merge: records past a buffer's end"));
    }
    mp_obj_t changed = mp_obj_new_list(0, NULL);
    char *dst = (char *)stored.buf + at * size;
    const char *src = batch.buf;
    for (mp_int_t i = 0; i < n; i++, dst += size, src += size) {
        if (memcmp(dst, src, size) != 0) {
            memcpy(dst, src, size);
            mp_obj_list_append(changed, MP_OBJ_NEW_SMALL_INT(at + i));
        }
    }
    return changed;
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(xen_records_merge_obj, 5, 5, xen_records_merge);
