# SPDX-License-Identifier: MIT
# Never stop watching: an error in a poll, an event listing, a formatter or
# a user script is said (one line and its traceback), counted, and the work
# goes on. After BACKOFF_AFTER errors in a row the caller spaces its work
# out (back-off, said once per step) until it works again (said too).
import gc
import sys

BACKOFF_AFTER = 3  # errors in a row before backing off
BACKOFF_MAX = 8  # at most this many intervals between tries while failing


def error_text(e):
    """'KeyError: 'x'', or just 'MemoryError' for one without text."""
    text = str(e)
    return '%s: %s' % (type(e).__name__, text) if text else type(e).__name__


def heap_text():
    """The heap's figures (MicroPython's gc), e.g. '1234 bytes used, 5678 free'."""
    if not hasattr(gc, 'mem_alloc'):  # CPython (unit tests)
        return 'heap figures not available'
    return '%d bytes used, %d free' % (gc.mem_alloc(), gc.mem_free())


def _traceback_lines(e):
    pe = getattr(sys, 'print_exception', None)
    if pe is None:  # CPython
        import traceback

        return ''.join(traceback.format_exception(type(e), e, e.__traceback__)).splitlines()
    try:
        import io

        buf = io.StringIO()
    except (ImportError, AttributeError):  # MicroPython built without it
        return ['Traceback: not available (no io.StringIO in this build)']
    pe(e, buf)
    text = buf.getvalue().rstrip('\n')
    if not text:  # a build whose print_exception ignores the file
        return ['Traceback: not available (print_exception wrote nothing here)']
    return text.split('\n')  # no splitlines at CORE level


def print_traceback(e, say):
    """The traceback: straight to the console where say is print (the
    image, which has no io module), else line by line through say."""
    try:
        if say is print and hasattr(sys, 'print_exception'):
            sys.print_exception(e)
            return
        for line in _traceback_lines(e):
            say(line)
    except Exception as e2:  # a traceback must never cost the loop
        say('(no traceback: %s)' % error_text(e2))


class Health:
    """Error counts of one loop. failed() says the error and returns the
    back-off: how many intervals to wait before the next try (1 normally);
    ok() ends a run of errors."""

    def __init__(self, say, name='stubmon', what='poll'):
        self.say = say
        self.name = name
        self.what = what  # what a back-off spaces out: 'poll', 'restart'
        self.errors = 0  # since start
        self.in_row = 0
        self.backoff = 1
        self.on_error = None  # fn(where, text): also reported elsewhere (JSON)

    def failed(self, where, e):
        self.errors += 1
        self.in_row += 1
        say = self.say
        text = error_text(e)
        if isinstance(e, MemoryError):
            gc.collect()
            say(
                '%s: out of memory in %s; after a collection the heap has %s; going on'
                % (self.name, where, heap_text())
            )
        else:
            say('%s: error in %s: %s' % (self.name, where, text))
        print_traceback(e, say)
        if self.on_error:
            self.on_error(where, text)
        if self.in_row >= BACKOFF_AFTER and self.backoff < BACKOFF_MAX:
            self.backoff = min(self.backoff * 2, BACKOFF_MAX)
            say(
                '%s: %d errors in a row; backing off: one %s every %d intervals until one works'
                % (self.name, self.in_row, self.what, self.backoff)
            )
        return self.backoff

    def ok(self, where):
        if self.in_row:
            if self.backoff > 1:
                self.say(
                    '%s: %s worked again after %d errors in a row; back to every interval'
                    % (self.name, where, self.in_row)
                )
            self.in_row = 0
            self.backoff = 1
