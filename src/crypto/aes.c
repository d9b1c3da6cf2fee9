/*
 * AES-128/192/256 encryption, bitsliced on 64-bit words: four blocks are
 * encrypted at once and no table is ever indexed by key or data.
 *
 * Bitsliced layout
 * ----------------
 * Four blocks are 64 bytes. The state is eight 64-bit words q[0..7]; word
 * q[j] holds bit j (j = 0 is the least significant bit) of each of the 64
 * bytes. Inside a word, the byte at row r, column c (AES byte index 4c + r)
 * of block k sits at bit position
 *
 *     16 r + 4 c + k          (r, c, k in 0..3)
 *
 * so each row of the AES state is one 16-bit lane, each column one nibble of
 * that lane, and the four blocks are the four bits of the nibble. With this
 * layout:
 *   - SubBytes is a Boolean circuit applied to the eight words (one gate is
 *     one 64-bit operation, covering all 64 bytes);
 *   - ShiftRows rotates lane r right by 4 r bits (masks and shifts), and
 *     is not done in the rounds at all (fixslicing, see mix_columns);
 *   - MixColumns needs the byte one row below, which is the whole word
 *     rotated right by 16 bits; two rows below is a rotation by 32;
 *   - a round key (the same for the four blocks) has the 4 bits of every
 *     nibble equal, so it is stored "compressed" as one bit per nibble.
 *
 * Getting there from bytes ("transpose")
 * --------------------------------------
 * transpose() swaps, for each bit, the 3-bit word index w with the low 3
 * bits of the position p: the bit at (word w, position 8 m + j) moves to
 * (word j, position 8 m + w). It is an involution. So if input word w holds,
 * in its byte m, the AES byte that should end at position 8 m + w, the
 * transpose sends bit j of that byte to word j at the right place. Solving
 * 8 m + w = 16 r + 4 c + k gives w = 4 (c & 1) + k and m = 2 r + (c >> 1):
 * input word 4 p + k holds the bytes of block k's columns p and p + 2,
 * interleaved byte by byte (column p on even bytes, row order kept). That is
 * what load_blocks() builds from the little-endian column words.
 *
 * The S-box is the circuit of Boyar and Peralta, "A new combinational logic
 * minimization technique with applications to cryptology" (SEA 2010,
 * ePrint 2009/191), figures 2-4: 23 + 30 + 34 gates plus four NOTs, in the
 * paper's own gate names so it can be checked line by line. The paper
 * numbers the input bits from the most significant (U0 = bit 7), hence
 * x0 = q[7] ... x7 = q[0], and likewise for the outputs s0 ... s7.
 *
 * Cost per four blocks and round: ~120 S-box gates, 40 to 100 operations
 * for MixColumns, 8 for the round key, all on 64-bit words. Measured on
 * x86-64 (gcc -O2): about 200 MB/s for AES-128 on this code path.
 *
 * 32-bit targets (DTLS_AES_CT32, see aes_ct64.h)
 * ----------------------------------------------
 * A 64-bit operation is two instructions there, and sixteen live 64-bit
 * words do not fit the registers. So the same design runs on 32-bit words
 * holding two blocks, the byte at row r, column c of block k at bit
 *
 *     8 r + 2 c + k           (r, c in 0..3, k in 0..1)
 *
 * (a row is an 8-bit lane, a column a 2-bit pair). The S-box circuit,
 * MixColumns and the round loop are the same code on the narrower word;
 * only the layout-dependent pieces (transpose masks, loading, the row and
 * column rotations, the compressed round keys) come in two versions. The
 * transpose now sends input word 2 c + k, byte r, to position 8 r + 2 c + k,
 * so a block's little-endian column word c is loaded as it is. The
 * interface of aes_ct64.h keeps its 64-bit words: a word's low half holds
 * blocks 0 and 1, its high half blocks 2 and 3, encrypted one half after
 * the other; an expanded round key word holds the 32-bit key word.
 */
#include "crypto/aes.h"
#include "crypto/aes_ct64.h"
#include "crypto/util.h"

#include <string.h>

