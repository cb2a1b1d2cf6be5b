/* spice_cmd.c — `pytone spice`: a circuit file as an ngspice netlist
 * (src/wdf/spice_export.c), with the input `pytone render` would feed it.
 *
 * The input WAV goes through what the `circuit` node does before the WDF:
 * the input gain, then the node's oversampler (the same FIR, in float); the
 * oversampled samples are written, one "time value" line each, to
 * OUT.in.txt for XSPICE's filesource (an inline PWL of that length takes
 * ngspice minutes to parse; `PWL file=` is not in ngspice 39). Times are
 * shifted by the upsampler's delay, so ngspice's time t lines up with sample
 * t * rate of `pytone render`'s output (whose latency is removed). */
#include "spice_cmd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/rt.h"
#include "dsp/oversample.h"
#include "io/audiofile.h"
#include "io/backend.h"
#include "wdf/spice_export.h"
#include "wdf/wdf.h"

static const char *spice_help =
    "usage: pytone spice CIRCUIT [--set CONTROL=V ...] [--input IN.wav] [--output OUT.txt]\n"
    "                    [--rate HZ] [--substeps N] [--trtol N] > circuit.cir\n"
    "\n"
    "Write CIRCUIT (a circuit file) as an ngspice netlist on stdout: the same parts\n"
    "and device equations as the WDF model, the controls where --set puts them\n"
    "(drive, tone, level, gain, bass, mid, treble, volume: 0..1, default 0.5;\n"
    "also oversample=1|2|4|8, oversample_phase=minimum|linear, input_gain_db, output_gain_db,\n"
    "as the circuit node).\n"
    "With --input, the netlist plays IN.wav as `pytone render CIRCUIT IN.wav` feeds\n"
    "the circuit (written to OUT.in.txt beside OUT), runs `op` and a transient\n"
    "with one step per oversampled sample, and writes OUT.txt (time, output in the\n"
    "units `pytone render` writes, on the step grid) and OUT.op.txt (`node volts`\n"
    "per line at the DC operating point). Without --input the input is 0 V with\n"
    "AC 1, and OUT.txt is the small-signal response (frequency, real, imaginary).\n"
    "Then: ngspice -b circuit.cir. OUT defaults to out.txt; --rate (default the\n"
    "WAV's, else 48000 Hz) is the base rate. Node names are the file's (ngspice\n"
    "folds case), prefixed with the stage name when there are several stages.\n"
    "--substeps N (1..64, default 1) writes OUT.txt N times a step (the largest\n"
    "step stays one oversampled sample): a finer grid to band-limit before\n"
    "decimating, where clipped edges reach above the oversampled Nyquist frequency.\n"
    "--trtol N (1..20) sets ngspice's truncation-error factor for the transient\n"
    "(set xtrtol; the input's XSPICE filesource otherwise makes it 1, not 7).\n";

/* path with its last extension (if any) replaced by `ext`, made absolute so
 * ngspice finds it from any directory */
static void sibling(char *out, size_t n, const char *path, const char *ext)
{
    char cwd[2048] = "";
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd)) cwd[0] = 0;
    char base[2048];
    snprintf(base, sizeof base, "%s%s%s", cwd, cwd[0] ? "/" : "", path);
    char *dot = strrchr(base, '.'), *slash = strrchr(base, '/');
    if (ext && dot && (!slash || dot > slash)) *dot = 0;
    snprintf(out, n, "%s%s", base, ext ? ext : "");
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* CONTROL=V: a control of the circuit, or one of the node's other settings */
static int apply_set(const char *set, pt_spice_opts *o, double *in_gain_db, double *out_gain_db)
{
    char name[64];
    const char *eq = strchr(set, '=');
    if (!eq || eq == set || (size_t)(eq - set) >= sizeof name) {
        fprintf(stderr, "pytone spice: --set %s: write CONTROL=VALUE, e.g. --set drive=0.7\n", set);
        return -1;
    }
    memcpy(name, set, (size_t)(eq - set));
    name[eq - set] = 0;
    const char *val = eq + 1;
    double v;
    for (int k = 0; k < PT_WDF_N_CONTROLS; k++)
        if (!strcmp(name, pt_wdf_control_names[k])) {
            if (parse_double(val, &v) || v < 0 || v > 1) {
                fprintf(stderr, "pytone spice: --set %s: a control is a number from 0 to 1\n", set);
                return -1;
            }
            o->ctl[k] = v;
            return 0;
        }
    if (!strcmp(name, "oversample_phase")) {
        if (!strcmp(val, "minimum") || !strcmp(val, "0")) o->linear_phase = 0;
        else if (!strcmp(val, "linear") || !strcmp(val, "1")) o->linear_phase = 1;
        else {
            fprintf(stderr, "pytone spice: --set %s: oversample_phase is minimum or linear\n", set);
            return -1;
        }
        return 0;
    }
    if (!strcmp(name, "oversample")) {
        char num[16];
        snprintf(num, sizeof num, "%s", val);
        size_t l = strlen(num);
        if (l && num[l - 1] == 'x') num[l - 1] = 0;
        if (parse_double(num, &v) || (v != 1 && v != 2 && v != 4 && v != 8)) {
            fprintf(stderr, "pytone spice: --set %s: oversample is 1, 2, 4 or 8\n", set);
            return -1;
        }
        o->oversample = (int)v;
        return 0;
    }
    double *gain = !strcmp(name, "input_gain_db") ? in_gain_db
                   : !strcmp(name, "output_gain_db") ? out_gain_db : NULL;
    if (gain) {
        double lo = gain == in_gain_db ? -24 : -48;
        if (parse_double(val, &v) || v < lo || v > 24) {
            fprintf(stderr, "pytone spice: --set %s: %s is %g to 24 dB\n", set, name, lo);
            return -1;
        }
        *gain = v;
        return 0;
    }
    fprintf(stderr,
            "pytone spice: --set %s: '%s' is not a control; a circuit's controls are drive, tone, "
            "level, gain, bass, mid, treble, volume, presence, master, cut and bright (also "
            "oversample, oversample_phase, input_gain_db, output_gain_db)\n",
            set, name);
    return -1;
}

