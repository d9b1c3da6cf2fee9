/*
 * dtls I/O callbacks over the CMSDK APB UART (UART0 of mps2-an386), the
 * firmware's only link to the network. See board.h for the two variants;
 * FW_IO_NONBLOCKING selects the interrupt-driven one.
 */
#include <dtls/dtls.h>

#include "board.h"
#include "semihost.h"

struct cmsdk_uart {
    volatile uint32_t data;      /* read: received byte; write: byte to send */
    volatile uint32_t state;     /* bit 0 TX buffer full, bit 1 RX buffer full, 2/3 overruns */
    volatile uint32_t ctrl;      /* bit 0 TX enable, 1 RX enable, 2 TX irq, 3 RX irq */
    volatile uint32_t intstatus; /* read: pending; write 1s: clear */
    volatile uint32_t bauddiv;   /* >= 16 */
};
#define UART0 ((struct cmsdk_uart *)UART0_BASE)
#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u
#define CTRL_TX_EN 0x1u
#define CTRL_RX_EN 0x2u
#define CTRL_RX_IRQ_EN 0x8u
#define INT_RX 0x2u

#define NVIC_ISER0 (*(volatile uint32_t *)0xe000e100u)
#define NVIC_ISPR0 (*(volatile uint32_t *)0xe000e200u)

uint32_t uart_rx_count, uart_tx_count;

#ifdef FW_IO_NONBLOCKING
/* Receive ring, filled by the interrupt handler, emptied by uart_read. One
 * producer, one consumer: each index is written by one side only. */
#define RING_SIZE 256u
static uint8_t ring[RING_SIZE];
static volatile uint32_t ring_put, ring_get;
#endif

void uart_init(void)
{
    UART0->bauddiv = 16;
    UART0->ctrl = CTRL_TX_EN | CTRL_RX_EN;
#ifdef FW_IO_NONBLOCKING
    UART0->ctrl = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_IRQ_EN;
    NVIC_ISER0 = 1u << UART0_RX_IRQ;
#endif
}

long uart_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    size_t n = 0;
#ifdef FW_IO_NONBLOCKING
    /* Take what the transmitter accepts now. */
    while (n < len && !(UART0->state & STATE_TX_FULL))
        UART0->data = buf[n++];
    if (n == 0)
        return DTLS_WANT_WRITE;
#else
    while (n < len) {
        while (UART0->state & STATE_TX_FULL)
            ;
        UART0->data = buf[n++];
    }
#endif
    uart_tx_count += (uint32_t)n;
    return (long)n;
}

#ifdef FW_IO_NONBLOCKING

void uart0_rx_irq_handler(void)
{
    /* Clear first: a byte arriving during the loop raises it again. */
    UART0->intstatus = INT_RX;
    while (UART0->state & STATE_RX_FULL) {
        if (ring_put - ring_get == RING_SIZE) {
            /* Ring full: leave the byte in the UART and stop taking
             * interrupts until uart_read made room. (QEMU then holds back
             * the sender; a real UART would overrun here, so size the ring
             * for the worst burst between two uart_read calls.) */
            UART0->ctrl &= ~CTRL_RX_IRQ_EN;
            return;
        }
        ring[ring_put % RING_SIZE] = (uint8_t)UART0->data;
        ring_put++;
    }
}

long uart_read(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    size_t n = 0;
    while (n < len && ring_get != ring_put) {
        buf[n++] = ring[ring_get % RING_SIZE];
        ring_get++;
    }
    if (!(UART0->ctrl & CTRL_RX_IRQ_EN)) {
        /* The handler stopped on a full ring: resume, and run it once now
         * for the byte that may be waiting in the UART. */
        UART0->ctrl |= CTRL_RX_IRQ_EN;
        NVIC_ISPR0 = 1u << UART0_RX_IRQ;
    }
    if (n == 0)
        return DTLS_WANT_READ;
    uart_rx_count += (uint32_t)n;
    return (long)n;
}

void uart_wait(long want)
{
    if (want != DTLS_WANT_READ)
        return; /* the transmitter drains by itself: just try again */
    /* With interrupts masked, check and sleep: an interrupt that became
     * pending after the check still ends the WFI, so no wake-up is lost. */
    __asm__ volatile("cpsid i" ::: "memory");
    if (ring_get == ring_put)
        __asm__ volatile("wfi");
    __asm__ volatile("cpsie i" ::: "memory");
}

#else /* blocking */

void uart0_rx_irq_handler(void)
{
}

long uart_read(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    if (len == 0)
        return 0;
    /* Wait for one byte, then take whatever else is already there. */
    while (!(UART0->state & STATE_RX_FULL))
        ;
    size_t n = 0;
    do
        buf[n++] = (uint8_t)UART0->data;
    while (n < len && (UART0->state & STATE_RX_FULL));
    uart_rx_count += (uint32_t)n;
    return (long)n;
}

void uart_wait(long want)
{
    (void)want;
}

#endif

void uart_drain(long quiet_cs, long max_cs)
{
    long start = semihost_clock(), last = start;
    if (start < 0)
        return;
    for (;;) {
        uint8_t b[64];
        long now = semihost_clock();
        if (now - last >= quiet_cs || now - start >= max_cs)
            return;
#ifdef FW_IO_NONBLOCKING
        if (uart_read(NULL, b, sizeof b) > 0)
            last = semihost_clock();
#else
        if (UART0->state & STATE_RX_FULL) {
            (void)uart_read(NULL, b, sizeof b);
            last = semihost_clock();
        }
#endif
    }
}
