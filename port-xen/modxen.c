// SPDX-License-Identifier: MIT
// The `xen` Python module: the hypervisor calls the monitor needs, nothing
// more. Buffers are built in Python (layouts generated from Xen's headers,
// through monitor/abi.py); C passes them through, so one image serves every
// Xen release, after checking that what Xen will write fits the Python
// object it goes to (sizes from the generated layouts, never from Python).
#include <string.h>

#include "py/runtime.h"
#include "py/objstr.h"

#include "arch.h"
#include "clock.h"
#include "console.h"
#include "hypercall.h"
#include "modxen.h"
#include "shutdown.h"
#include "watchdog.h"

// STUBMON_ARCH: ARCH_NAME of arch/<arch>/arch.mk.
static MP_DEFINE_STR_OBJ(xen_arch_obj, STUBMON_ARCH);

// Filled in at start-up: one image may boot in more than one way.
static mp_obj_str_t xen_platform_obj = { { &mp_type_str }, 0, 0, NULL };

// The largest xen_sysctl / xen_domctl of every release the layouts were
// generated for (tools/xenabi): what a buffer from Python must hold.
#include "xenabi_sizes.h"
#define SYSCTL_SIZE XENABI_SYSCTL_SIZE
#define DOMCTL_SIZE XENABI_DOMCTL_SIZE

static void *writable_buffer(mp_obj_t obj, size_t min_len, const char *what) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(obj, &info, MP_BUFFER_RW);
    if (info.len < min_len) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s may write %u bytes; the buffer has %u"),
            what, (unsigned)min_len, (unsigned)info.len);
    }
    return info.buf;
}

static mp_obj_t xen_cmdline(void) {
    return mp_obj_new_str(arch_cmdline, strlen(arch_cmdline));
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_cmdline_obj, xen_cmdline);

static mp_obj_t xen_console_write(mp_obj_t data) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(data, &info, MP_BUFFER_READ);
    console_write(info.buf, info.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(xen_console_write_obj, xen_console_write);

// console_batch(on): a poll's output in few hypercalls (console.c); off, or
// any sleep, sends it.
static mp_obj_t xen_console_batch(mp_obj_t on) {
    console_batch(mp_obj_is_true(on));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(xen_console_batch_obj, xen_console_batch);

static mp_obj_t xen_time_ns(void) {
    return mp_obj_new_int_from_ull(clock_now_ns());
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_time_ns_obj, xen_time_ns);

static mp_obj_t xen_cpu_ns(void) {
    return mp_obj_new_int_from_ull(clock_own_cpu_ns());
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_cpu_ns_obj, xen_cpu_ns);

// sleep_until(deadline[, events]): events=False sleeps through domain
// events (they stay pending for the next sleep that wants them): how the
// monitor holds back event listings during a storm.
static mp_obj_t xen_sleep_until(size_t n_args, const mp_obj_t *args) {
    uint64_t ns = mp_obj_int_get_uint_checked(args[0]);
    bool events = n_args < 2 || mp_obj_is_true(args[1]);
    return mp_obj_new_bool(clock_sleep_until(ns, events));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(xen_sleep_until_obj, 1, 2, xen_sleep_until);

// watchdog(seconds): arm Xen's domain watchdog, re-arm it with a new
// timeout, or (0) disarm it; watchdog() kicks it. Returns 0 or -errno.
static mp_obj_t xen_watchdog(size_t n_args, const mp_obj_t *args) {
    if (n_args == 0) {
        watchdog_kick();
        return MP_OBJ_NEW_SMALL_INT(0);
    }
    mp_int_t s = mp_obj_get_int(args[0]);
    if (s < 0 || s > 0x7fffffff) {
        mp_raise_ValueError(MP_ERROR_TEXT("watchdog seconds out of range"));
    }
    return MP_OBJ_NEW_SMALL_INT(watchdog_set((uint32_t)s));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(xen_watchdog_obj, 0, 1, xen_watchdog);

// XEN_SYSCTL_getdomaininfolist writes max_domains records into the buffer
// its guest handle names, each sizeof(xen_domctl_getdomaininfo) of Xen's
// own sysctl interface version: a size Python does not get to choose. The
// generated table gives it for every sysctl version of a generated
// release; any other version may list one record per call only.
static const struct {
    uint32_t version, size;
} gdil_records[] = { XENABI_GDIL_RECORDS };

size_t modxen_gdil_record_size(uint32_t sysctl_version) {
    for (size_t i = 0; i < MP_ARRAY_SIZE(gdil_records); i++) {
        if (gdil_records[i].version == sysctl_version) {
            return gdil_records[i].size;
        }
    }
    return 0;
}

size_t modxen_gdil_check(const char *who, uint32_t sysctl_version, uint32_t records, size_t room) {
    size_t size = modxen_gdil_record_size(sysctl_version);
    if (!size) {
        if (records > 1) {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("%s: getdomaininfolist of %u records: sysctl interface 0x%x has no generated layout, its record size is unknown (one record per call)"),
                who, (unsigned)records, (unsigned)sysctl_version);
        }
        if (records && room < MODXEN_UNKNOWN_RECORD_ROOM) {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("%s: one getdomaininfolist record of unknown size needs %u bytes; the buffer has %u"),
                who, (unsigned)MODXEN_UNKNOWN_RECORD_ROOM, (unsigned)room);
        }
        return 0;
    }
    // by division: records * size is never formed
    if (records > room / size) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("%s: getdomaininfolist of %u records of %u bytes; the buffer has %u"),
            who, (unsigned)records, (unsigned)size, (unsigned)room);
    }
    return size;
}

