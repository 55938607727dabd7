#ifndef STUBMON_MPHALPORT_H
#define STUBMON_MPHALPORT_H
// No keyboard interrupt source: the console is output only for now.
static inline void mp_hal_set_interrupt_char(int c) {
    (void)c;
}
#endif
