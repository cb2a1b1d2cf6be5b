/* kernels.h — the convolver's inner loops, with a plain version and one for
 * x86-64 CPUs with AVX2 and FMA, chosen once at run time. */
#ifndef PT_CONV_KERNELS_H
#define PT_CONV_KERNELS_H

typedef struct pt_conv_kernels {
    const char *name;
    /* RT: acc += x * h, split complex, n bins */
    void (*cmac)(float *restrict acc_re, float *restrict acc_im, const float *restrict xr,
                 const float *restrict xi, const float *restrict hr, const float *restrict hi,
                 int n);
    /* RT: y[i] = sum_{k < taps} h[k] x[i - k] for i in [0, n); x[-taps+1 .. n) valid */
    void (*fir)(float *restrict y, const float *restrict h, int taps, const float *restrict x,
                int n);
} pt_conv_kernels;

/* The fastest set this CPU runs (env PT_CONV_GENERIC=1 forces the plain one). */
const pt_conv_kernels *pt_conv_kernels_best(void);
const pt_conv_kernels *pt_conv_kernels_generic(void);

#endif
