/*
 * The board: ARM MPS2 with the AN386 image (Cortex-M4), as QEMU emulates it
 * (-M mps2-an386). Only what the example uses: UART0, a CMSDK APB UART at
 * 0x40004000 with a one-byte receive buffer and no flow control, and the
 * NVIC. QEMU connects UART0 to the host (-serial tcp:...), which makes it the
 * firmware's network link: the TLS byte stream runs over it.
 *
 * The dtls I/O callbacks over UART0 come in two variants (make IO=...):
 *   blocking:     uart_read/uart_write poll the status register until at least
 *                 one byte moved; dtls calls never return DTLS_WANT_*.
 *   nonblocking:  an interrupt handler moves received bytes into a ring
 *                 buffer; uart_read returns DTLS_WANT_READ when it is empty and
 *                 the main loop sleeps (WFI) until the next byte arrives.
 */
#ifndef FW_BOARD_H
#define FW_BOARD_H

#include <stddef.h>
#include <stdint.h>

#define UART0_BASE 0x40004000u
#define UART0_RX_IRQ 0
#define UART0_TX_IRQ 1

/* Enable UART0 (and, in the nonblocking variant, its receive interrupt). */
void uart_init(void);
/* The dtls I/O callbacks (dtls_read_fn / dtls_write_fn shape); ctx is unused. */
long uart_read(void *ctx, uint8_t *buf, size_t len);
long uart_write(void *ctx, const uint8_t *buf, size_t len);
/* Main-loop helper for the nonblocking variant: sleep until the transport
 * may be ready for what a dtls call asked (DTLS_WANT_READ / DTLS_WANT_WRITE). */
void uart_wait(long want);
/* Before the program ends after a failure: read and drop whatever the peer
 * still sends until the line has been quiet for quiet_cs centiseconds (or
 * max_cs passed), so the alert we sent is not lost when the link is torn
 * down with unread data in it (a TCP reset discards it on the host side). */
void uart_drain(long quiet_cs, long max_cs);
/* Bytes moved, for the result line. */
extern uint32_t uart_rx_count, uart_tx_count;

void uart0_rx_irq_handler(void);

/* startup.c: stack use (painted), the stack region's size, and how deep the caller
 * is right now (its own frame and everything above it). */
size_t stack_peak(void);
size_t stack_size(void);
size_t stack_depth(void);

#endif