/* The input as the `circuit` node feeds its WDF: times the input gain (in
 * float), through the oversampler, padded with zeros past the end as
 * `pytone render` pads to flush the latency. One "time value" line per
 * oversampled sample, time 0 at the input's first sample. */
static int write_input(const char *path, const pt_audio *in, int factor, int linear_phase, float gin,
                       double rate, double *seconds)
{
    enum { BLOCK = 1024 };
    pt_oversampler os;
    if (pt_oversampler_init_phase(&os, factor, BLOCK, linear_phase ? PT_OS_LINEAR : PT_OS_MINIMUM,
                                  0.0) != 0) {
        fprintf(stderr, "pytone spice: out of memory\n");
        return -1;
    }
    /* the upsampler's own delay, in oversampled samples (the pad comes after it) */
    long delay = os.pad_len;
    for (int k = 0; k < os.stages; k++) delay += (long)os.up[k].delay * (factor >> (k + 1));
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "pytone spice: %s: cannot write the input file (%s)\n", path, strerror(errno));
        pt_oversampler_free(&os);
        return -1;
    }
    const double fs = rate * factor;
    long want = in->frames * factor + 1; /* samples 0 .. frames*factor */
    long j = 0, written = 0;
    float x[BLOCK];
    fprintf(f, "# the input of the circuit, oversampled %dx (before input_scale)\n", factor);
    for (long off = 0; written < want; off += BLOCK) {
        for (int i = 0; i < BLOCK; i++) {
            long s = off + i;
            x[i] = s < in->frames ? in->ch[0][s] * gin : 0.0f;
        }
        const float *hi = pt_oversampler_up(&os, x, BLOCK);
        for (int i = 0; i < BLOCK * factor && written < want; i++, j++) {
            if (j < delay) continue;
            fprintf(f, "%.12g %.9g\n", (double)(j - delay) / fs, (double)hi[i]);
            written++;
        }
    }
    pt_oversampler_free(&os);
    if (fclose(f) != 0) {
        fprintf(stderr, "pytone spice: %s: cannot write the input file\n", path);
        return -1;
    }
    *seconds = (double)in->frames / rate;
    return 0;
}

