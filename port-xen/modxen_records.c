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
    if (at < 0 || n < 0 || size <= 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("records_merge: negative index, count or size"));
    }
    // Bounds by division, each before any product is formed: then
    // n * size <= batch.len and (at + n) * size <= stored.len, so neither
    // product (nor at * size) can wrap.
    size_t un = (size_t)n, uat = (size_t)at, usize = (size_t)size;
    size_t in_batch = batch.len / usize, in_stored = stored.len / usize;
    if (un > in_batch || uat > in_stored || un > in_stored - uat) {
        mp_raise_ValueError(MP_ERROR_TEXT("records_merge: records past a buffer's end"));
    }
    mp_obj_t changed = mp_obj_new_list(0, NULL);
    char *dst = (char *)stored.buf + uat * usize;
    const char *src = batch.buf;
    for (size_t i = 0; i < un; i++, dst += usize, src += usize) {
        if (memcmp(dst, src, usize) != 0) {
            memcpy(dst, src, usize);
            mp_obj_list_append(changed, MP_OBJ_NEW_SMALL_INT((mp_int_t)(uat + i)));
        }
    }
    return changed;
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(xen_records_merge_obj, 5, 5, xen_records_merge);
