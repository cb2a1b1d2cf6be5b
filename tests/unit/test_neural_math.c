/* test_neural_math.c — the vectorised activations of src/neural/nn_math.c
 * against libm (tanhf, expf) over the whole float range, and the matrix
 * product against a plain double-precision loop. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "neural/nn_math.h"
#include "testutil.h"

/* Every float in [-20, 20] in steps of 256 ulps, plus the extremes: relative
 * error of pt_nn_tanh against tanhf (double-checked with tanh in double). */
static void tanh_whole_range(void **st)
{
    (void)st;
    enum { CHUNK = 4096 };
    float buf[CHUNK], src[CHUNK];
    double worst = 0.0;
    float worst_x = 0.0f;
    long count = 0;
    uint32_t u = 0; /* walk positive floats by bit pattern; test +x and -x */
    const float limit = 20.0f;
    int k = 0;
    for (;;) {
        float x;
        memcpy(&x, &u, sizeof x);
        if (x > limit) break;
        src[k++] = x;
        src[k++] = -x;
        u += 256;
        if (k == CHUNK) {
            memcpy(buf, src, sizeof buf);
            pt_nn_tanh(buf, k);
            for (int i = 0; i < k; i++) {
                double ref = tanh((double)src[i]);
                double err = ref == 0.0 ? fabs(buf[i]) : fabs(buf[i] - ref) / fabs(ref);
                if (err > worst) worst = err, worst_x = src[i];
            }
            count += k;
            k = 0;
        }
    }
    /* saturation, infinities and huge values */
    float big[6] = {50.0f, -50.0f, 1e30f, -1e30f, INFINITY, -INFINITY};
    pt_nn_tanh(big, 6);
    for (int i = 0; i < 6; i++) assert_true(fabsf(big[i]) == 1.0f);
    /* the scalar version is the same formula */
    assert_true(fabs(pt_nn_tanh1(0.3f) - tanh(0.3)) < 4e-7 * tanh(0.3));
    print_message("tanh: %ld values, worst relative error %.3g at x = %.9g (float eps 6e-8)\n", count,
                  worst, worst_x);
    /* the rational form's float rounding: 3.5e-7 at worst (nn_kernels.inc);
     * the kernels' goal is 1e-6 (issue 17) */
    assert_true(worst < 4e-7);
}

static void sigmoid_whole_range(void **st)
{
    (void)st;
    enum { N = 200001 };
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    for (int i = 0; i < N; i++) x[i] = y[i] = -100.0f + 200.0f * (float)i / (N - 1);
    pt_nn_sigmoid(y, N);
    double worst = 0.0;
    for (int i = 0; i < N; i++) {
        double ref = 1.0 / (1.0 + exp(-(double)x[i]));
        double err = ref < 1e-37 ? fabs(y[i] - ref) : fabs(y[i] - ref) / ref;
        if (err > worst) worst = err;
    }
    print_message("sigmoid: worst relative error %.3g over [-100, 100]\n", worst);
    assert_true(worst < 3e-7);
    free(x);
    free(y);
}

/* pt_nn_matmul against a double loop, for shapes that exercise the two-row
 * and one-row paths, whole tiles and ragged tails, with bias and init; and
 * pt_nn_matmul_tanh (tanh, then added to a running sum). */
