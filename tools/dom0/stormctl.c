// SPDX-License-Identifier: MIT
/* stormctl: a domain-event storm for the xl fault scenarios (tools/dom0/).
 * Runs in the Linux dom0 (built on the host against Xen 4.17's libxenctrl,
 * tools/dom0/stormctl.py).
 *
 *   stormctl handler DOMID    make DOMID the VIRQ_DOM_EXC handler
 *                             (XEN_DOMCTL_set_virq_handler; no xl command does it)
 *   stormctl storm SECONDS    create and destroy empty paused domains as fast
 *                             as possible; each destroy raises VIRQ_DOM_EXC.
 *                             Prints "stormctl: second N: C domains" each second
 *                             and "stormctl: total C domains in S s" at the end.
 *
 * Under FLASK a createdomain with ssidref 0 is refused (unlabeled_t), so the
 * domains are labelled system_u:system_r:domU_t (xc_flask_context_to_sid);
 * on a Xen without XSM that lookup fails and ssidref 0 is used instead.
 * Exit status 0 on success, 1 with one line naming the failing call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenctrl.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: stormctl handler DOMID | stormctl storm SECONDS\n");
    return 2;
}

static int storm(xc_interface *xch, double seconds)
{
    static char label[] = "system_u:system_r:domU_t";
    uint32_t sid = 0;
    if (xc_flask_context_to_sid(xch, label, sizeof(label), &sid) != 0) {
        printf("stormctl: no FLASK sid for %s (%s): using ssidref 0\n", label, strerror(errno));
        sid = 0;
    } else {
        printf("stormctl: ssidref %u (%s)\n", sid, label);
    }
    double t0 = now(), tick = t0 + 1.0, end = t0 + seconds;
    unsigned long total = 0, this_second = 0, second = 1;
    for (;;) {
        double t = now();
        if (t >= tick) {
            printf("stormctl: second %lu: %lu domains\n", second++, this_second);
            fflush(stdout);
            this_second = 0;
            tick += 1.0;
        }
        if (t >= end)
            break;
        /* An empty PV domain: no vCPU brought up, no memory populated. */
        struct xen_domctl_createdomain cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.ssidref = sid;
        cfg.max_vcpus = 1;
        cfg.max_evtchn_port = 0;
        cfg.max_grant_frames = -1;
        cfg.max_maptrack_frames = -1;
        cfg.grant_opts = XEN_DOMCTL_GRANT_version(1);
        uint32_t domid = 0;   /* up to 4.21, 0 means: Xen picks one */
        if (xc_domain_create(xch, &domid, &cfg) != 0) {
            printf("stormctl: xc_domain_create failed after %lu domains: %s\n", total, strerror(errno));
            return 1;
        }
        if (xc_domain_destroy(xch, domid) != 0) {
            printf("stormctl: xc_domain_destroy(%u) failed: %s\n", domid, strerror(errno));
            return 1;
        }
        total++;
        this_second++;
    }
    printf("stormctl: total %lu domains in %.1f s\n", total, now() - t0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return usage();
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) {
        printf("stormctl: xc_interface_open failed: %s\n", strerror(errno));
        return 1;
    }
    int rc;
    if (!strcmp(argv[1], "handler")) {
        char *e;
        unsigned long domid = strtoul(argv[2], &e, 10);
        if (*e || domid >= DOMID_FIRST_RESERVED)
            return usage();
        rc = xc_domain_set_virq_handler(xch, domid, VIRQ_DOM_EXC);
        if (rc)
            printf("stormctl: xc_domain_set_virq_handler(%lu, VIRQ_DOM_EXC) failed: %s\n",
                   domid, strerror(errno));
        else
            printf("stormctl: domain %lu handles VIRQ_DOM_EXC\n", domid);
        rc = rc ? 1 : 0;
    } else if (!strcmp(argv[1], "storm")) {
        char *e;
        double s = strtod(argv[2], &e);
        if (*e || s <= 0)
            return usage();
        rc = storm(xch, s);
    } else {
        rc = usage();
    }
    xc_interface_close(xch);
    return rc;
}