/*
 * The S-box and MixColumns are worth inlining into the round loop (about
 * 10% on x86-64: the state stays in registers); GCC at -O2 does not do it
 * on its own. Builds for size (-Os) keep calls.
 */
#if defined(__GNUC__) && !defined(__OPTIMIZE_SIZE__)
#define ROUND_INLINE __attribute__((always_inline)) static inline
#else
#define ROUND_INLINE static inline
#endif

/* A bitsliced word: one bit plane of four blocks (64 bits) or of two (32). */
#if DTLS_AES_CT32
typedef uint32_t aes_word;
#define LANE 8   /* bits per row */
#else
typedef uint64_t aes_word;
#define LANE 16
#endif
#define COL (LANE / 4) /* bits per column: one per block */

ROUND_INLINE void sbox(aes_word q[8])
{
    const aes_word x0 = q[7], x1 = q[6], x2 = q[5], x3 = q[4];
    const aes_word x4 = q[3], x5 = q[2], x6 = q[1], x7 = q[0];

    /* Top linear transformation (figure 2). */
    const aes_word y14 = x3 ^ x5;
    const aes_word y13 = x0 ^ x6;
    const aes_word y9 = x0 ^ x3;
    const aes_word y8 = x0 ^ x5;
    const aes_word t0 = x1 ^ x2;
    const aes_word y1 = t0 ^ x7;
    const aes_word y4 = y1 ^ x3;
    const aes_word y12 = y13 ^ y14;
    const aes_word y2 = y1 ^ x0;
    const aes_word y5 = y1 ^ x6;
    const aes_word y3 = y5 ^ y8;
    const aes_word t1 = x4 ^ y12;
    const aes_word y15 = t1 ^ x5;
    const aes_word y20 = t1 ^ x1;
    const aes_word y6 = y15 ^ x7;
    const aes_word y10 = y15 ^ t0;
    const aes_word y11 = y20 ^ y9;
    const aes_word y7 = x7 ^ y11;
    const aes_word y17 = y10 ^ y11;
    const aes_word y19 = y10 ^ y8;
    const aes_word y16 = t0 ^ y11;
    const aes_word y21 = y13 ^ y16;
    const aes_word y18 = x0 ^ y16;

    /* Non-linear middle: inversion in GF(2^4)^2 (figure 3). */
    const aes_word t2 = y12 & y15;
    const aes_word t3 = y3 & y6;
    const aes_word t4 = t3 ^ t2;
    const aes_word t5 = y4 & x7;
    const aes_word t6 = t5 ^ t2;
    const aes_word t7 = y13 & y16;
    const aes_word t8 = y5 & y1;
    const aes_word t9 = t8 ^ t7;
    const aes_word t10 = y2 & y7;
    const aes_word t11 = t10 ^ t7;
    const aes_word t12 = y9 & y11;
    const aes_word t13 = y14 & y17;
    const aes_word t14 = t13 ^ t12;
    const aes_word t15 = y8 & y10;
    const aes_word t16 = t15 ^ t12;
    const aes_word t17 = t4 ^ t14;
    const aes_word t18 = t6 ^ t16;
    const aes_word t19 = t9 ^ t14;
    const aes_word t20 = t11 ^ t16;
    const aes_word t21 = t17 ^ y20;
    const aes_word t22 = t18 ^ y19;
    const aes_word t23 = t19 ^ y21;
    const aes_word t24 = t20 ^ y18;
    const aes_word t25 = t21 ^ t22;
    const aes_word t26 = t21 & t23;
    const aes_word t27 = t24 ^ t26;
    const aes_word t28 = t25 & t27;
    const aes_word t29 = t28 ^ t22;
    const aes_word t30 = t23 ^ t24;
    const aes_word t31 = t22 ^ t26;
    const aes_word t32 = t31 & t30;
    const aes_word t33 = t32 ^ t24;
    const aes_word t34 = t23 ^ t33;
    const aes_word t35 = t27 ^ t33;
    const aes_word t36 = t24 & t35;
    const aes_word t37 = t36 ^ t34;
    const aes_word t38 = t27 ^ t36;
    const aes_word t39 = t29 & t38;
    const aes_word t40 = t25 ^ t39;
    const aes_word t41 = t40 ^ t37;
    const aes_word t42 = t29 ^ t33;
    const aes_word t43 = t29 ^ t40;
    const aes_word t44 = t33 ^ t37;
    const aes_word t45 = t42 ^ t41;
    const aes_word z0 = t44 & y15;
    const aes_word z1 = t37 & y6;
    const aes_word z2 = t33 & x7;
    const aes_word z3 = t43 & y16;
    const aes_word z4 = t40 & y1;
    const aes_word z5 = t29 & y7;
    const aes_word z6 = t42 & y11;
    const aes_word z7 = t45 & y17;
    const aes_word z8 = t41 & y10;
    const aes_word z9 = t44 & y12;
    const aes_word z10 = t37 & y3;
    const aes_word z11 = t33 & y4;
    const aes_word z12 = t43 & y13;
    const aes_word z13 = t40 & y5;
    const aes_word z14 = t29 & y2;
    const aes_word z15 = t42 & y9;
    const aes_word z16 = t45 & y14;
    const aes_word z17 = t41 & y8;

    /* Bottom linear transformation, affine constant included (figure 4). */
    const aes_word t46 = z15 ^ z16;
    const aes_word t47 = z10 ^ z11;
    const aes_word t48 = z5 ^ z13;
    const aes_word t49 = z9 ^ z10;
    const aes_word t50 = z2 ^ z12;
    const aes_word t51 = z2 ^ z5;
    const aes_word t52 = z7 ^ z8;
    const aes_word t53 = z0 ^ z3;
    const aes_word t54 = z6 ^ z7;
    const aes_word t55 = z16 ^ z17;
    const aes_word t56 = z12 ^ t48;
    const aes_word t57 = t50 ^ t53;
    const aes_word t58 = z4 ^ t46;
    const aes_word t59 = z3 ^ t54;
    const aes_word t60 = t46 ^ t57;
    const aes_word t61 = z14 ^ t57;
    const aes_word t62 = t52 ^ t58;
    const aes_word t63 = t49 ^ t58;
    const aes_word t64 = z4 ^ t59;
    const aes_word t65 = t61 ^ t62;
    const aes_word t66 = z1 ^ t63;
    const aes_word t67 = t64 ^ t65;
    const aes_word s0 = t59 ^ t63;
    const aes_word s3 = t53 ^ t66;
    q[7] = s0;
    q[6] = ~(t64 ^ s3);     /* s1 */
    q[5] = ~(t55 ^ t67);    /* s2 */
    q[4] = s3;
    q[3] = t51 ^ t66;       /* s4 */
    q[2] = t47 ^ t65;       /* s5 */
    q[1] = ~(t56 ^ t62);    /* s6 */
    q[0] = ~(t48 ^ t60);    /* s7 */
}

