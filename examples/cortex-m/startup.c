/*
 * Reset and exception handling for a Cortex-M4 (QEMU mps2-an386): the vector
 * table, .data/.bss set-up, stack painting for the peak-stack measurement,
 * and fault handlers that report on the semihosting console and exit.
 *
 * Stack painting: before main() runs, every free word of the stack region is
 * filled with STACK_PAINT. stack_peak() later scans up from the bottom for
 * the first word that changed; everything above it has been used at some
 * point. (A function that reserves stack but never writes part of it is not
 * counted: the figure is a lower bound of the reservation, exact for what
 * was touched.)
 */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "semihost.h"

extern uint32_t __stack_limit[], __stack_top[];
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);

#define STACK_PAINT 0xa5a5a5a5u

void Reset_Handler(void)
{
    memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));

    /* Paint from the bottom of the stack up to just below our own frame. */
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_limit; p < sp - 8; p++)
        *(volatile uint32_t *)p = STACK_PAINT;

    semihost_exit(main());
}

size_t stack_peak(void)
{
    const uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT)
        p++;
    return (size_t)((const char *)__stack_top - (const char *)p);
}

size_t stack_size(void)
{
    return (size_t)((const char *)__stack_top - (const char *)__stack_limit);
}

size_t stack_depth(void)
{
    const char *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return (size_t)((const char *)__stack_top - sp);
}

static void fault(const char *what)
{
    semihost_puts("dtls-fw: FAIL fault: ");
    semihost_puts(what);
    semihost_puts("\n");
    semihost_exit(70);
}

static void HardFault_Handler(void) { fault("HardFault"); }
static void MemManage_Handler(void) { fault("MemManage"); }
static void BusFault_Handler(void) { fault("BusFault"); }
static void UsageFault_Handler(void) { fault("UsageFault"); }
static void Unexpected_Handler(void) { fault("unexpected interrupt"); }

/* Cortex-M exceptions 1..15, then the board's interrupts (IRQ 0 = UART0 RX). */
__attribute__((section(".vectors"), used)) static void (*const vectors[16 + 32])(void) = {
    [0] = (void (*)(void))__stack_top,
    [1] = Reset_Handler,
    [2] = Unexpected_Handler,  /* NMI */
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [11] = Unexpected_Handler, /* SVCall */
    [12] = Unexpected_Handler, /* DebugMonitor */
    [14] = Unexpected_Handler, /* PendSV */
    [15] = Unexpected_Handler, /* SysTick */
    [16 + UART0_RX_IRQ] = uart0_rx_irq_handler,
    [16 + UART0_TX_IRQ] = Unexpected_Handler,
};
