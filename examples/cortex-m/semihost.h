/*
 * ARM semihosting: the debugger's (here QEMU's) console, clock, command line
 * and exit code, reached with `bkpt 0xab` (r0 = operation, r1 = argument).
 * Only the test harness is behind it: a product has no semihosting host and
 * must not call these (a `bkpt` without a debugger attached faults).
 *
 *   semihost_puts("hello\n");
 *   int64_t t = semihost_time();                 // host clock, seconds since 1970
 *   char args[128]; semihost_cmdline(args, sizeof args);
 *   semihost_exit(0);                            // QEMU exits with this status
 */
#ifndef FW_SEMIHOST_H
#define FW_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

void semihost_puts(const char *s);
/* Seconds since the epoch from the host's clock; -1 if the host cannot tell. */
int64_t semihost_time(void);
/* Centiseconds since the program started (host clock); -1 if unknown. */
long semihost_clock(void);
/* The command line QEMU was given (-semihosting-config arg=...), NUL-terminated.
 * Returns its length, or -1. */
long semihost_cmdline(char *buf, size_t cap);
/* End the program with this exit status (QEMU exits with it). */
void semihost_exit(int status) __attribute__((noreturn));

#endif