/*
 * The bit matrix transpose described at the top: three rounds of swaps,
 * exchanging bit s of the word index with bit s of the position for
 * s = 1, 2, 4 (each swap pairs words a and a + s and bits p and p + s).
 */
#define SWAP_BITS(a, b, m, s)                                                  \
    do {                                                                       \
        aes_word lo_ = (a), hi_ = (b);                                         \
        (a) = (lo_ & (m)) | ((hi_ & (m)) << (s));                              \
        (b) = ((lo_ >> (s)) & (m)) | (hi_ & (aes_word) ~(m));                  \
    } while (0)

#if defined(DTLS_SMALL_CODE) || (defined(__OPTIMIZE_SIZE__) && !defined(DTLS_FAST_CODE))
/* The same swaps as loops (builds for size): a third of the code. The
 * condition on i is on the loop index only, never on data. */
static void transpose(aes_word q[8])
{
    static const aes_word m[3] = { (aes_word)0x5555555555555555u, (aes_word)0x3333333333333333u,
                                   (aes_word)0x0F0F0F0F0F0F0F0Fu };
    for (unsigned k = 0; k < 3; k++) {
        const unsigned s = 1u << k;
        for (unsigned i = 0; i < 8; i++)
            if (!(i & s))
                SWAP_BITS(q[i], q[i + s], m[k], s);
    }
}
#else
static void transpose(aes_word q[8])
{
    const aes_word m1 = (aes_word)0x5555555555555555u, m2 = (aes_word)0x3333333333333333u;
    const aes_word m4 = (aes_word)0x0F0F0F0F0F0F0F0Fu;
    SWAP_BITS(q[0], q[1], m1, 1);
    SWAP_BITS(q[2], q[3], m1, 1);
    SWAP_BITS(q[4], q[5], m1, 1);
    SWAP_BITS(q[6], q[7], m1, 1);
    SWAP_BITS(q[0], q[2], m2, 2);
    SWAP_BITS(q[1], q[3], m2, 2);
    SWAP_BITS(q[4], q[6], m2, 2);
    SWAP_BITS(q[5], q[7], m2, 2);
    SWAP_BITS(q[0], q[4], m4, 4);
    SWAP_BITS(q[1], q[5], m4, 4);
    SWAP_BITS(q[2], q[6], m4, 4);
    SWAP_BITS(q[3], q[7], m4, 4);
}
#endif

