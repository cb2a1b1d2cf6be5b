/* qr.c — the QR encoder of qr.h.
 *
 * Steps (ISO/IEC 18004): the bit stream (mode 0100, an 8-bit count, the
 * bytes, a terminator, pad bytes 0xEC 0x11), Reed-Solomon error correction
 * per block over GF(256) (polynomial 0x11D), the blocks interleaved, the
 * function patterns (finders, separators, timing, alignment, the dark
 * module), the codewords placed in the two-column zigzag from the bottom
 * right, a mask, and the format information (BCH(15,5), XOR 0x5412) twice.
 */
#include "qr.h"

#include <stdlib.h>
#include <string.h>

/* level L, versions 1..6: data codewords in all, blocks, EC codewords per block */
static const int data_words[7] = {0, 19, 34, 55, 80, 108, 136};
static const int blocks[7] = {0, 1, 1, 1, 1, 1, 2};
static const int ec_words[7] = {0, 7, 10, 15, 20, 26, 18};

/* ------------------------------------------------------------ GF(256) */

static unsigned char gf_mul(unsigned char a, unsigned char b)
{
    unsigned r = 0;
    for (int i = 7; i >= 0; i--) {
        r = (r << 1) ^ ((r >> 7) * 0x11D);
        r ^= ((b >> i) & 1u) * a;
    }
    return (unsigned char)r;
}

/* The remainder of data(x) * x^n divided by the generator whose roots are
 * alpha^0 .. alpha^(n-1). */
static void rs_remainder(const unsigned char *data, int len, int n, unsigned char *out)
{
    unsigned char gen[32] = {0};
    gen[n - 1] = 1; /* coefficients of the monic generator, highest first, leading 1 implied */
    unsigned char root = 1;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            gen[j] = gf_mul(gen[j], root);
            if (j + 1 < n) gen[j] ^= gen[j + 1];
        }
        root = gf_mul(root, 2);
    }
    memset(out, 0, (size_t)n);
    for (int i = 0; i < len; i++) {
        unsigned char factor = data[i] ^ out[0];
        memmove(out, out + 1, (size_t)n - 1);
        out[n - 1] = 0;
        for (int j = 0; j < n; j++) out[j] ^= gf_mul(gen[j], factor);
    }
}

/* ------------------------------------------------------------ the matrix */

typedef struct grid {
    int size;
    unsigned char dark[PT_QR_MAX_SIZE][PT_QR_MAX_SIZE];
    unsigned char fixed[PT_QR_MAX_SIZE][PT_QR_MAX_SIZE]; /* a function pattern's module */
} grid;

static void put(grid *g, int x, int y, bool dark)
{
    g->dark[y][x] = dark;
    g->fixed[y][x] = 1;
}

static void finder(grid *g, int cx, int cy)
{
    for (int dy = -4; dy <= 4; dy++)
        for (int dx = -4; dx <= 4; dx++) {
            int x = cx + dx, y = cy + dy;
            if (x < 0 || y < 0 || x >= g->size || y >= g->size) continue;
            int d = dx < 0 ? -dx : dx, e = dy < 0 ? -dy : dy, r = d > e ? d : e;
            put(g, x, y, r != 2 && r != 4);
        }
}

static void alignment(grid *g, int cx, int cy)
{
    for (int dy = -2; dy <= 2; dy++)
        for (int dx = -2; dx <= 2; dx++) {
            int d = dx < 0 ? -dx : dx, e = dy < 0 ? -dy : dy;
            put(g, cx + dx, cy + dy, (d > e ? d : e) != 1);
        }
}

