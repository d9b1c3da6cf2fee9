/*
 * Negative test for the example firmware's no-heap rule (scripts/firmware-test,
 * case "build refuses a firmware that links malloc"): linked in with
 * EXTRA_SRCS=this file EXTRA_LDFLAGS=-Wl,-u,heap_probe, it pulls newlib's
 * malloc into the image. _sbrk is stubbed so that the link itself succeeds
 * and only the Makefile's allocator check can reject the firmware.
 */
#include <stddef.h>
#include <stdlib.h>

void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr)
{
    (void)incr;
    return (void *)-1;
}

void *heap_probe(void);
void *heap_probe(void)
{
    return malloc(16);
}