#if DTLS_AES_CT32
/* Two blocks into the 32-bit layout: word 2 c + k is column c of block k. */
static void load2(aes_word q[8], const uint8_t in[32])
{
    for (unsigned i = 0; i < 8; i++)
        q[i] = dtls_load32_le(in + 16 * (i & 1) + 4 * (i >> 1));
    transpose(q);
}

static void store2(uint8_t out[32], aes_word q[8])
{
    transpose(q);
    for (unsigned i = 0; i < 8; i++)
        dtls_store32_le(out + 16 * (i & 1) + 4 * (i >> 1), q[i]);
}

/* Blocks 0-1 in the low halves of q, blocks 2-3 in the high halves. */
void dtls_aes_ct64_load(uint64_t q[8], const uint8_t in[64])
{
    aes_word lo[8], hi[8];
    load2(lo, in);
    load2(hi, in + 32);
    for (unsigned i = 0; i < 8; i++)
        q[i] = lo[i] | (uint64_t)hi[i] << 32;
    dtls_wipe(lo, sizeof lo);
    dtls_wipe(hi, sizeof hi);
}

void dtls_aes_ct64_store(uint8_t out[64], uint64_t q[8])
{
    aes_word lo[8], hi[8];
    for (unsigned i = 0; i < 8; i++) {
        lo[i] = (aes_word)q[i];
        hi[i] = (aes_word)(q[i] >> 32);
    }
    store2(out, lo);
    store2(out + 32, hi);
    dtls_wipe(lo, sizeof lo);
    dtls_wipe(hi, sizeof hi);
}
#else
/* Byte r of the 32-bit x goes to byte 2 r of the result; odd bytes are 0. */
static uint64_t spread_bytes(uint32_t x)
{
    uint64_t v = x;
    v = (v | (v << 16)) & 0x0000FFFF0000FFFFu;
    v = (v | (v << 8)) & 0x00FF00FF00FF00FFu;
    return v;
}

/* Inverse of spread_bytes on the even bytes of v (odd bytes ignored). */
static uint32_t gather_bytes(uint64_t v)
{
    v &= 0x00FF00FF00FF00FFu;
    v = (v | (v >> 8)) & 0x0000FFFF0000FFFFu;
    v = (v | (v >> 16)) & 0x00000000FFFFFFFFu;
    return (uint32_t)v;
}

void dtls_aes_ct64_load(uint64_t q[8], const uint8_t in[64])
{
    for (unsigned k = 0; k < 4; k++) {
        const uint8_t *b = in + 16 * k;
        uint32_t c0 = dtls_load32_le(b), c1 = dtls_load32_le(b + 4);
        uint32_t c2 = dtls_load32_le(b + 8), c3 = dtls_load32_le(b + 12);
        q[k] = spread_bytes(c0) | (spread_bytes(c2) << 8);
        q[4 + k] = spread_bytes(c1) | (spread_bytes(c3) << 8);
    }
    transpose(q);
}

