/* train_cmd.c — `pytone capture-signal OUT.wav` and `pytone train`. */
#include "train_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/audiofile.h"
#include "train/capture_signal.h"
#include "train/trainer.h"

static const char *signal_help =
    "usage: pytone capture-signal OUT.wav [--short]\n"
    "\n"
    "Writes pytone's re-amp signal (48 kHz, mono, 32-bit float): a 9 s validation\n"
    "segment, two latency blips, 2:39 of sweeps, noise and guitar-like material\n"
    "across levels and registers, and the validation segment again. Play it into\n"
    "the amp, record the amp's output (same length), then `pytone train`.\n"
    "--short: a 40 s version (3 s validation) for quick tries.\n";

int cli_capture_signal(int argc, char **argv)
{
    const char *path = NULL;
    int short_version = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return fputs(signal_help, stdout), 0;
        if (!strcmp(argv[i], "--short"))
            short_version = 1;
        else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "pytone capture-signal: unexpected '%s'\n%s", argv[i], signal_help);
            return 2;
        } else
            path = argv[i];
    }
    if (!path) return fputs(signal_help, stderr), 2;
    pt_capture_layout lo;
    pt_capture_layout_pytone(short_version, &lo);
    float *x = malloc((size_t)lo.frames * sizeof *x);
    if (!x) return fputs("pytone capture-signal: out of memory\n", stderr), 1;
    pt_capture_signal_fill(&lo, x);
    pt_error err = {0};
    const float *ch[1] = {x};
    int rc = pt_audio_write(path, ch, 1, lo.frames, PT_CAPTURE_RATE_HZ, &err);
    free(x);
    if (rc) return pt_error_print(&err, stderr), 1;
    printf("%s: %.1f s at %d Hz (validation %.0f s, blips at %.2f s and %.2f s)\n", path,
           (double)lo.frames / PT_CAPTURE_RATE_HZ, PT_CAPTURE_RATE_HZ, (double)lo.val_len / PT_CAPTURE_RATE_HZ,
           (double)lo.blips[0] / PT_CAPTURE_RATE_HZ, (double)lo.blips[1] / PT_CAPTURE_RATE_HZ);
    return 0;
}

static const char *train_help =
    "usage: pytone train INPUT.wav OUTPUT.wav -o MODEL.nam [--arch nano|feather|lite|standard|lstm]\n"
    "                    [--epochs N] [--threads N] [--seed S] [--name NAME] [--gear GEAR]\n"
    "                    [--resume] [--ignore-checks] [--quiet]\n"
    "\n"
    "Trains a NAM capture (a .nam WaveNet or LSTM any NAM player loads) from a re-amp recording:\n"
    "INPUT.wav is the signal that was played (pytone capture-signal's, or NAM's v3\n"
    "standard signal), OUTPUT.wav the amp's recording of it (mono, same rate and length).\n"
    "The latency is found from the blips; the last validation copy is held out and its\n"
    "ESR (error-to-signal ratio) measured each epoch; the best weights are written.\n"
    "The take is checked first (silence, a loopback, clipping, too quiet, no blips, the\n"
    "two validation copies disagreeing) and refused with the reason; --ignore-checks\n"
    "trains anyway (recorded in the file's metadata).\n"
    "Defaults: --arch standard --epochs 100 --threads 2 --seed 0. Ctrl-C writes the best\n"
    "model so far; MODEL.nam.ckpt, saved each epoch, lets --resume go on.\n";

static int need(int i, int argc, char **argv)
{
    if (i + 1 >= argc) {
        fprintf(stderr, "pytone train: %s needs a value\n", argv[i]);
        return 0;
    }
    return 1;
}

int cli_train(int argc, char **argv)
{
    pt_train_opts o = {0};
    o.arch = "standard";
    o.epochs = 100;
    o.threads = 2;
    const char *pos[2] = {0};
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(train_help, stdout), 0;
        if (!strcmp(a, "--resume"))
            o.resume = 1;
        else if (!strcmp(a, "--ignore-checks"))
            o.ignore_checks = 1;
        else if (!strcmp(a, "--quiet"))
            o.quiet = 1;
        else if (!strcmp(a, "-o") || !strcmp(a, "--arch") || !strcmp(a, "--epochs") || !strcmp(a, "--threads") ||
                 !strcmp(a, "--seed") || !strcmp(a, "--name") || !strcmp(a, "--gear") ||
                 !strcmp(a, "--max-batches")) {
            if (!need(i, argc, argv)) return 2;
            const char *v = argv[++i];
            char *end;
            long n = strtol(v, &end, 10);
            int num = *v && !*end;
            if (!strcmp(a, "-o"))
                o.model_out = v;
            else if (!strcmp(a, "--arch"))
                o.arch = v;
            else if (!strcmp(a, "--name"))
                o.name = v;
            else if (!strcmp(a, "--gear"))
                o.gear = v;
            else if (!num || n < 0 || (n < 1 && strcmp(a, "--seed") && strcmp(a, "--epochs")) ||
                     (!strcmp(a, "--threads") && n > 64)) {
                fprintf(stderr, "pytone train: %s %s: not a valid count\n", a, v);
                return 2;
            } else if (!strcmp(a, "--epochs"))
                o.epochs = (int)n;
            else if (!strcmp(a, "--threads"))
                o.threads = (int)n;
            else if (!strcmp(a, "--seed"))
                o.seed = (unsigned long)n;
            else
                o.max_batches = n;
        } else if (a[0] == '-' || npos == 2) {
            fprintf(stderr, "pytone train: unexpected '%s'\n%s", a, train_help);
            return 2;
        } else
            pos[npos++] = a;
    }
    if (npos < 2 || !o.model_out) {
        fprintf(stderr, "pytone train: needs INPUT.wav, OUTPUT.wav and -o MODEL.nam\n%s", train_help);
        return 2;
    }
    o.input = pos[0];
    o.output = pos[1];
    pt_error err = {0};
    if (pt_train_run(&o, &err)) {
        fputs("pytone train: ", stderr);
        pt_error_print(&err, stderr);
        return err.code == PT_ERR_INVALID ? 2 : 1;
    }
    return 0;
}

int cli_train_grad(int argc, char **argv)
{
    if (argc < 5) {
        fputs("usage: pytone train-grad MODEL.nam BATCH.f32 B NY OUT.f32 [THREADS]\n", stderr);
        return 2;
    }
    pt_error err = {0};
    if (pt_train_grad_dump(argv[0], argv[1], atoi(argv[2]), atoi(argv[3]), argv[4], argc > 5 ? atoi(argv[5]) : 1,
                           &err)) {
        pt_error_print(&err, stderr);
        return 1;
    }
    return 0;
}
