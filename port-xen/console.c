// Output to the Xen console through CONSOLEIO_write.
#include "console.h"
#include "hypercall.h"

static char line[256];
static size_t used;

void console_flush(void) {
    if (used) {
        HYPERVISOR_console_io(CONSOLEIO_write, used, line);
        used = 0;
    }
}

void console_write(const char *s, size_t n) {
    while (n--) {
        char c = *s++;
        line[used++] = c;
        if (c == '\n' || used == sizeof(line)) {
            console_flush();
        }
    }
}