void dtls_aes_ct64_store(uint8_t out[64], uint64_t q[8])
{
    transpose(q);
    for (unsigned k = 0; k < 4; k++) {
        uint8_t *b = out + 16 * k;
        dtls_store32_le(b, gather_bytes(q[k]));
        dtls_store32_le(b + 4, gather_bytes(q[4 + k]));
        dtls_store32_le(b + 8, gather_bytes(q[k] >> 8));
        dtls_store32_le(b + 12, gather_bytes(q[4 + k] >> 8));
    }
}

#endif

static aes_word rotr(aes_word x, unsigned n)
{
    return (aes_word)((x >> n) | (x << (8 * sizeof x - n)));
}

/*
 * ShiftRows^m: lane r (row r) rotated right by COL (m r mod 4) bits, so that
 * column c receives column c + m r. Only used outside the rounds (key
 * schedule, last round); m is public.
 */
static aes_word shift_rows_pow(aes_word x, unsigned m)
{
    const aes_word lane_mask = (aes_word)((1u << LANE) - 1);
    aes_word out = x & lane_mask;
    for (unsigned r = 1; r < 4; r++) {
        unsigned s = COL * ((m * r) & 3);
        aes_word lane = (x >> (LANE * r)) & lane_mask;
        lane = ((lane >> s) | (lane << ((LANE - s) & (LANE - 1)))) & lane_mask;
        out |= (aes_word)(lane << (LANE * r));
    }
    return out;
}

/*
 * Fixslicing (after Adomnicai and Peyrin, "Fixslicing AES-like ciphers",
 * TCHES 2021): the rounds never perform ShiftRows. After round j the words
 * hold U_j = SR^-j(T_j), T_j being the true state. SubBytes commutes with
 * SR, so round j + 1 only has to apply MC_i = SR^-i o MC o SR^i with
 * i = (j + 1) mod 4, and add the round key SR^-(j+1)(K_(j+1)) (the key
 * schedule stores the keys already shifted). Writing X = SR^i(U), i.e.
 * X[r][c] = U[r][c + i r]:
 *
 *   W[r][c] = 2 U[r][c] + 3 U[r+1][c+i] + U[r+2][c+2i] + U[r+3][c+3i]
 *           = xtime(T) + A1 + T[r+2][c+2i]     with A1 = U[r+1][c+i], T = U + A1.
 *
 * "One row down and i columns right" is one rotation of the word when
 * i = 0 (by 16), and two rotations under complementary column masks
 * otherwise (columns that do or do not wrap around the lane). Likewise
 * "two rows down and 2 i columns right" is a rotation by 32 for even i and
 * a masked pair (40, 24) for odd i. This costs 0 to 8 operations per word
 * and round instead of ~19 for a real ShiftRows. (On 32-bit words: lanes of
 * 8 bits and columns of 2, so the rotations are by 8 + 2 i and 2 i, and by
 * 16, or 20 and 12.)
 *
 * xtime on bit planes is a shift of the plane index with x^8 = x^4 + x^3 +
 * x + 1 folded into planes 0, 1, 3 and 4.
 */
#if DTLS_AES_CT32
static inline aes_word row_down(aes_word x, unsigned i)
{
    switch (i) {
    case 0:
        return rotr(x, 8);
    case 1:
        return (rotr(x, 10) & 0x3F3F3F3Fu) | (rotr(x, 2) & 0xC0C0C0C0u);
    case 2:
        return (rotr(x, 12) & 0x0F0F0F0Fu) | (rotr(x, 4) & 0xF0F0F0F0u);
    default:
        return (rotr(x, 14) & 0x03030303u) | (rotr(x, 6) & 0xFCFCFCFCu);
    }
}

