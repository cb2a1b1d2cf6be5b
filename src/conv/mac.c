/* mac.c — see mac.h; the kernels are in mac_kernels.inc. */
#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#pragma GCC diagnostic ignored "-Wpsabi" /* vectors never cross a function boundary */
#endif

#include "mac.h"

#include <stdlib.h>
#include <string.h>

#define PT_ISA_KERNELS "../conv/mac_kernels.inc"
#include "../core/isa_builds.inc"
#ifdef PT_ISA_DISPATCH
#define PT_MAC_DISPATCH 1
#endif

pt_conv_mac_fn pt_conv_mac_best(const char **name)
{
    const char *generic = getenv("PT_CONV_GENERIC");
    const char *isa = getenv("PT_FFT_ISA"); /* the FFT's choice, for a like-for-like run */
    int forced_portable = (generic && generic[0] == '1') || (isa && strcmp(isa, "portable") == 0);
#ifdef PT_MAC_DISPATCH
    __builtin_cpu_init();
    int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    if (!forced_portable && v4 && !(isa && strcmp(isa, "avx2") == 0)) {
        if (name) *name = "avx512";
        return mac_v4;
    }
    if (!forced_portable && v3) {
        if (name) *name = "avx2";
        return mac_v3;
    }
#endif
#ifdef PT_ISA_NEON
    if (!forced_portable) {
        if (name) *name = "neon";
        return mac_neon;
    }
#endif
    (void)forced_portable;
    if (name) *name = "portable";
    return mac_base;
}
