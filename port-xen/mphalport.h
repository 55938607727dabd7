#ifndef STUBMON_MPHALPORT_H
#define STUBMON_MPHALPORT_H
// Ctrl-C (repl=1): pyexec sets the interrupt char around each statement
// (shared/runtime/interrupt_char.c stores it); the VM hook in
// mpconfigport.h then looks for it in console input (mphalport.c).
#include <stddef.h>   // py/mphal.h uses size_t: its includers need not have it
#include "shared/runtime/interrupt_char.h"
#endif