static inline aes_word two_rows_down(aes_word x, unsigned i)
{
    if ((i & 1) == 0)
        return rotr(x, 16);
    return (rotr(x, 20) & 0x0F0F0F0Fu) | (rotr(x, 12) & 0xF0F0F0F0u);
}
#else
static inline aes_word row_down(aes_word x, unsigned i)
{
    switch (i) {
    case 0:
        return rotr(x, 16);
    case 1:
        return (rotr(x, 20) & 0x0FFF0FFF0FFF0FFFu) | (rotr(x, 4) & 0xF000F000F000F000u);
    case 2:
        return (rotr(x, 24) & 0x00FF00FF00FF00FFu) | (rotr(x, 8) & 0xFF00FF00FF00FF00u);
    default:
        return (rotr(x, 28) & 0x000F000F000F000Fu) | (rotr(x, 12) & 0xFFF0FFF0FFF0FFF0u);
    }
}

static inline aes_word two_rows_down(aes_word x, unsigned i)
{
    if ((i & 1) == 0)
        return rotr(x, 32);
    return (rotr(x, 40) & 0x00FF00FF00FF00FFu) | (rotr(x, 24) & 0xFF00FF00FF00FF00u);
}
#endif

#if defined(DTLS_SMALL_CODE) || (defined(__OPTIMIZE_SIZE__) && !defined(DTLS_FAST_CODE))
/*
 * The same as the written-out form below, in loops (builds for size): plane
 * j gets t_(j-1) (t_7 for plane 0), plus t_7 in planes 1, 3 and 4 (x^8 folded
 * in: the mask 0x1A), plus a_j and two rows down of t_j. Indices and i are
 * public.
 */
static void mix_columns(aes_word q[8], unsigned i)
{
    aes_word a[8], t[8];
    for (unsigned j = 0; j < 8; j++) {
        a[j] = row_down(q[j], i);
        t[j] = q[j] ^ a[j];
    }
    for (unsigned j = 0; j < 8; j++)
        q[j] = t[(j + 7) & 7] ^ (t[7] & ((aes_word)0 - ((0x1Au >> j) & 1u))) ^ a[j] ^ two_rows_down(t[j], i);
}
#else
ROUND_INLINE void mix_columns(aes_word q[8], unsigned i)
{
    /* Written out: GCC -O2 keeps 8-word loops rolled, and arrays in memory. */
    const aes_word a0 = row_down(q[0], i), a1 = row_down(q[1], i), a2 = row_down(q[2], i);
    const aes_word a3 = row_down(q[3], i), a4 = row_down(q[4], i), a5 = row_down(q[5], i);
    const aes_word a6 = row_down(q[6], i), a7 = row_down(q[7], i);
    const aes_word t0 = q[0] ^ a0, t1 = q[1] ^ a1, t2 = q[2] ^ a2, t3 = q[3] ^ a3;
    const aes_word t4 = q[4] ^ a4, t5 = q[5] ^ a5, t6 = q[6] ^ a6, t7 = q[7] ^ a7;
    q[0] = t7 ^ a0 ^ two_rows_down(t0, i);
    q[1] = t0 ^ t7 ^ a1 ^ two_rows_down(t1, i);
    q[2] = t1 ^ a2 ^ two_rows_down(t2, i);
    q[3] = t2 ^ t7 ^ a3 ^ two_rows_down(t3, i);
    q[4] = t3 ^ t7 ^ a4 ^ two_rows_down(t4, i);
    q[5] = t4 ^ a5 ^ two_rows_down(t5, i);
    q[6] = t5 ^ a6 ^ two_rows_down(t6, i);
    q[7] = t6 ^ a7 ^ two_rows_down(t7, i);
}
#endif

/* (With 32-bit words the expanded key words hold 32-bit values.) */
static inline void add_round_key(aes_word q[8], const uint64_t rk[8])
{
    q[0] ^= (aes_word)rk[0]; q[1] ^= (aes_word)rk[1]; q[2] ^= (aes_word)rk[2]; q[3] ^= (aes_word)rk[3];
    q[4] ^= (aes_word)rk[4]; q[5] ^= (aes_word)rk[5]; q[6] ^= (aes_word)rk[6]; q[7] ^= (aes_word)rk[7];
}