static void matmul_matches_plain_loop(void **st)
{
    (void)st;
    srand(7);
    const int shapes[][3] = {{1, 1, 1}, {2, 3, 32}, {3, 49, 64}, {16, 49, 100}, {5, 7, 1000}, {8, 16, 31}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int O = shapes[s][0], R = shapes[s][1], N = shapes[s][2];
        float *W = malloc((size_t)O * R * sizeof(float)), *b = malloc((size_t)O * sizeof(float));
        /* rows readable PT_NN_PAD floats past the end, as the contract asks */
        float *X = calloc((size_t)R * N + PT_NN_PAD, sizeof(float)), *I = calloc((size_t)O * N + PT_NN_PAD, sizeof(float));
        float *Y = malloc((size_t)O * N * sizeof(float));
        const float **rows = malloc((size_t)R * sizeof *rows), **init = malloc((size_t)O * sizeof *init);
        float **out = malloc((size_t)O * sizeof *out);
        for (int i = 0; i < O * R; i++) W[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        for (int i = 0; i < O; i++) b[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        for (int i = 0; i < R * N; i++) X[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        for (int i = 0; i < O * N; i++) I[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        for (int r = 0; r < R; r++) rows[r] = X + (size_t)r * N;
        for (int o = 0; o < O; o++) init[o] = I + (size_t)o * N, out[o] = Y + (size_t)o * N;
        for (int with = 0; with < 2; with++) {
            pt_nn_matmul(O, R, W, with ? b : NULL, rows, with ? init : NULL, out, N);
            double worst = 0;
            for (int o = 0; o < O; o++)
                for (int t = 0; t < N; t++) {
                    double ref = with ? (double)b[o] + I[(size_t)o * N + t] : 0.0;
                    for (int r = 0; r < R; r++) ref += (double)W[(size_t)o * R + r] * X[(size_t)r * N + t];
                    double e = fabs(ref - Y[(size_t)o * N + t]);
                    if (e > worst) worst = e;
                }
            assert_true(worst < 1e-5 * (R + 1));
        }
        /* the fused form: tanh of the product, added to a running sum (I) */
        float *S = malloc((size_t)O * N * sizeof(float));
        memcpy(S, I, (size_t)O * N * sizeof(float));
        float **sum = malloc((size_t)O * sizeof *sum);
        for (int o = 0; o < O; o++) sum[o] = S + (size_t)o * N;
        pt_nn_matmul_tanh(O, R, W, b, rows, out, sum, N);
        double worst = 0;
        for (int o = 0; o < O; o++)
            for (int t = 0; t < N; t++) {
                double ref = b[o];
                for (int r = 0; r < R; r++) ref += (double)W[(size_t)o * R + r] * X[(size_t)r * N + t];
                ref = tanh(ref);
                double e = fabs(ref - Y[(size_t)o * N + t]);
                double es = fabs(ref + I[(size_t)o * N + t] - S[(size_t)o * N + t]);
                if (e > worst) worst = e;
                if (es > worst) worst = es;
            }
        assert_true(worst < 1e-5 * (R + 1));
        free(S), free(sum);
        free(W), free(b), free(X), free(I), free(Y), free(rows), free(init), free(out);
    }
}

/* pt_nn_lstm_step against the LSTM equations in double precision (PyTorch's
 * gate order, exact tanh and sigmoid), 300 steps from a random state, for
 * hidden sizes that fill whole vectors, leave half a vector, pad inside a
 * half, and take several register tiles in the narrower builds. */
static void lstm_step_matches_equations(void **st)
{
    (void)st;
    srand(11);
    const int shapes[][2] = {{1, 24}, {1, 20}, {2, 3}, {24, 16}, {1, 40}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int in = shapes[s][0], H = shapes[s][1], G = 4 * H, cols = in + H;
        float *W = malloc((size_t)G * cols * sizeof(float)), *b = malloc((size_t)G * sizeof(float));
        for (int i = 0; i < G * cols; i++) W[i] = ((float)rand() / (float)RAND_MAX - 0.5f) * 0.8f;
        for (int i = 0; i < G; i++) b[i] = ((float)rand() / (float)RAND_MAX - 0.5f) * 0.8f;
        pt_nn_lstm_cell *cell = pt_nn_lstm_cell_create(in, H, W, b);
        assert_non_null(cell);
        /* h and c with the slack the kernels need, zero past H */
        float *h = calloc((size_t)H + PT_NN_PAD, sizeof(float)), *c = calloc((size_t)H + PT_NN_PAD, sizeof(float));
        double *hd = calloc((size_t)H, sizeof(double)), *cd = calloc((size_t)H, sizeof(double));
        double *g = malloc((size_t)G * sizeof(double));
        float x[24];
        double worst = 0;
        for (int step = 0; step < 300; step++) {
            for (int j = 0; j < in; j++) x[j] = (float)rand() / (float)RAND_MAX * 2.0f - 1.0f;
            for (int r = 0; r < G; r++) {
                double a = b[r];
                for (int j = 0; j < in; j++) a += (double)W[(size_t)r * cols + j] * x[j];
                for (int j = 0; j < H; j++) a += (double)W[(size_t)r * cols + in + j] * hd[j];
                g[r] = a;
            }
            for (int j = 0; j < H; j++) {
                double si = 1 / (1 + exp(-g[j])), sf = 1 / (1 + exp(-g[H + j]));
                double sg = tanh(g[2 * H + j]), so = 1 / (1 + exp(-g[3 * H + j]));
                cd[j] = sf * cd[j] + si * sg;
                hd[j] = so * tanh(cd[j]);
            }
            pt_nn_lstm_step(cell, x, h, c);
            for (int j = 0; j < H; j++) {
                if (fabs(h[j] - hd[j]) > worst) worst = fabs(h[j] - hd[j]);
                if (fabs(c[j] - cd[j]) > worst) worst = fabs(c[j] - cd[j]);
            }
        }
        print_message("lstm in %d, H %d: worst difference from the equations over 300 steps %.3g\n", in, H, worst);
        assert_true(worst < 1e-5);
        pt_nn_lstm_cell_free(cell);
        free(W), free(b), free(h), free(c), free(hd), free(cd), free(g);
    }
}

/* Every test runs once per kernel build this CPU can run (AVX-512, AVX2,
 * NEON, baseline), so the builds the dispatcher does not pick here are checked
 * too. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tanh_whole_range),
        cmocka_unit_test(sigmoid_whole_range),
        cmocka_unit_test(matmul_matches_plain_loop),
        cmocka_unit_test(lstm_step_matches_equations),
    };
    const char *isas[] = {"avx512", "avx2", "neon", "baseline"};
    int failed = 0;
    for (int i = 0; i < 4; i++) {
        if (pt_nn_set_isa(isas[i]) != 0) {
            print_message("kernel build %s: not available here, skipped\n", isas[i]);
            continue;
        }
        print_message("kernel build %s\n", pt_nn_isa());
        failed |= cmocka_run_group_tests_name(isas[i], tests, NULL, NULL);
    }
    pt_nn_set_isa(NULL);
    return failed;
}
