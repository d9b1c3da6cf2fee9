/*
 * Internal interface of the bitsliced AES core (aes.c), for the modes in
 * gcm.c. Not part of the contract other layers code against.
 *
 *   uint64_t rk[DTLS_AES_CT64_RK_WORDS], q[8];
 *   dtls_aes_ct64_expand(rk, &key);          // once per call of a mode
 *   dtls_aes_ct64_load(q, four_blocks);      // 64 bytes -> bitsliced
 *   dtls_aes_ct64_encrypt(rk, key.rounds, q);
 *   dtls_aes_ct64_store(out, q);             // bitsliced -> 64 bytes (q is clobbered)
 *   dtls_aes_ct64_wipe(rk, DTLS_AES_CT64_RK_WORDS);
 */
#ifndef DTLS_CRYPTO_AES_CT64_H
#define DTLS_CRYPTO_AES_CT64_H

#include <stdint.h>

#include <dtls/crypto.h>

/* The bitsliced core on 32-bit words (two blocks per word, see aes.c) where the
 * CPU is 32-bit: smaller and faster there. Set -DDTLS_AES_CT32=0 or =1 to choose. */
#ifndef DTLS_AES_CT32
#if UINTPTR_MAX <= 0xFFFFFFFFu
#define DTLS_AES_CT32 1
#else
#define DTLS_AES_CT32 0
#endif
#endif

/* 15 round keys of 8 bitsliced words each (AES-256). */
#define DTLS_AES_CT64_RK_WORDS 120

void dtls_aes_ct64_expand(uint64_t *rk, const dtls_aes_key *k);
void dtls_aes_ct64_load(uint64_t q[8], const uint8_t in[64]);
void dtls_aes_ct64_store(uint8_t out[64], uint64_t q[8]);
void dtls_aes_ct64_encrypt(const uint64_t *rk, unsigned rounds, uint64_t q[8]);
/* Zero n words through a volatile pointer (cheaper than dtls_wipe on big key arrays). */
void dtls_aes_ct64_wipe(uint64_t *p, size_t n);

#endif