static void encrypt_words(const uint64_t *rk, unsigned rounds, aes_word q[8])
{
    add_round_key(q, rk);
    for (unsigned u = 1; u < rounds; u++) {
        sbox(q);
        switch (u & 3) {
        case 0: mix_columns(q, 0); break;
        case 1: mix_columns(q, 1); break;
        case 2: mix_columns(q, 2); break;
        default: mix_columns(q, 3); break;
        }
        add_round_key(q, rk + 8 * u);
    }
    sbox(q);
    add_round_key(q, rk + 8 * rounds);
    /* Back from SR^-rounds to the true state (SR^4 is the identity). */
    if ((rounds & 3) != 0)
        for (unsigned i = 0; i < 8; i++)
            q[i] = shift_rows_pow(q[i], rounds & 3);
}

void dtls_aes_ct64_encrypt(const uint64_t *rk, unsigned rounds, uint64_t q[8])
{
#if DTLS_AES_CT32
    for (unsigned h = 0; h < 64; h += 32) {
        aes_word w[8];
        for (unsigned i = 0; i < 8; i++)
            w[i] = (aes_word)(q[i] >> h);
        encrypt_words(rk, rounds, w);
        for (unsigned i = 0; i < 8; i++)
            q[i] = (q[i] & ((uint64_t)0xFFFFFFFFu << (32 - h))) | (uint64_t)w[i] << h;
        dtls_wipe(w, sizeof w);
    }
#else
    encrypt_words(rk, rounds, q);
#endif
}

/*
 * Compressed round key: the bit of block 0 only (nibble bit 0) of each
 * plane. Word 0 carries planes 0..3 at nibble bits 0..3, word 1 planes 4..7.
 * Expanding multiplies a plane's nibble-bit-0 pattern by 0xF, which copies
 * each bit to the four blocks (nibbles are disjoint: no carries).
 */
#if DTLS_AES_CT32
/*
 * 32-bit words: the compressed key of a round is four words, word j holding
 * plane 2 j at the even bits (block 0) and plane 2 j + 1 at the odd ones;
 * expanding multiplies a plane's even-bit pattern by 3 (copy to block 1).
 * Two words share a 64-bit sk entry, low half first.
 */
void dtls_aes_ct64_expand(uint64_t *rk, const dtls_aes_key *k)
{
    const aes_word m = 0x55555555u;
    for (unsigned u = 0; u <= k->rounds; u++) {
        uint64_t *r = rk + 8 * u;
        for (unsigned j = 0; j < 4; j++) {
            aes_word c = (aes_word)(k->sk[2 * u + (j >> 1)] >> (32 * (j & 1)));
            r[2 * j] = (aes_word)((c & m) * 3u);
            r[2 * j + 1] = (aes_word)(((c >> 1) & m) * 3u);
        }
    }
}
#else
void dtls_aes_ct64_expand(uint64_t *rk, const dtls_aes_key *k)
{
    const uint64_t m = 0x1111111111111111u;
    for (unsigned u = 0; u <= k->rounds; u++) {
        uint64_t a = k->sk[2 * u], b = k->sk[2 * u + 1];
        uint64_t *r = rk + 8 * u;
        for (unsigned i = 0; i < 4; i++) {
            r[i] = ((a >> i) & m) * 15u;
            r[4 + i] = ((b >> i) & m) * 15u;
        }
    }
}
#endif

/* S-box on the four bytes of w, through the bitsliced circuit. */
static uint32_t sub_word(uint32_t w)
{
    aes_word q[8] = { 0 };
    uint32_t r;
    q[0] = w;
    transpose(q);
    sbox(q);
    transpose(q);
    r = (uint32_t)q[0];
    dtls_wipe(q, sizeof q);
    return r;
}

