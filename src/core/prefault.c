/* prefault.c — see prefault.h. */
#include "prefault.h"

#include <math.h>

void pt_prefault_code(void)
{
    /* Results no one reads; volatile so that the calls are made. Each takes
     * libm's out-of-range path: underflow, overflow, a pole, an invalid
     * argument (errno and the floating-point flags are set here, off the
     * audio thread, where it does not matter). */
    volatile float tiny = -200.0f, huge = 200.0f, zero = 0.0f, neg = -1.0f, sink;
    sink = expf(tiny);
    sink = expf(huge);
    sink = powf(1e-30f, -tiny);
    sink = powf(1e30f, huge);
    sink = exp2f(tiny);
    sink = logf(zero);
    sink = logf(neg);
    sink = sqrtf(neg);
    volatile double dtiny = -2000.0, dhuge = 2000.0, dsink;
    dsink = exp(dtiny);
    dsink = exp(dhuge);
    dsink = pow(1e-300, -dtiny);
    dsink = log(0.0 * dhuge);
    (void)sink;
    (void)dsink;
}
