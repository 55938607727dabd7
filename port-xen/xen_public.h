// SPDX-License-Identifier: MIT
// Xen's public headers, as Debian's libxen-dev ships them (the ABI is
// stable across releases for everything included here).
#ifndef STUBMON_XEN_PUBLIC_H
#define STUBMON_XEN_PUBLIC_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/event_channel.h>
#include <xen/version.h>
#include <xen/physdev.h>
#include <xen/memory.h>
#include <xen/elfnote.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>

#endif