int dtls_aes_set_key(dtls_aes_key *k, const uint8_t *key, size_t key_len)
{
    /* Words are little-endian column words: byte r of column c at bits 8 r. */
    uint32_t w[60];
    unsigned nk, total, rcon = 1;

    if (key_len != 16 && key_len != 24 && key_len != 32)
        return -1;
    nk = (unsigned)(key_len / 4);
    k->rounds = nk + 6;
    total = 4 * (k->rounds + 1);
    for (unsigned i = 0; i < nk; i++)
        w[i] = dtls_load32_le(key + 4 * i);
    for (unsigned i = nk, j = 0; i < total; i++) {
        uint32_t t = w[i - 1];
        if (j == 0) {
            /* RotWord on a little-endian word is a right rotation by 8. */
            t = sub_word((t >> 8) | (t << 24)) ^ rcon;
            /* rcon = xtime(rcon): public data, branch-free anyway. */
            rcon = ((rcon << 1) ^ (0x11Bu & (0u - (rcon >> 7)))) & 0xFFu;
        } else if (nk > 6 && j == 4) {
            t = sub_word(t);
        }
        w[i] = w[i - nk] ^ t;
        if (++j == nk)
            j = 0;
    }
    for (unsigned u = 0; u <= k->rounds; u++) {
        aes_word q[8] = { 0 };
        const uint32_t *c = w + 4 * u;
        const unsigned sr = (4 - (u & 3)) & 3;
#if DTLS_AES_CT32
        for (unsigned i = 0; i < 4; i++)
            q[2 * i] = c[i];
        transpose(q);
        /* Only block 0 was loaded: every plane has bits at even positions only.
         * Round u's key is used in the fixsliced frame: SR^-u = SR^(4 - u mod 4). */
        k->sk[2 * u] = shift_rows_pow(q[0] | (q[1] << 1), sr) | (uint64_t)shift_rows_pow(q[2] | (q[3] << 1), sr) << 32;
        k->sk[2 * u + 1] = shift_rows_pow(q[4] | (q[5] << 1), sr) | (uint64_t)shift_rows_pow(q[6] | (q[7] << 1), sr) << 32;
#else
        q[0] = spread_bytes(c[0]) | (spread_bytes(c[2]) << 8);
        q[4] = spread_bytes(c[1]) | (spread_bytes(c[3]) << 8);
        transpose(q);
        /* Only block 0 was loaded: every plane has bits at nibble bit 0 only.
         * Round u's key is used in the fixsliced frame: SR^-u = SR^(4 - u mod 4). */
        k->sk[2 * u] = shift_rows_pow(q[0] | (q[1] << 1) | (q[2] << 2) | (q[3] << 3), sr);
        k->sk[2 * u + 1] = shift_rows_pow(q[4] | (q[5] << 1) | (q[6] << 2) | (q[7] << 3), sr);
#endif
        dtls_wipe(q, sizeof q);
    }
    for (unsigned u = 2 * (k->rounds + 1); u < 30; u++)
        k->sk[u] = 0;
    dtls_wipe(w, sizeof w);
    return 0;
}

void dtls_aes_encrypt_blocks(const dtls_aes_key *k, const uint8_t *in, uint8_t *out, size_t nblocks)
{
    uint64_t rk[DTLS_AES_CT64_RK_WORDS];
    uint64_t q[8];
    uint8_t tmp[64];

    dtls_aes_ct64_expand(rk, k);
    while (nblocks > 0) {
        size_t n = nblocks < 4 ? nblocks : 4;
        const uint8_t *src = in;
        if (n < 4) {
            memset(tmp, 0, sizeof tmp);
            memcpy(tmp, in, 16 * n);
            src = tmp;
        }
        dtls_aes_ct64_load(q, src);
        dtls_aes_ct64_encrypt(rk, k->rounds, q);
        if (n < 4) {
            dtls_aes_ct64_store(tmp, q);
            memcpy(out, tmp, 16 * n);
        } else {
            dtls_aes_ct64_store(out, q);
        }
        in += 16 * n;
        out += 16 * n;
        nblocks -= n;
    }
    dtls_aes_ct64_wipe(rk, DTLS_AES_CT64_RK_WORDS);
    dtls_aes_ct64_wipe(q, 8);
    dtls_wipe(tmp, sizeof tmp);
}

void dtls_aes_ct64_wipe(uint64_t *p, size_t n)
{
    volatile uint64_t *v = p;
    while (n--)
        *v++ = 0;
}