static void format_bits(grid *g, int mask)
{
    int data = (1 << 3) | mask; /* level L is 01 */
    int rem = data;
    for (int i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    int bits = ((data << 10) | rem) ^ 0x5412;
    int n = g->size;
    for (int i = 0; i <= 5; i++) put(g, 8, i, (bits >> i) & 1);
    put(g, 8, 7, (bits >> 6) & 1);
    put(g, 8, 8, (bits >> 7) & 1);
    put(g, 7, 8, (bits >> 8) & 1);
    for (int i = 9; i < 15; i++) put(g, 14 - i, 8, (bits >> i) & 1);
    for (int i = 0; i < 8; i++) put(g, n - 1 - i, 8, (bits >> i) & 1);
    for (int i = 8; i < 15; i++) put(g, 8, n - 15 + i, (bits >> i) & 1);
    put(g, 8, n - 8, true); /* the dark module */
}

static void function_patterns(grid *g, int version)
{
    int n = g->size;
    for (int i = 0; i < n; i++) {
        put(g, 6, i, i % 2 == 0);
        put(g, i, 6, i % 2 == 0);
    }
    finder(g, 3, 3);
    finder(g, n - 4, 3);
    finder(g, 3, n - 4);
    if (version >= 2) alignment(g, n - 7, n - 7); /* versions 2..6 have one */
    format_bits(g, 0); /* reserves the format areas; drawn again with the mask */
}

static bool masked(int mask, int x, int y)
{
    switch (mask) {
    case 0: return (x + y) % 2 == 0;
    case 1: return y % 2 == 0;
    case 2: return x % 3 == 0;
    case 3: return (x + y) % 3 == 0;
    case 4: return (x / 3 + y / 2) % 2 == 0;
    case 5: return x * y % 2 + x * y % 3 == 0;
    case 6: return (x * y % 2 + x * y % 3) % 2 == 0;
    default: return ((x + y) % 2 + x * y % 3) % 2 == 0;
    }
}

static void apply_mask(grid *g, int mask)
{
    for (int y = 0; y < g->size; y++)
        for (int x = 0; x < g->size; x++)
            if (!g->fixed[y][x] && masked(mask, x, y)) g->dark[y][x] ^= 1;
}

static void place(grid *g, const unsigned char *words, int count)
{
    int n = g->size, i = 0;
    for (int right = n - 1; right >= 1; right -= 2) {
        if (right == 6) right = 5; /* the vertical timing pattern */
        bool upward = ((right + 1) & 2) == 0;
        for (int v = 0; v < n; v++)
            for (int j = 0; j < 2; j++) {
                int x = right - j, y = upward ? n - 1 - v : v;
                if (g->fixed[y][x]) continue;
                bool bit = i < count * 8 && ((words[i >> 3] >> (7 - (i & 7))) & 1);
                g->dark[y][x] = bit;
                i++;
            }
    }
}

/* The standard's penalty: runs of five or more, 2x2 blocks, finder-like
 * 1:1:3:1:1 runs beside four light modules, and the dark share. */
static long penalty(const grid *g)
{
    int n = g->size;
    long p = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int a = 0; a < n; a++) {
            int run = 0, prev = -1;
            for (int b = 0; b < n; b++) {
                int d = pass ? g->dark[b][a] : g->dark[a][b];
                if (d == prev) run++;
                else {
                    if (run >= 5) p += run - 2;
                    run = 1;
                    prev = d;
                }
            }
            if (run >= 5) p += run - 2;
            static const unsigned char pat[7] = {1, 0, 1, 1, 1, 0, 1};
            for (int b = 0; b + 7 <= n; b++) {
                bool hit = true;
                for (int k = 0; k < 7 && hit; k++)
                    hit = (pass ? g->dark[b + k][a] : g->dark[a][b + k]) == pat[k];
                if (!hit) continue;
                bool before = true, after = true;
                for (int k = 1; k <= 4; k++) {
                    int s = b - k, t = b + 6 + k;
                    if (s >= 0 && (pass ? g->dark[s][a] : g->dark[a][s])) before = false;
                    if (t < n && (pass ? g->dark[t][a] : g->dark[a][t])) after = false;
                }
                p += 40 * (before + after);
            }
        }
    long darks = 0;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            darks += g->dark[y][x];
            if (x + 1 < n && y + 1 < n) {
                int c = g->dark[y][x];
                if (g->dark[y][x + 1] == c && g->dark[y + 1][x] == c && g->dark[y + 1][x + 1] == c) p += 3;
            }
        }
    long total = (long)n * n, k = 0;
    while (labs(darks * 20 - total * 10) > (k + 1) * total) k++;
    return p + 10 * k;
}

