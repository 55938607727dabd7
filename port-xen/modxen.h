// SPDX-License-Identifier: MIT
// Shared by the `xen` module's files (modxen.c, modxen_bench.c).
#ifndef STUBMON_MODXEN_H
#define STUBMON_MODXEN_H
#include <stddef.h>
#include <stdint.h>

// Room a getdomaininfolist of one record must have when the sysctl
// interface version has no generated layout (its record size is unknown):
// monitor/stubmon/hypercalls.py UNKNOWN_RECORD_ROOM allocates exactly this.
// Today's record is 112 (x86_64) or 120 (arm64) bytes, and a domctl
// payload is 128 bytes at most in every release so far.
#define MODXEN_UNKNOWN_RECORD_ROOM 4096

// sizeof(xen_domctl_getdomaininfo) of a sysctl interface version from the
// generated table (xenabi_sizes.h), or 0 when no generated release has it.
size_t modxen_gdil_record_size(uint32_t sysctl_version);

// Raises ValueError unless Xen may write `records` getdomaininfolist
// records of `sysctl_version` into `room` bytes: the version's record size
// from the generated table, or, for a version without one, one record into
// MODXEN_UNKNOWN_RECORD_ROOM. Returns the record size (0: unknown). `who`
// names the caller in the message.
size_t modxen_gdil_check(const char *who, uint32_t sysctl_version, uint32_t records, size_t room);

#endif
