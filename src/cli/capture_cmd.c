/* capture_cmd.c — `pytone capture`: plays pytone's capture signal through an
 * interface (JACK or PortAudio) into the amp and records what comes back.
 *
 * First a level check: the start of the signal (the validation segment and
 * the blips) is played and recorded, and the take checks (capture_signal.h:
 * silence, loopback, clipping, too quiet, no blips) run on it; a failure
 * ends here with what to change. Then the full take, checked again (with
 * the two validation copies compared) and written only when it passes. The
 * recording is written as played, sample for sample against the signal; the
 * latency the blips show is printed and `pytone train` removes it. */
#include "capture_cmd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/audiofile.h"
#include "train/capture_signal.h"
#include "train/capture_take.h"

static const char *capture_help =
    "usage: pytone capture RECORDING.wav [--backend jack|portaudio] [--device NAME] [--short]\n"
    "                      [--pre-roll S] [--output-gain-db G] [--input PORT] [--output PORT]\n"
    "\n"
    "Plays pytone's capture signal (pytone capture-signal) out of the interface into the\n"
    "amp and records the amp's output from the interface's input (JACK: pytone-capture:out_1\n"
    "to the amp, the amp to pytone-capture:in_1; connected to the system ports unless\n"
    "PT_JACK_NO_AUTOCONNECT is set; --input and --output name other JACK ports: the amp's\n"
    "return and the port to the amp). A level check on the start of the signal comes first;\n"
    "then the full take. Each is checked (silence, a loopback, clipping, too quiet, no answer\n"
    "to the latency blips, the two validation copies disagreeing) and refused with what to\n"
    "change; a good take is written, sample for sample against the signal, for\n"
    "`pytone train SIGNAL.wav RECORDING.wav`. --pre-roll: seconds of silence first\n"
    "(default 0.5), --output-gain-db: the signal's level out of the interface (default 0).\n";

int cli_capture(int argc, char **argv)
{
    const char *path = NULL, *backend = NULL, *device = NULL, *in_port = NULL, *out_port = NULL;
    int short_version = 0;
    double pre_s = 0.5, gain_db = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(capture_help, stdout), 0;
        if (!strcmp(a, "--short"))
            short_version = 1;
        else if ((!strcmp(a, "--backend") || !strcmp(a, "--device") || !strcmp(a, "--pre-roll") ||
                  !strcmp(a, "--input") || !strcmp(a, "--output") ||
                  !strcmp(a, "--output-gain-db")) &&
                 i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--backend"))
                backend = v;
            else if (!strcmp(a, "--device"))
                device = v;
            else if (!strcmp(a, "--input"))
                in_port = v;
            else if (!strcmp(a, "--output"))
                out_port = v;
            else {
                char *end;
                double d = strtod(v, &end);
                if (!*v || *end || !isfinite(d) || (!strcmp(a, "--pre-roll") && (d < 0 || d > 60)) ||
                    (!strcmp(a, "--output-gain-db") && (d < -60 || d > 0))) {
                    fprintf(stderr, "pytone capture: %s %s: out of range\n", a, v);
                    return 2;
                }
                if (!strcmp(a, "--pre-roll"))
                    pre_s = d;
                else
                    gain_db = d;
            }
        } else if (a[0] == '-' || path) {
            fprintf(stderr, "pytone capture: unexpected '%s'\n%s", a, capture_help);
            return 2;
        } else
            path = a;
    }
    if (!path) return fputs(capture_help, stderr), 2;
    pt_capture_layout lo;
    pt_capture_layout_pytone(short_version, &lo);
    float *x = malloc((size_t)lo.frames * sizeof *x), *y = malloc((size_t)lo.frames * sizeof *y);
    if (!x || !y) return fputs("pytone capture: out of memory\n", stderr), 1;
    pt_capture_signal_fill(&lo, x);

    pt_error err = {0};
    int rc = 1;
    pt_capture_device *dev = pt_capture_device_open(backend, device, in_port, out_port, "pytone-capture", &err);
    if (!dev) {
        fputs("pytone capture: ", stderr);
        pt_error_print(&err, stderr);
        free(x), free(y);
        return err.code == PT_ERR_INVALID ? 2 : 1;
    }
    const float gain = powf(10.0f, (float)gain_db / 20.0f);
    const long pre = (long)(pre_s * PT_CAPTURE_RATE_HZ);
    fprintf(stderr, "capture: %s; level check (%.1f s)...\n", pt_capture_device_description(dev),
            (double)lo.train_start / PT_CAPTURE_RATE_HZ);
    /* the level check: the signal up to the training material */
    pt_capture_layout pre_lo = lo;
    pre_lo.frames = lo.train_start;
    pt_take_report rep;
    if (pt_capture_device_take(dev, x, pre_lo.frames, pre, gain, y, NULL, NULL, &err)) goto fail;
    pt_capture_check_take(x, y, &pre_lo, PT_CAPTURE_MAX_LAG, &rep);
    if (!rep.ok) {
        fprintf(stderr, "pytone capture: level check: %s\n", rep.reason);
        rc = 2;
        goto done;
    }
    fprintf(stderr, "capture: level check passed (%s); the full take (%.0f s)...\n", rep.reason,
            (double)lo.frames / PT_CAPTURE_RATE_HZ);
    if (pt_capture_device_take(dev, x, lo.frames, pre, gain, y, NULL, NULL, &err)) goto fail;
    pt_capture_check_take(x, y, &lo, PT_CAPTURE_MAX_LAG, &rep);
    if (!rep.ok) {
        fprintf(stderr, "pytone capture: take refused: %s\n", rep.reason);
        rc = 2;
        goto done;
    }
    const float *ch[1] = {y};
    if (pt_audio_write(path, ch, 1, lo.frames, PT_CAPTURE_RATE_HZ, &err)) goto fail;
    printf("%s: %s; train with: pytone train SIGNAL.wav %s -o MODEL.nam%s\n", path, rep.reason, path,
           short_version ? " (SIGNAL.wav from pytone capture-signal --short)" : "");
    rc = 0;
    goto done;
fail:
    fputs("pytone capture: ", stderr);
    pt_error_print(&err, stderr);
done:
    pt_capture_device_close(dev);
    free(x);
    free(y);
    return rc;
}