int pt_qr_encode(const char *text, size_t len, int mask, pt_qr *out)
{
    int version = 1;
    while (version <= PT_QR_MAX_VERSION && (int)len + 2 > data_words[version]) version++;
    if (version > PT_QR_MAX_VERSION || mask < -1 || mask > 7) return -1;
    /* the bit stream: 0100, the count, the bytes, 0000, pads */
    int cap = data_words[version];
    unsigned char data[136] = {0};
    int bit = 0;
#define PUSH(v, nbits)                                                                   \
    for (int k_ = (nbits) - 1; k_ >= 0; k_--, bit++)                                      \
        if (((v) >> k_) & 1) data[bit >> 3] |= (unsigned char)(0x80 >> (bit & 7));
    PUSH(0x4, 4);
    PUSH((unsigned)len, 8);
    for (size_t i = 0; i < len; i++) PUSH((unsigned char)text[i], 8);
    for (int k = 0; k < 4 && bit < cap * 8; k++) bit++;
#undef PUSH
    int used = (bit + 7) / 8;
    for (int i = used, pad = 0xEC; i < cap; i++, pad ^= 0xEC ^ 0x11) data[i] = (unsigned char)pad;
    /* error correction per block, then interleaved */
    int nb = blocks[version], ne = ec_words[version], per = cap / nb;
    unsigned char ec[2][32], words[PT_QR_MAX_BYTES + 2 + 2 * 32 + 8];
    for (int b = 0; b < nb; b++) rs_remainder(data + b * per, per, ne, ec[b]);
    int w = 0;
    for (int i = 0; i < per; i++)
        for (int b = 0; b < nb; b++) words[w++] = data[b * per + i];
    for (int i = 0; i < ne; i++)
        for (int b = 0; b < nb; b++) words[w++] = ec[b][i];

    static grid g, best;
    long best_p = -1;
    for (int m = 0; m < 8; m++) {
        if (mask >= 0 && m != mask) continue;
        memset(&g, 0, sizeof g);
        g.size = 17 + 4 * version;
        function_patterns(&g, version);
        place(&g, words, w);
        apply_mask(&g, m);
        format_bits(&g, m);
        long p = penalty(&g);
        if (best_p < 0 || p < best_p) {
            best_p = p;
            best = g;
            out->mask = m;
        }
    }
    out->version = version;
    out->size = best.size;
    memcpy(out->dark, best.dark, sizeof out->dark);
    return 0;
}

void pt_qr_print(const pt_qr *qr, FILE *f)
{
    const int quiet = 2; /* modules of light margin (the terminal's own margin adds to it) */
    int n = qr->size + 2 * quiet;
    for (int y = 0; y < n; y += 2) {
        int last = -1;
        for (int x = 0; x < n; x++) {
            int qx = x - quiet, qy = y - quiet;
            bool top = qx >= 0 && qy >= 0 && qx < qr->size && qy < qr->size && qr->dark[qy][qx];
            bool bottom = qx >= 0 && qy + 1 >= 0 && qx < qr->size && qy + 1 < qr->size &&
                          qr->dark[qy + 1][qx];
            /* upper half block: foreground = top module, background = bottom */
            int colours = top * 2 + bottom;
            if (colours != last) fprintf(f, "\033[%d;%dm", top ? 30 : 97, bottom ? 40 : 107);
            last = colours;
            fputs("\xe2\x96\x80", f);
        }
        fputs("\033[0m\n", f);
    }
}
