// The port's part of the time module: included by extmod/modtime.c
// (MICROPY_PY_TIME_INCLUDEFILE), not compiled on its own.

// time(): whole seconds of Xen system time, as time_ns() gives it.
static mp_obj_t mp_time_time_get(void) {
    return mp_obj_new_int_from_ull(mp_hal_time_ns() / 1000000000ULL);
}
