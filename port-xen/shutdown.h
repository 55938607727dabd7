// SPDX-License-Identifier: MIT
#ifndef STUBMON_SHUTDOWN_H
#define STUBMON_SHUTDOWN_H
// End this domain (SHUTDOWN_poweroff, _reboot, _crash ...), console flushed.
__attribute__((noreturn)) void domain_shutdown(unsigned int reason);
#endif