// sysctl(buf[, records]): buf a whole xen_sysctl. For getdomaininfolist
// the records buffer is an object, not an address: C checks that Xen's
// max_domains records fit it (modxen_gdil_check) and fills the guest
// handle itself, so Xen never writes past a Python object. Without
// records only max_domains 0 goes (the probe), with a NULL handle.
static mp_obj_t xen_sysctl(size_t n_args, const mp_obj_t *args) {
    uint8_t *b = writable_buffer(args[0], SYSCTL_SIZE, "sysctl");
    uint32_t cmd, version;
    memcpy(&cmd, b + XENABI_SYSCTL_CMD_AT, sizeof(cmd));
    memcpy(&version, b + XENABI_SYSCTL_VERSION_AT, sizeof(version));
    if (cmd == XENABI_SYSCTL_getdomaininfolist) {
        uint32_t max;
        memcpy(&max, b + XENABI_GDIL_MAX_DOMAINS_AT, sizeof(max));
        uint64_t handle = 0;
        size_t room = 0;
        if (n_args > 1) {
            mp_buffer_info_t rec;
            mp_get_buffer_raise(args[1], &rec, MP_BUFFER_RW);
            handle = (uintptr_t)rec.buf;
            room = rec.len;
        } else if (max) {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("sysctl: getdomaininfolist of %u records needs its records buffer: sysctl(buf, records)"),
                (unsigned)max);
        }
        modxen_gdil_check("sysctl", version, max, room);
        memcpy(b + XENABI_GDIL_BUFFER_AT, &handle, sizeof(handle));
    } else if (n_args > 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("sysctl: a records buffer goes with getdomaininfolist only"));
    }
    return MP_OBJ_NEW_SMALL_INT(HYPERVISOR_sysctl(b));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(xen_sysctl_obj, 1, 2, xen_sysctl);

static mp_obj_t xen_domctl(mp_obj_t buf) {
    return MP_OBJ_NEW_SMALL_INT(HYPERVISOR_domctl(writable_buffer(buf, DOMCTL_SIZE, "domctl")));
}
static MP_DEFINE_CONST_FUN_OBJ_1(xen_domctl_obj, xen_domctl);

