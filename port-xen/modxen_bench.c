// SPDX-License-Identifier: MIT
// What `make bench` measures from inside the image (docs/benchmarks.md):
//  xen.list_raw(sysctl, records, layout) -> (domains, ns): every domain
//    listed with XEN_SYSCTL_getdomaininfolist in batches, exactly as
//    hypercalls.Hypervisor.list_domains does, with nothing decoded or
//    formatted, timed in C on the Xen clock. The layout comes from Python
//    (the release in force), so one image serves every release; what Xen
//    writes is checked against the generated layouts first, as xen.sysctl
//    does (modxen_gdil_check): a batch of more than one record only for a
//    sysctl interface version whose record size a generated layout gives.
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
#include "modxen.h"

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
// getdomaininfolist fields in it (payload included) and must be the
// generated ones, record_domain the domid's offset in one record. Each
// batch starts from that buffer as handed in (as list_domains zeroes and
// refills its own), with first_domain, max_domains and the handle to
// `records` set here. record_size must be the one the generated layouts
// give the sysctl interface version, and `records` must hold a batch of
// them; a version without one lists one record per call into at least
// MODXEN_UNKNOWN_RECORD_ROOM bytes. So Xen never writes past `records`.
// Raises ValueError for a layout that breaks that, OSError(errno) when Xen
// refuses.
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
    // where Xen reads and writes: the generated offsets, nothing else
    size_t off_first = layout_int(items, 0, XENABI_GDIL_FIRST_DOMAIN_AT, XENABI_GDIL_FIRST_DOMAIN_AT);
    size_t off_max = layout_int(items, 1, XENABI_GDIL_MAX_DOMAINS_AT, XENABI_GDIL_MAX_DOMAINS_AT);
    size_t off_num = layout_int(items, 2, XENABI_GDIL_NUM_DOMAINS_AT, XENABI_GDIL_NUM_DOMAINS_AT);
    size_t off_buf = layout_int(items, 3, XENABI_GDIL_BUFFER_AT, XENABI_GDIL_BUFFER_AT);
    size_t batch = layout_int(items, 4, 1, 4096);
    size_t rsize = layout_int(items, 5, 2, 4096);
    size_t off_dom = layout_int(items, 6, 0, rsize - 2);
    size_t end = layout_int(items, 7, 1, 0xffff);
    uint8_t template[XENABI_SYSCTL_SIZE];
    memcpy(template, sc.buf, sizeof(template));
    uint32_t cmd, version;
    memcpy(&cmd, template + XENABI_SYSCTL_CMD_AT, sizeof(cmd));
    memcpy(&version, template + XENABI_SYSCTL_VERSION_AT, sizeof(version));
    if (cmd != XENABI_SYSCTL_getdomaininfolist) {
        mp_raise_ValueError(MP_ERROR_TEXT("list_raw: the sysctl is not a getdomaininfolist"));
    }
    size_t known = modxen_gdil_check("list_raw", version, (uint32_t)batch, rec.len);
    if (known && rsize != known) {
        // the stride that finds each batch's last domid is Xen's record
        // (unknown: a batch of one, its domid inside the room checked)
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("list_raw: record size %u is not the generated layout's %u"),
            (unsigned)rsize, (unsigned)known);
    }
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
        uint16_t last;   // n <= batch <= rec.len / rsize: inside `records`
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