int cli_spice(int argc, char **argv)
{
    const char *circuit = NULL, *input = NULL, *output = "out.txt";
    double rate = 0, in_gain_db = 0, out_gain_db = 0;
    pt_spice_opts o = {.output_gain = 1.0};
    for (int k = 0; k < PT_WDF_N_CONTROLS; k++) o.ctl[k] = 0.5;
    const char *sets[64];
    int n_sets = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(spice_help, stdout), 0;
        int takes = !strcmp(a, "--set") || !strcmp(a, "--input") || !strcmp(a, "--output") ||
                    !strcmp(a, "--rate") || !strcmp(a, "--substeps") ||
                    !strcmp(a, "--trtol");
        if (takes && i + 1 >= argc) {
            fprintf(stderr, "pytone spice: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--set")) {
            if (n_sets < 64) sets[n_sets++] = argv[++i];
        } else if (!strcmp(a, "--input")) input = argv[++i];
        else if (!strcmp(a, "--output")) output = argv[++i];
        else if (!strcmp(a, "--rate")) {
            if (parse_double(argv[++i], &rate) || !pt_rate_supported(rate)) {
                fprintf(stderr, "pytone spice: --rate %s is not supported (use %s)\n", argv[i],
                        PT_RATES_TEXT);
                return 2;
            }
        } else if (!strcmp(a, "--substeps")) {
            double v;
            if (parse_double(argv[++i], &v) || v < 1 || v > 64 || v != floor(v)) {
                fprintf(stderr, "pytone spice: --substeps %s is not a whole number from 1 to 64\n",
                        argv[i]);
                return 2;
            }
            o.substeps = (int)v;
        } else if (!strcmp(a, "--trtol")) {
            double v;
            if (parse_double(argv[++i], &v) || v < 1 || v > 20 || v != floor(v)) {
                fprintf(stderr, "pytone spice: --trtol %s is not a whole number from 1 to 20\n",
                        argv[i]);
                return 2;
            }
            o.trtol = (int)v;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "pytone spice: unknown option %s (see 'pytone spice --help')\n", a);
            return 2;
        } else if (!circuit) circuit = a;
        else {
            fputs(spice_help, stderr);
            return 2;
        }
    }
    if (!circuit) {
        fputs(spice_help, stderr);
        return 2;
    }
    int sniff = pt_circuit_file_sniff(circuit);
    if (sniff < 0) {
        fprintf(stderr, "pytone spice: %s: no such circuit file (or it cannot be read)\n", circuit);
        return 2;
    }
    if (sniff == 0) {
        fprintf(stderr, "pytone spice: %s is not a circuit file (it has no `circuit:` key)\n", circuit);
        return 2;
    }
    pt_error err = {0};
    char msg[2048];
    pt_wdf_desc *d = NULL;
    if (pt_circuit_load(circuit, &d, &err) != 0) {
        pt_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "pytone spice: %s\n", msg);
        return 1;
    }
    o.oversample = d->oversample;
    for (int i = 0; i < n_sets; i++)
        if (apply_set(sets[i], &o, &in_gain_db, &out_gain_db)) {
            pt_wdf_desc_free(d);
            return 2;
        }
    pt_audio in = {0};
    int rc = 1;
    if (input) {
        if (pt_audio_read_mono(input, &in, &err) != 0) {
            pt_error_format(&err, msg, sizeof msg);
            fprintf(stderr, "pytone spice: %s\n", msg);
            pt_wdf_desc_free(d);
            return 2;
        }
        if (rate && rate != in.rate) {
            fprintf(stderr, "pytone spice: --rate %g differs from %s's %g Hz\n", rate, input, in.rate);
            rc = 2;
            goto done;
        }
        rate = in.rate;
        if (!pt_rate_supported(rate)) {
            fprintf(stderr, "pytone spice: %s: sample rate %.0f Hz is not supported (use %s)\n",
                    input, rate, PT_RATES_TEXT);
            rc = 2;
            goto done;
        }
    }
    if (!rate) rate = 48000;
    o.rate = rate;
    o.output_gain = pt_db_to_gain((float)out_gain_db);
    /* the netlist is only worth writing for a circuit the WDF can run */
    pt_wdf_circuit *trial = pt_wdf_compile(d, rate * o.oversample, &err);
    if (!trial) {
        pt_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "pytone spice: %s\n", msg);
        goto done;
    }
    pt_wdf_free(trial);
    char out_path[2200], op_path[2200], in_path[2200];
    sibling(out_path, sizeof out_path, output, NULL);
    sibling(op_path, sizeof op_path, output, ".op.txt");
    sibling(in_path, sizeof in_path, output, ".in.txt");
    if (strpbrk(out_path, " \t\n\"';")) {
        fprintf(stderr, "pytone spice: --output %s: ngspice's commands cannot take a path with "
                        "spaces, quotes or ';'; choose another\n", out_path);
        rc = 2;
        goto done;
    }
    o.output_file = out_path;
    o.op_file = op_path;
    if (input) {
        if (write_input(in_path, &in, o.oversample, o.linear_phase, pt_db_to_gain((float)in_gain_db), rate,
                        &o.seconds))
            goto done;
        o.input_file = in_path;
    }
    if (pt_spice_export(stdout, d, &o, &err) != 0) {
        pt_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "pytone spice: %s\n", msg);
        goto done;
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
done:
    pt_audio_free(&in);
    pt_wdf_desc_free(d);
    return rc;
}