// xen_version(cmd[, buf]): every buffer is checked against what the
// sub-command writes (Xen's public version.h, unchanged 4.17 to 4.22), so
// Xen never writes past a Python object. A sub-command not listed has an
// unknown size and is refused.
#ifndef XENVER_extraversion2
// Added by 4.20's version.h (we build against 4.17's); older Xen answers
// -ENOSYS.
#define XENVER_extraversion2 11
#define XENVER_capabilities2 12
#define XENVER_changeset2    13
#define XENVER_commandline2  14
#endif
#define XENVER_NO_BUFFER  0        // arg == NULL: the answer is the return value
#define XENVER_VARBUF     (-1)     // xen_varbuf_t: 4 + its own len field
static const int16_t xenver_writes[] = {
    [XENVER_version] = XENVER_NO_BUFFER,
    [XENVER_extraversion] = sizeof(xen_extraversion_t),
    [XENVER_compile_info] = sizeof(xen_compile_info_t),
    [XENVER_capabilities] = sizeof(xen_capabilities_info_t),
    [XENVER_changeset] = sizeof(xen_changeset_info_t),
    [XENVER_platform_parameters] = sizeof(xen_platform_parameters_t),
    [XENVER_get_features] = sizeof(xen_feature_info_t),
    [XENVER_pagesize] = XENVER_NO_BUFFER,
    [XENVER_guest_handle] = sizeof(xen_domain_handle_t),
    [XENVER_commandline] = sizeof(xen_commandline_t),
    [XENVER_build_id] = XENVER_VARBUF,
    [XENVER_extraversion2] = XENVER_VARBUF,
    [XENVER_capabilities2] = XENVER_VARBUF,
    [XENVER_changeset2] = XENVER_VARBUF,
    [XENVER_commandline2] = XENVER_VARBUF,
};

static mp_obj_t xen_xen_version(size_t n_args, const mp_obj_t *args) {
    mp_int_t cmd = mp_obj_get_int(args[0]);
    if (cmd < 0 || cmd >= (mp_int_t)MP_ARRAY_SIZE(xenver_writes)) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("xen_version(%d): unknown sub-command, its output size is unknown"), (int)cmd);
    }
    int writes = xenver_writes[cmd];
    void *arg = NULL;
    if (n_args > 1) {
        mp_buffer_info_t info;
        mp_get_buffer_raise(args[1], &info, MP_BUFFER_RW);
        if (writes == XENVER_NO_BUFFER) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("xen_version(%d) takes no buffer"), (int)cmd);
        }
        size_t need = (size_t)writes;
        if (writes == XENVER_VARBUF) {
            // Xen fills buf[] up to the len the header gives (build_id
            // also checks len against what it has, never the buffer).
            uint32_t len = 0;
            if (info.len >= sizeof(len)) {
                memcpy(&len, info.buf, sizeof(len));
            }
            need = sizeof(len) + (size_t)len;
        }
        if (info.len < need) {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("xen_version(%d) writes %u bytes; the buffer has %u"),
                (int)cmd, (unsigned)need, (unsigned)info.len);
        }
        arg = info.buf;
    } else if (writes > 0) {
        // Xen would write to guest address 0.
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("xen_version(%d) writes %u bytes; no buffer given"), (int)cmd, (unsigned)writes);
    }
    // a varbuf sub-command without a buffer asks for the size: allowed
    return mp_obj_new_int(HYPERVISOR_xen_version((int)cmd, arg));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(xen_xen_version_obj, 1, 2, xen_xen_version);

static mp_obj_t xen_addressof(mp_obj_t buf) {
    return mp_obj_new_int_from_uint((uintptr_t)writable_buffer(buf, 0, "addressof"));
}
static MP_DEFINE_CONST_FUN_OBJ_1(xen_addressof_obj, xen_addressof);

static mp_obj_t xen_shutdown(mp_obj_t reason) {
    domain_shutdown(mp_obj_get_int(reason));
}
static MP_DEFINE_CONST_FUN_OBJ_1(xen_shutdown_obj, xen_shutdown);

// Console channels by name, joined with '+': "xen", "ring", "e9".
static const char *const channel_names[] = { "xen", "ring", "e9" };

static mp_obj_t xen_console_channels(void) {
    vstr_t v;
    vstr_init(&v, 16);
    unsigned int ch = console_channels();
    for (unsigned int i = 0; i < MP_ARRAY_SIZE(channel_names); i++) {
        if (ch & (1u << i)) {
            if (v.len) {
                vstr_add_char(&v, '+');
            }
            vstr_add_str(&v, channel_names[i]);
        }
    }
    return mp_obj_new_str_from_vstr(&v);
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_console_channels_obj, xen_console_channels);

