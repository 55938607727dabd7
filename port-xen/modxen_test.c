// SPDX-License-Identifier: MIT
// xen.qemu_exit(code): the test variant only (port-xen/variants/test).
// Leaves QEMU through its isa-debug-exit port with a status a test reads
// (exit=qemu); on x86_64 PV the I/O privilege is asked for here and
// nowhere else (arch/x86_64/x86.c). A production image has neither.
#include "py/runtime.h"

#include "arch.h"
#include "console.h"

static mp_obj_t xen_qemu_exit(mp_obj_t code) {
    console_flush();
    arch_qemu_exit(mp_obj_get_int(code));
}
MP_DEFINE_CONST_FUN_OBJ_1(xen_qemu_exit_obj, xen_qemu_exit);
