/* ARM semihosting calls (see semihost.h). */
#include "semihost.h"

#define SYS_WRITE0 0x04
#define SYS_CLOCK 0x10
#define SYS_TIME 0x11
#define SYS_GET_CMDLINE 0x15
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static long call(int op, const void *arg)
{
    register long r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_puts(const char *s)
{
    call(SYS_WRITE0, s);
}

int64_t semihost_time(void)
{
    /* SYS_TIME answers in a 32-bit register: good until 2106 (unsigned). */
    long t = call(SYS_TIME, 0);
    return t == -1 ? -1 : (int64_t)(uint32_t)t;
}

long semihost_clock(void)
{
    return call(SYS_CLOCK, 0);
}

long semihost_cmdline(char *buf, size_t cap)
{
    struct { char *buf; size_t len; } block = { buf, cap };
    if (cap == 0 || call(SYS_GET_CMDLINE, &block) != 0)
        return -1;
    buf[block.len < cap ? block.len : cap - 1] = '\0';
    return (long)block.len;
}

void semihost_exit(int status)
{
    /* SYS_EXIT_EXTENDED carries a status; plain SYS_EXIT (32-bit) only says
     * "success" (ADP_Stopped_ApplicationExit) or not. */
    uint32_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status };
    call(SYS_EXIT_EXTENDED, block);
    call(SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT : 0x20024u));
    for (;;)
        __asm__ volatile("wfi");
}