// console_use("ring+e9") -> True, or False if a channel is unknown or
// missing here (nothing changes then).
static mp_obj_t xen_console_use(mp_obj_t names) {
    size_t len;
    const char *s = mp_obj_str_get_data(names, &len);
    unsigned int wanted = 0;
    while (len) {
        size_t n = 0;
        while (n < len && s[n] != '+') {
            n++;
        }
        unsigned int bit = 0;
        for (unsigned int i = 0; i < MP_ARRAY_SIZE(channel_names); i++) {
            if (strlen(channel_names[i]) == n && !memcmp(s, channel_names[i], n)) {
                bit = 1u << i;
            }
        }
        if (!bit) {
            return mp_const_false;
        }
        wanted |= bit;
        s += n;
        len -= n;
        if (len) {
            s++;
            len--;
        }
    }
    return mp_obj_new_bool(console_use(wanted));
}
static MP_DEFINE_CONST_FUN_OBJ_1(xen_console_use_obj, xen_console_use);

// console_dropped() -> lines the PV ring had no room for since boot.
static mp_obj_t xen_console_dropped(void) {
    return mp_obj_new_int_from_uint(console_dropped());
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_console_dropped_obj, xen_console_dropped);

// console_writes() -> CONSOLEIO_write hypercalls since boot (stats=1).
static mp_obj_t xen_console_writes(void) {
    return mp_obj_new_int_from_uint(console_xen_writes());
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_console_writes_obj, xen_console_writes);

// sleep_counts() -> (sleeps, blocks, events, early) since boot (clock.h).
static mp_obj_t xen_sleep_counts(void) {
    const struct clock_sleep_counts *c = clock_sleep_counts();
    mp_obj_t out[4] = {
        mp_obj_new_int_from_uint(c->sleeps), mp_obj_new_int_from_uint(c->blocks),
        mp_obj_new_int_from_uint(c->events), mp_obj_new_int_from_uint(c->early),
    };
    return mp_obj_new_tuple(4, out);
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_sleep_counts_obj, xen_sleep_counts);

static mp_obj_t xen_has_dom_exc(void) {
    return mp_obj_new_bool(clock_has_dom_exc());
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_has_dom_exc_obj, xen_has_dom_exc);

// dom_exc_rc() -> Xen's answer to binding VIRQ_DOM_EXC: 0 or -errno.
static mp_obj_t xen_dom_exc_rc(void) {
    return MP_OBJ_NEW_SMALL_INT(clock_dom_exc_rc());
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_dom_exc_rc_obj, xen_dom_exc_rc);

// bind_dom_exc() -> bind VIRQ_DOM_EXC again (after this domain was made
// its handler); 0 or -errno, as dom_exc_rc() then says. Bound: 0 at once.
static mp_obj_t xen_bind_dom_exc(void) {
    return MP_OBJ_NEW_SMALL_INT(clock_bind_dom_exc());
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_bind_dom_exc_obj, xen_bind_dom_exc);

// xen.repl(namespace) is in repl.c.
extern const mp_obj_fun_builtin_fixed_t xen_repl_obj;
#if STUBMON_TEST_HOOKS
// The test variant only (port-xen/variants/test): xen.qemu_exit()
// (modxen_test.c), xen.list_raw(), xen.boot_ns() (modxen_bench.c, what
// make bench reads).
extern const mp_obj_fun_builtin_fixed_t xen_qemu_exit_obj;
extern const mp_obj_fun_builtin_fixed_t xen_list_raw_obj;
extern const mp_obj_fun_builtin_fixed_t xen_boot_ns_obj;
#endif

extern const mp_obj_fun_builtin_var_t xen_records_merge_obj;   // modxen_records.c

// xen.cmdline_max: known only at boot (one x86_64 image boots as PV or
// PVH), so it is answered by the module's __getattr__ and the globals
// table stays const, as MicroPython's own modules' are.
static mp_obj_t xen___getattr__(mp_obj_t attr) {
    if (mp_obj_str_get_qstr(attr) == MP_QSTR_cmdline_max) {
        return MP_OBJ_NEW_SMALL_INT(arch_cmdline_max);
    }
    mp_raise_msg(&mp_type_AttributeError, NULL);
}
static MP_DEFINE_CONST_FUN_OBJ_1(xen___getattr___obj, xen___getattr__);

