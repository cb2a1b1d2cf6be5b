/* qr.h — a small QR code encoder (ISO/IEC 18004) for the LAN pairing URL
 * that `pytone run --listen lan` shows in the terminal: byte mode, error
 * correction level L, versions 1 to 6 (up to 134 bytes), one of the eight
 * masks (the one the standard's penalty rules prefer, or a given one).
 * Written from the standard's description; nothing else is needed.
 */
#ifndef PT_QR_H
#define PT_QR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PT_QR_MAX_VERSION 6
#define PT_QR_MAX_SIZE (17 + 4 * PT_QR_MAX_VERSION)
#define PT_QR_MAX_BYTES 134

typedef struct pt_qr {
    int version, size, mask;
    unsigned char dark[PT_QR_MAX_SIZE][PT_QR_MAX_SIZE]; /* [row][column], 1: dark */
} pt_qr;

/* Encode len bytes of text in the smallest version that holds them; mask
 * 0..7, or -1 to choose by the penalty rules. -1 when it does not fit. */
int pt_qr_encode(const char *text, size_t len, int mask, pt_qr *out);

/* Print the code to f with Unicode half blocks, two rows a line, dark on
 * light whatever the terminal's colours (ANSI colours), with a quiet zone. */
void pt_qr_print(const pt_qr *qr, FILE *f);

#endif
