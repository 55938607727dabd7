# SPDX-License-Identifier: MIT
# A domain record's fields and their units, for record.py (which decodes
# them) and columns.py (which shows them). Imports nothing: the exporter
# (exporter/stubmon_exporter/fields.py is a link to this file) reads the
# same declaration without the monitor's Xen layouts.
#   state    xl's six letters, e.g. 'r-----', '--p---', '---sc-'
#   status   the state's name: running, blocked, paused, crashed, dying,
#            'shutdown (reason)' (what events and on_domain_change say)
#   cpu_pct  CPU % since the previous poll in tenths, None without one
#   mem_pct  tot_pages over the host's memory in tenths, None without it
# DECODED: the fields one unpack_from gives, in DI_FORMAT's order; DERIVED:
# the ones derived from them. columns.py names a column's field by its name.
DECODED = tuple(
    'domid flags tot_pages max_pages cpu_time nr_online_vcpus max_vcpu_id ssidref handle '
    'cpupool'.split()
)
DERIVED = ('state', 'status', 'cpu_pct', 'mem_pct')
FIELDS = DECODED + DERIVED
MAYBE_NONE = ('cpu_pct', 'mem_pct')

PAGE_SHIFT = 12
KIB_PER_PAGE = 4  # Xen's page on x86_64 and arm64


def pages_to_mib(pages):
    return (pages << PAGE_SHIFT) >> 20


def pages_to_kib(pages):
    return pages * KIB_PER_PAGE


def max_pages_unlimited(max_pages):
    # Xen reports "no limit" as ~0U (a u32 all-ones, 16 TiB) or bigger
    return max_pages >= 0xFFFFFFFF