static const mp_rom_map_elem_t xen_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_xen) },
    { MP_ROM_QSTR(MP_QSTR_platform), MP_ROM_PTR(&xen_platform_obj) },
    { MP_ROM_QSTR(MP_QSTR_arch), MP_ROM_PTR(&xen_arch_obj) },
    { MP_ROM_QSTR(MP_QSTR_cmdline), MP_ROM_PTR(&xen_cmdline_obj) },
    { MP_ROM_QSTR(MP_QSTR___getattr__), MP_ROM_PTR(&xen___getattr___obj) },   // cmdline_max
    { MP_ROM_QSTR(MP_QSTR_console_write), MP_ROM_PTR(&xen_console_write_obj) },
    { MP_ROM_QSTR(MP_QSTR_console_batch), MP_ROM_PTR(&xen_console_batch_obj) },
    { MP_ROM_QSTR(MP_QSTR_time_ns), MP_ROM_PTR(&xen_time_ns_obj) },
    { MP_ROM_QSTR(MP_QSTR_cpu_ns), MP_ROM_PTR(&xen_cpu_ns_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep_until), MP_ROM_PTR(&xen_sleep_until_obj) },
    { MP_ROM_QSTR(MP_QSTR_sysctl), MP_ROM_PTR(&xen_sysctl_obj) },
    { MP_ROM_QSTR(MP_QSTR_records_merge), MP_ROM_PTR(&xen_records_merge_obj) },
    { MP_ROM_QSTR(MP_QSTR_domctl), MP_ROM_PTR(&xen_domctl_obj) },
    { MP_ROM_QSTR(MP_QSTR_xen_version), MP_ROM_PTR(&xen_xen_version_obj) },
    { MP_ROM_QSTR(MP_QSTR_addressof), MP_ROM_PTR(&xen_addressof_obj) },
    { MP_ROM_QSTR(MP_QSTR_shutdown), MP_ROM_PTR(&xen_shutdown_obj) },
    { MP_ROM_QSTR(MP_QSTR_console_channels), MP_ROM_PTR(&xen_console_channels_obj) },
    { MP_ROM_QSTR(MP_QSTR_console_use), MP_ROM_PTR(&xen_console_use_obj) },
    { MP_ROM_QSTR(MP_QSTR_console_dropped), MP_ROM_PTR(&xen_console_dropped_obj) },
    { MP_ROM_QSTR(MP_QSTR_console_writes), MP_ROM_PTR(&xen_console_writes_obj) },
    { MP_ROM_QSTR(MP_QSTR_has_dom_exc), MP_ROM_PTR(&xen_has_dom_exc_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep_counts), MP_ROM_PTR(&xen_sleep_counts_obj) },
    { MP_ROM_QSTR(MP_QSTR_dom_exc_rc), MP_ROM_PTR(&xen_dom_exc_rc_obj) },
    { MP_ROM_QSTR(MP_QSTR_bind_dom_exc), MP_ROM_PTR(&xen_bind_dom_exc_obj) },
    { MP_ROM_QSTR(MP_QSTR_repl), MP_ROM_PTR(&xen_repl_obj) },
    { MP_ROM_QSTR(MP_QSTR_watchdog), MP_ROM_PTR(&xen_watchdog_obj) },
    #if STUBMON_TEST_HOOKS
    { MP_ROM_QSTR(MP_QSTR_qemu_exit), MP_ROM_PTR(&xen_qemu_exit_obj) },
    { MP_ROM_QSTR(MP_QSTR_list_raw), MP_ROM_PTR(&xen_list_raw_obj) },
    { MP_ROM_QSTR(MP_QSTR_boot_ns), MP_ROM_PTR(&xen_boot_ns_obj) },
    #endif
};
static MP_DEFINE_CONST_DICT(xen_module_globals, xen_module_globals_table);

void modxen_init(void) {
    xen_platform_obj.len = strlen(arch_platform);
    xen_platform_obj.data = (const byte *)arch_platform;
}

const mp_obj_module_t mp_module_xen = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&xen_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_xen, mp_module_xen);
