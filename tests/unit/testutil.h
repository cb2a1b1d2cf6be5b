/* testutil.h — small helpers shared by the unit tests. */
#ifndef PT_TESTUTIL_H
#define PT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/engine.h"
#include "graph/graph.h"

/* A node of a registered type with parameters given as "name", value pairs,
 * ended by NULL. Fails the test if anything goes wrong. */
pt_node *tu_node(const char *type, const char *id, ...);
/* Build a program from a chain (frees the chain). */
pt_program *tu_build(pt_chain *c, double rate, int max_frames);
/* Run a program over a whole mono signal in blocks of `block` frames;
 * writes channel 0 (and channel 1 into out_r if non-NULL). */
void tu_run(pt_program *p, const float *in, float *out_l, float *out_r, int n, int block);
/* Magnitude and phase of x at freq_hz (single-bin DFT, double precision). */
double tu_dft_mag(const float *x, int n, double rate, double freq_hz);
double tu_rms(const float *x, int n);
float *tu_sine(int n, double rate, double freq_hz, double amp);
/* Path of a file in the source tree. */
const char *tu_src(const char *rel);

#endif
