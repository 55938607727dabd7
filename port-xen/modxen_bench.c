// SPDX-License-Identifier: MIT
// What `make bench` measures from inside the image (docs/benchmarks.md):
//  xen.list_raw(sysctl, records, layout) -> (domains, ns): every domain
//    listed with XEN_SYSCTL_getdomaininfolist in batches, exactly as
//    hypercalls.Hypervisor.list_domains does, with nothing decoded or
//    formatted, timed in C on the Xen clock. The layout comes from Python
//    (the release in force), so one image serves every release.
//  xen.boot_ns() -> (entry_ns, first_line_ns): the Xen time at the image's
//    entry point (stamped by the boot head) and when the first console
//    line went out (mphalport.c).
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"

#include "arch.h"
#include "bootstamp.h"
#include "clock.h"
#include "hypercall.h"

#include "xenabi_sizes.h"

uint64_t stubmon_first_line_ns;

static size_t layout_int(mp_obj_t *items, size_t i, size_t lo, size_t hi) {
    mp_int_t v = mp_obj_get_int(items[i]);
    if (v < (mp_int_t)lo || v > (mp_int_t)hi) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("list_raw: layout[%d] = %d out of range"),
            (int)i, (int)v);
    }
    return (size_t)v;
}

// list_raw(sysctl, records, (first_domain, max_domains, num_domains,
//          buffer, batch, record_size, record_domain, domid_end))
// sysctl: a xen_sysctl whose cmd and interface version are filled in
// (hypercalls.py _fill_sysctl_list); the offsets are of the
// getdomaininfolist fields in it (payload included), record_domain the
// domid's offset in one record. Each batch starts from that buffer as
// handed in (as list_domains zeroes and refills its own), with
// first_domain, max_domains and the handle to `records` set here, so Xen
// never writes past `records`. Raises OSError(errno) when Xen refuses.
static mp_obj_t xen_list_raw(mp_obj_t sysctl_obj, mp_obj_t records_obj, mp_obj_t layout_obj) {
    mp_buffer_info_t sc, rec;
    mp_get_buffer_raise(sysctl_obj, &sc, MP_BUFFER_RW);
    mp_get_buffer_raise(records_obj, &rec, MP_BUFFER_RW);
    size_t n_items;
    mp_obj_t *items;
    mp_obj_get_array(layout_obj, &n_items, &items);
    if (n_items != 8) {
        mp_raise_ValueError(MP_ERROR_TEXT("list_raw: layout has 8 items"));
    }
    if (sc.len < XENABI_SYSCTL_SIZE) {
        mp_raise_ValueError(MP_ERROR_TEXT("list_raw: sysctl buffer too small"));
    }
    size_t off_first = layout_int(items, 0, 0, XENABI_SYSCTL_SIZE - 2);
    size_t off_max = layout_int(items, 1, 0, XENABI_SYSCTL_SIZE - 4);
    size_t off_num = layout_int(items, 2, 0, XENABI_SYSCTL_SIZE - 4);
    size_t off_buf = layout_int(items, 3, 0, XENABI_SYSCTL_SIZE - 8);
    size_t batch = layout_int(items, 4, 1, 4096);
    size_t rsize = layout_int(items, 5, 1, 4096);
    size_t off_dom = layout_int(items, 6, 0, rsize - 2);
    size_t end = layout_int(items, 7, 1, 0xffff);
    if (rec.len < batch * rsize) {
        mp_raise_ValueError(MP_ERROR_TEXT("list_raw: records buffer too small for a batch"));
    }
    uint8_t template[XENABI_SYSCTL_SIZE];
    memcpy(template, sc.buf, sizeof(template));
    uint8_t *b = sc.buf;
    uint32_t max = (uint32_t)batch;
    uint64_t handle = (uintptr_t)rec.buf;

    uint64_t t0 = clock_now_ns();
    size_t domains = 0;
    unsigned int first = 0;
    long rc = 0;
    while (first < end) {
        uint16_t f16 = (uint16_t)first;
        memcpy(b, template, sizeof(template));
        memcpy(b + off_first, &f16, sizeof(f16));
        memcpy(b + off_max, &max, sizeof(max));
        memcpy(b + off_buf, &handle, sizeof(handle));
        rc = HYPERVISOR_sysctl(b);
        if (rc < 0) {
            break;
        }
        uint32_t n;
        memcpy(&n, b + off_num, sizeof(n));
        if (n > batch) {   // never trust a count past the buffer
            n = batch;
        }
        domains += n;
        if (n < batch) {
            break;
        }
        uint16_t last;
        memcpy(&last, (uint8_t *)rec.buf + (n - 1) * rsize + off_dom, sizeof(last));
        if ((unsigned int)last + 1 <= first) {   // no progress
            break;
        }
        first = (unsigned int)last + 1;
    }
    uint64_t ns = clock_now_ns() - t0;
    if (rc < 0) {
        mp_raise_OSError((int)-rc);
    }
    mp_obj_t out[2] = { mp_obj_new_int_from_uint(domains), mp_obj_new_int_from_ull(ns) };
    return mp_obj_new_tuple(2, out);
}
MP_DEFINE_CONST_FUN_OBJ_3(xen_list_raw_obj, xen_list_raw);

static mp_obj_t xen_boot_ns(void) {
    mp_obj_t out[2] = {
        mp_obj_new_int_from_ull(arch_entry_ns()),
        mp_obj_new_int_from_ull(stubmon_first_line_ns),
    };
    return mp_obj_new_tuple(2, out);
}
MP_DEFINE_CONST_FUN_OBJ_0(xen_boot_ns_obj, xen_boot_ns);
