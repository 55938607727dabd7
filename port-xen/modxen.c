// The `xen` Python module: the hypervisor calls the monitor needs, nothing
// more. Buffers are built in Python (layouts generated from Xen's headers,
// through monitor/abi.py); C only
// passes them through, so one image serves every Xen release.
#include <string.h>

#include "py/runtime.h"
#include "py/objstr.h"

#include "arch.h"
#include "clock.h"
#include "console.h"
#include "hypercall.h"
#include "shutdown.h"
#include "watchdog.h"

#if defined(__x86_64__)
#define STUBMON_ARCH "x86_64"
#elif defined(__aarch64__)
#define STUBMON_ARCH "aarch64"
#endif
static MP_DEFINE_STR_OBJ(xen_arch_obj, STUBMON_ARCH);

// Filled in at start-up: one image may boot in more than one way.
static mp_obj_str_t xen_platform_obj = { { &mp_type_str }, 0, 0, NULL };

void modxen_init(void) {
    xen_platform_obj.len = strlen(arch_platform);
    xen_platform_obj.data = (const byte *)arch_platform;
}

// The largest xen_sysctl / xen_domctl of every release the layouts were
// generated for (tools/xenabi): what a buffer from Python must hold.
#include "xenabi_sizes.h"
#define SYSCTL_SIZE XENABI_SYSCTL_SIZE
#define DOMCTL_SIZE XENABI_DOMCTL_SIZE

static void *writable_buffer(mp_obj_t obj, size_t min_len, const char *what) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(obj, &info, MP_BUFFER_RW);
    if (info.len < min_len) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s buffer needs %d bytes"), what, (int)min_len);
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

static mp_obj_t xen_sysctl(mp_obj_t buf) {
    return MP_OBJ_NEW_SMALL_INT(HYPERVISOR_sysctl(writable_buffer(buf, SYSCTL_SIZE, "sysctl")));
}
static MP_DEFINE_CONST_FUN_OBJ_1(xen_sysctl_obj, xen_sysctl);

static mp_obj_t xen_domctl(mp_obj_t buf) {
    return MP_OBJ_NEW_SMALL_INT(HYPERVISOR_domctl(writable_buffer(buf, DOMCTL_SIZE, "domctl")));
}
static MP_DEFINE_CONST_FUN_OBJ_1(xen_domctl_obj, xen_domctl);

// xen_version(cmd[, buf]): the sub-commands the monitor uses take either
// no argument (XENVER_version) or a small output buffer.
static mp_obj_t xen_xen_version(size_t n_args, const mp_obj_t *args) {
    int cmd = mp_obj_get_int(args[0]);
    void *arg = n_args > 1 ? writable_buffer(args[1], 0, "xen_version") : NULL;
    return mp_obj_new_int(HYPERVISOR_xen_version(cmd, arg));
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

static mp_obj_t xen_qemu_exit(mp_obj_t code) {
    console_flush();
    arch_qemu_exit(mp_obj_get_int(code));
}
static MP_DEFINE_CONST_FUN_OBJ_1(xen_qemu_exit_obj, xen_qemu_exit);

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

static mp_obj_t xen_has_dom_exc(void) {
    return mp_obj_new_bool(clock_has_dom_exc());
}
static MP_DEFINE_CONST_FUN_OBJ_0(xen_has_dom_exc_obj, xen_has_dom_exc);

// xen.repl(namespace) is in repl.c.
extern const mp_obj_fun_builtin_fixed_t xen_repl_obj;

static const mp_rom_map_elem_t xen_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_xen) },
    { MP_ROM_QSTR(MP_QSTR_platform), MP_ROM_PTR(&xen_platform_obj) },
    { MP_ROM_QSTR(MP_QSTR_arch), MP_ROM_PTR(&xen_arch_obj) },
    { MP_ROM_QSTR(MP_QSTR_cmdline), MP_ROM_PTR(&xen_cmdline_obj) },
    { MP_ROM_QSTR(MP_QSTR_console_write), MP_ROM_PTR(&xen_console_write_obj) },
    { MP_ROM_QSTR(MP_QSTR_time_ns), MP_ROM_PTR(&xen_time_ns_obj) },
    { MP_ROM_QSTR(MP_QSTR_cpu_ns), MP_ROM_PTR(&xen_cpu_ns_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep_until), MP_ROM_PTR(&xen_sleep_until_obj) },
    { MP_ROM_QSTR(MP_QSTR_sysctl), MP_ROM_PTR(&xen_sysctl_obj) },
    { MP_ROM_QSTR(MP_QSTR_domctl), MP_ROM_PTR(&xen_domctl_obj) },
    { MP_ROM_QSTR(MP_QSTR_xen_version), MP_ROM_PTR(&xen_xen_version_obj) },
    { MP_ROM_QSTR(MP_QSTR_addressof), MP_ROM_PTR(&xen_addressof_obj) },
    { MP_ROM_QSTR(MP_QSTR_shutdown), MP_ROM_PTR(&xen_shutdown_obj) },
    { MP_ROM_QSTR(MP_QSTR_qemu_exit), MP_ROM_PTR(&xen_qemu_exit_obj) },
    { MP_ROM_QSTR(MP_QSTR_console_channels), MP_ROM_PTR(&xen_console_channels_obj) },
    { MP_ROM_QSTR(MP_QSTR_console_use), MP_ROM_PTR(&xen_console_use_obj) },
    { MP_ROM_QSTR(MP_QSTR_console_dropped), MP_ROM_PTR(&xen_console_dropped_obj) },
    { MP_ROM_QSTR(MP_QSTR_has_dom_exc), MP_ROM_PTR(&xen_has_dom_exc_obj) },
    { MP_ROM_QSTR(MP_QSTR_repl), MP_ROM_PTR(&xen_repl_obj) },
    { MP_ROM_QSTR(MP_QSTR_watchdog), MP_ROM_PTR(&xen_watchdog_obj) },
};
static MP_DEFINE_CONST_DICT(xen_module_globals, xen_module_globals_table);

const mp_obj_module_t mp_module_xen = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&xen_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_xen, mp_module_xen);
