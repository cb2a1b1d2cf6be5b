/* main.c — the `pytone` command: run, render, bench, validate, devices.
 * Exit codes: 0 fine, 1 the rig or the run failed, 2 bad command-line input
 * (unknown option, missing file, unsupported rate or block size). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/types.h>

#include "control/qr.h"
#include "control/server.h"
#include "control/session.h"
#include "conv/conv.h"
#include "core/datadir.h"
#include "core/engine.h"
#include "core/limiter.h"
#include "core/monitor.h"
#include "core/rt.h"
#include "io/audiofile.h"
#include "io/backend.h"
#include "midi/midi.h"
#include "nodes/lv2_host.h"
#include "platform/platform.h"
#include "rig/rig.h"
#include "open_ui.h"
#include "params_doc.h"
#include "spice_cmd.h"
#include "target.h"
#include "train_cmd.h"
#include "capture_cmd.h"

#define DEFAULT_RIG "rigs/default.yaml"

/* Set by SIGINT/SIGTERM on whichever thread takes the signal (the control
 * server's and the backends' threads too): a lock-free atomic, safe in a handler. */
static atomic_int stop_requested;
static void on_signal(int sig) { (void)sig, atomic_store(&stop_requested, 1); }

/* ------------------------------------------------------------- options */

typedef struct opts {
    const char *pos[8];
    int n_pos;
    const char *backend, *device, *input, *record;
    const char *midi, *midi_map, *status_file, *listen;
    double rate, seconds;
    int frames, stats, keep_latency, no_server, port, watch, help, no_reconnect, calibrate, timings;
    int limiter, no_limiter; /* render: --limiter (off by default); run: --no-limiter */
    char *sets[64];
    int n_sets;
} opts;

static int parse_num(const char *cmd, const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || errno || *end || end == s || !isfinite(v)) {
        fprintf(stderr, "pytone %s: %s needs a number, not '%s'\n", cmd, opt, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* Options may come anywhere among the positional arguments. */
static int parse(const char *cmd, int argc, char **argv, opts *o, const char *allowed)
{
    memset(o, 0, sizeof *o);
    o->port = 8750;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            if (o->n_pos < 8) o->pos[o->n_pos++] = a;
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "%s", a);
        char *eq = strchr(name, '=');
        const char *val = NULL;
        if (eq) {
            *eq = 0;
            val = a + (eq - name) + 1;
        }
        char key[80];
        snprintf(key, sizeof key, " %s ", name);
        if (!strstr(allowed, key) && strcmp(name, "--help") && strcmp(name, "-h")) {
            fprintf(stderr, "pytone %s: unknown option %s (see 'pytone %s --help')\n", cmd, name, cmd);
            return -1;
        }
#define NEXT() (val ? val : (i + 1 < argc ? argv[++i] : NULL))
        double v;
        if (!strcmp(name, "--help") || !strcmp(name, "-h")) o->help = 1;
        else if (!strcmp(name, "--stats")) o->stats = 1;
        else if (!strcmp(name, "--keep-latency")) o->keep_latency = 1;
        else if (!strcmp(name, "--timings")) o->timings = 1;
        else if (!strcmp(name, "--no-server")) o->no_server = 1;
        else if (!strcmp(name, "--limiter")) o->limiter = 1;
        else if (!strcmp(name, "--no-limiter")) o->no_limiter = 1;
        else if (!strcmp(name, "--watch")) o->watch = 1;
        else if (!strcmp(name, "--no-reconnect")) o->no_reconnect = 1;
        else if (!strcmp(name, "--calibrate-input")) o->calibrate = 1;
        else if (!strcmp(name, "--backend")) o->backend = NEXT();
        else if (!strcmp(name, "--device")) o->device = NEXT();
        else if (!strcmp(name, "--input")) o->input = NEXT();
        else if (!strcmp(name, "--record")) o->record = NEXT();
        else if (!strcmp(name, "--midi")) o->midi = NEXT();
        else if (!strcmp(name, "--midi-map")) o->midi_map = NEXT();
        else if (!strcmp(name, "--status-file")) o->status_file = NEXT();
        else if (!strcmp(name, "--listen")) {
            o->listen = NEXT();
            if (!o->listen || (strcmp(o->listen, "loopback") && strcmp(o->listen, "lan"))) {
                fprintf(stderr, "pytone %s: --listen takes loopback (the default) or lan\n", cmd);
                return -1;
            }
        }
        else if (!strcmp(name, "--set")) {
            const char *s = NEXT();
            if (s && o->n_sets < 64) o->sets[o->n_sets++] = (char *)s;
        } else if (!strcmp(name, "--rate")) {
            if (parse_num(cmd, name, NEXT(), &o->rate)) return -1;
        } else if (!strcmp(name, "--seconds")) {
            if (parse_num(cmd, name, NEXT(), &o->seconds)) return -1;
            if (o->seconds <= 0) {
                fprintf(stderr, "pytone %s: --seconds must be more than 0\n", cmd);
                return -1;
            }
        } else if (!strcmp(name, "--frames")) {
            if (parse_num(cmd, name, NEXT(), &v)) return -1;
            if (v != floor(v) || !pt_frames_supported((int)v)) {
                fprintf(stderr, "pytone %s: --frames %g is not supported (use %s)\n", cmd, v,
                        PT_FRAMES_TEXT);
                return -1;
            }
            o->frames = (int)v;
        } else if (!strcmp(name, "--port")) {
            if (parse_num(cmd, name, NEXT(), &v)) return -1;
            if (v < 1 || v > 65535 || v != floor(v)) {
                fprintf(stderr, "pytone %s: --port must be 1 to 65535\n", cmd);
                return -1;
            }
            o->port = (int)v;
        }
#undef NEXT
    }
    if (o->rate != 0 && !pt_rate_supported(o->rate)) {
        fprintf(stderr, "pytone %s: --rate %g Hz is not supported (use %s)\n", cmd, o->rate,
                PT_RATES_TEXT);
        return -1;
    }
    return 0;
}

/* --------------------------------------------------------------- loading */

/* Load the target and build its chain with --set applied. */
static pt_rig *load(const char *cmd, const char *path, pt_diags *diags)
{
    pt_rig *rig = cli_load_target(path, diags);
    if (!rig) {
        pt_diags_print(diags, stderr);
        fprintf(stderr, "pytone %s: %s could not be loaded (%d problem%s)\n", cmd, path, diags->n,
                diags->n == 1 ? "" : "s");
    }
    return rig;
}

static pt_program *build(const char *cmd, pt_rig *rig, const opts *o, double rate, int frames)
{
    pt_error err = {0};
    pt_program *p = NULL;
    if (cli_apply_sets(rig, (char **)o->sets, o->n_sets, &err) == 0)
        p = pt_rig_build_program(rig, rate, frames, &err);
    if (!p) {
        char buf[2048];
        pt_error_format(&err, buf, sizeof buf);
        fprintf(stderr, "pytone %s: %s\n", cmd, buf);
    }
    return p;
}

/* --------------------------------------------------------------- render */

static const char *render_help =
    "usage: pytone render RIG IN.wav OUT.wav [--frames N] [--keep-latency] [--limiter]\n"
    "                     [--set NODE.PARAM=V] [--timings]\n"
    "\n"
    "Process IN.wav through RIG offline, through the same code as real time, in\n"
    "blocks of N frames (default 64), at IN.wav's sample rate. RIG may be a rig\n"
    "(.yaml), a setlist (its first rig), a .nam capture, an IR (.wav/.aif/.flac)\n"
    "or a circuit (.yaml with a 'circuit:' key).\n"
    "The graph's latency is removed so OUT lines up with IN sample for sample and\n"
    "is as long as it; --keep-latency keeps the raw output instead. OUT is 32-bit\n"
    "float WAV, mono or stereo as the rig's output, not limited (a render is for\n"
    "measuring and re-amping); --limiter puts the safety limiter of `run` on it\n"
    "(true peak under -1 dBTP). Reports OUT's peak in dBFS and warns when it is\n"
    "above 0 dBFS (it would clip once played).\n"
    "--timings: where the process time went (ms of CPU), one line on stderr:\n"
    "  render-timings: start=X read=X rig=X build=X engine=X process=X write=X total=X\n"
    "  (start: from exec to main, mostly loading shared libraries).\n";

/* The output's sample peak, and a warning above full scale: the float WAV
 * keeps it, but it clips once played or converted to fixed point. */
static void report_peak(const char *path, const float *const *ch, int channels, long frames)
{
    /* the largest |x| as bits: for finite floats (the engine mutes the
     * others) the order of |x| is that of its bit pattern, and a signed
     * integer maximum vectorises even with plain SSE2, where a float one
     * (NaN rules) or fmaxf (a library call per sample) does not */
    int32_t top = 0;
    for (int k = 0; k < channels; k++)
        for (long i = 0; i < frames; i++) {
            int32_t b;
            memcpy(&b, &ch[k][i], sizeof b);
            b &= 0x7fffffff;
            top = b > top ? b : top;
        }
    float peak;
    memcpy(&peak, &top, sizeof peak);
    double db = 20.0 * log10((double)peak + 1e-12);
    fprintf(stderr, "pytone render: %s: peak %.1f dBFS\n", path, db);
    if (peak > 1.0f)
        fprintf(stderr, "pytone render: warning: the output peaks %.1f dB above full scale and will "
                        "clip when played or converted to fixed point; lower the rig's "
                        "output_level_db by at least that much\n", db);
}

/* A setlist given where one rig is played says which of its rigs that is. */
static void say_setlist_rig(const char *cmd, const char *path, const pt_rig *rig)
{
    if (!pt_is_setlist(path)) return;
    const char *file = rig->path ? strrchr(rig->path, '/') : NULL;
    fprintf(stderr, "pytone %s: %s is a setlist; using its first rig, '%s' (%s)\n", cmd, path,
            rig->name ? rig->name : "", file ? file + 1 : rig->path ? rig->path : "");
}

/* This process's CPU time so far (all threads, user and system), in ms. */
static double process_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmd_render(int argc, char **argv)
{
    opts o;
    double t_start = process_cpu_ms(), t_read, t_rig, t_build, t_engine, t_process;
    if (parse("render", argc, argv, &o, " --frames --keep-latency --limiter --set --timings ") != 0)
        return 2;
    if (o.help) return fputs(render_help, stdout), 0;
    if (o.n_pos != 3) {
        fputs(render_help, stderr);
        return 2;
    }
    int frames = o.frames ? o.frames : 64;
    pt_audio in;
    pt_error err = {0};
    if (pt_audio_read_mono(o.pos[1], &in, &err) != 0) {
        char buf[2048];
        pt_error_format(&err, buf, sizeof buf);
        fprintf(stderr, "pytone render: %s\n", buf);
        return 2;
    }
    if (!pt_rate_supported(in.rate)) {
        fprintf(stderr, "pytone render: %s: sample rate %.0f Hz is not supported (use %s)\n",
                o.pos[1], in.rate, PT_RATES_TEXT);
        pt_audio_free(&in);
        return 2;
    }
    t_read = process_cpu_ms();
    pt_diags diags;
    pt_diags_init(&diags);
    pt_rig *rig = load("render", o.pos[0], &diags);
    pt_diags_free(&diags);
    if (!rig) {
        pt_audio_free(&in);
        return 1;
    }
    say_setlist_rig("render", o.pos[0], rig);
    pt_set_tempo_bpm(rig->tempo_bpm);
    /* faster than real time: long convolution tails are computed in the
     * calling thread instead of a worker that could fall behind */
    pt_conv_set_offline_default(true);
    t_rig = process_cpu_ms();
    pt_program *prog = build("render", rig, &o, in.rate, frames);
    pt_rig_free(rig);
    if (!prog) {
        pt_audio_free(&in);
        return 1;
    }
    int channels;
    pt_program_output(prog, &channels);
    long latency = o.keep_latency ? 0 : pt_program_latency(prog);
    t_build = process_cpu_ms();
    pt_engine_config ec = {.rate = in.rate, .max_frames = frames, .clip_output = false,
                           .limiter = o.limiter};
    pt_engine *e = pt_engine_create(&ec, &err);
    if (!e || pt_engine_swap(e, prog, &err) != 0) {
        fprintf(stderr, "pytone render: %s\n", err.msg);
        pt_audio_free(&in);
        return 1;
    }
    long total = in.frames + latency;
    /* a mono program's right channel is not written out: one block of
     * scratch takes it instead of a whole second buffer */
    float *out[2] = {malloc((size_t)total * sizeof(float)),
                     malloc((size_t)(channels == 1 ? frames : total) * sizeof(float))};
    float *zeros = calloc((size_t)frames, sizeof(float));
    if (!out[0] || !out[1] || !zeros) {
        fprintf(stderr, "pytone render: out of memory\n");
        return 1;
    }
    t_engine = process_cpu_ms();
    for (long off = 0; off < total; off += frames) {
        int n = (int)(total - off < frames ? total - off : frames);
        const float *x = in.ch[0] + off;
        float tmp[4096];
        if (off + n > in.frames) { /* the tail: input then zeros */
            long have = in.frames - off;
            if (have < 0) have = 0;
            for (int i = 0; i < n; i++) tmp[i] = i < have ? in.ch[0][off + i] : 0.0f;
            x = tmp;
        }
        pt_engine_process(e, x, out[0] + off, out[1] + (channels == 1 ? 0 : off), n);
    }
    t_process = process_cpu_ms();
    const float *ch[2] = {out[0] + latency, channels == 1 ? NULL : out[1] + latency};
    int rc = pt_audio_write(o.pos[2], ch, channels, in.frames, in.rate, &err);
    if (rc) fprintf(stderr, "pytone render: %s: %s\n", err.file, err.msg);
    else report_peak(o.pos[2], ch, channels, in.frames);
    uint64_t faults = pt_engine_output_faults(e);
    if (faults) fprintf(stderr, "pytone render: %llu non-finite samples were muted\n",
                        (unsigned long long)faults);
    pt_limiter_reading lr;
    pt_engine_limiter(e, &lr);
    if (lr.limited_frames)
        fprintf(stderr, "pytone render: the limiter reduced %llu frames\n",
                (unsigned long long)lr.limited_frames);
    pt_engine_destroy(e);
    pt_audio_free(&in);
    free(out[0]);
    free(out[1]);
    free(zeros);
    if (o.timings) {
        double t_end = process_cpu_ms();
        fprintf(stderr, "render-timings: start=%.1f read=%.1f rig=%.1f build=%.1f engine=%.1f "
                        "process=%.1f write=%.1f total=%.1f\n", t_start, t_read - t_start,
                t_rig - t_read, t_build - t_rig, t_engine - t_build, t_process - t_engine,
                t_end - t_process, t_end);
    }
    return rc ? 1 : 0;
}

/* ---------------------------------------------------------------- bench */

static const char *bench_help =
    "usage: pytone bench RIG [--frames N] [--rate HZ] [--seconds S] [--set NODE.PARAM=V]\n"
    "\n"
    "Time RIG offline on S seconds (default 10) of the bundled DI clip, block by\n"
    "block (default 64 frames at 48000 Hz), through the engine's real-time path.\n"
    "Ends with one line:\n"
    "  bench: frames=N rate=HZ us_p50=X us_p99=X load_p50=X% load_p99=X% latency=N\n"
    "The S seconds run 3 times; each block counts with its least time over the\n"
    "three (what another process on a busy machine took is left out; what the\n"
    "signal costs stays). latency: the rig's declared latency, in samples.\n";

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_bench(int argc, char **argv)
{
    opts o;
    if (parse("bench", argc, argv, &o, " --frames --rate --seconds --set ") != 0) return 2;
    if (o.help) return fputs(bench_help, stdout), 0;
    if (o.n_pos != 1) {
        fputs(bench_help, stderr);
        return 2;
    }
    int frames = o.frames ? o.frames : 64;
    double rate = o.rate ? o.rate : 48000.0;
    double seconds = o.seconds ? o.seconds : 10.0;
    pt_diags diags;
    pt_diags_init(&diags);
    pt_rig *rig = load("bench", o.pos[0], &diags);
    pt_diags_free(&diags);
    if (!rig) return 1;
    say_setlist_rig("bench", o.pos[0], rig);
    pt_conv_set_offline_default(true); /* as in render: nothing may arrive late */
    pt_program *prog = build("bench", rig, &o, rate, frames);
    pt_rig_free(rig);
    if (!prog) return 1;
    pt_error err = {0};
    pt_audio di;
    char di_path[4200];
    pt_data_path("assets/di/guitar_di.wav", di_path, sizeof di_path);
    if (pt_audio_read_mono(di_path, &di, &err) != 0 || pt_audio_resample(&di, rate, &err) != 0) {
        /* no clip: a decaying noise burst every half second is close enough */
        fprintf(stderr, "pytone bench: no DI clip (%s: %s); timing on noise bursts instead\n",
                di_path, err.msg);
        memset(&di, 0, sizeof di);
        di.frames = (long)rate;
        di.ch[0] = calloc((size_t)di.frames, sizeof(float));
        unsigned s = 1;
        for (long i = 0; i < di.frames; i++) {
            s = s * 1664525u + 1013904223u;
            di.ch[0][i] = 0.3f * ((float)(s >> 8) / 8388608.0f - 1.0f) *
                          expf(-(float)(i % (long)(rate / 2)) / (float)(0.1 * rate));
        }
    }
    /* as run plays it: the limiter's cost is part of the figure */
    pt_engine_config ec = {.rate = rate, .max_frames = frames, .clip_output = true, .limiter = true};
    pt_engine *e = pt_engine_create(&ec, &err);
    pt_engine_swap(e, prog, &err);
    long blocks = (long)(seconds * rate / frames);
    double *us = malloc((size_t)blocks * sizeof(double));
    float *x = malloc((size_t)frames * sizeof(float)), *l = malloc((size_t)frames * sizeof(float)),
          *r = malloc((size_t)frames * sizeof(float));
    /* every block's time is its least over the rounds: the same input each
     * round, so what varies with the signal stays and what another process
     * on a shared machine took (preemption, its cache misses) goes */
    int rounds = 3;
    for (int round = 0; round < rounds; round++) {
        long pos = 0;
        for (long b = 0; b < blocks; b++) {
            for (int i = 0; i < frames; i++) {
                x[i] = di.ch[0][pos];
                if (++pos >= di.frames) pos = 0;
            }
            uint64_t t0 = pt_rt_now_ns();
            pt_engine_process(e, x, l, r, frames);
            double t = (double)(pt_rt_now_ns() - t0) / 1000.0;
            if (round == 0 || t < us[b]) us[b] = t;
        }
    }
    qsort(us, (size_t)blocks, sizeof *us, cmp_double);
    double p50 = us[blocks / 2], p99 = us[(long)(blocks * 0.99)];
    double period_us = frames * 1e6 / rate;
    printf("bench: frames=%d rate=%.0f us_p50=%.2f us_p99=%.2f load_p50=%.2f%% load_p99=%.2f%% "
           "latency=%d\n",
           frames, rate, p50, p99, 100.0 * p50 / period_us, 100.0 * p99 / period_us,
           pt_program_latency(prog));
    pt_engine_destroy(e);
    pt_audio_free(&di);
    free(us), free(x), free(l), free(r);
    return 0;
}

/* ------------------------------------------------------------- validate */

static const char *validate_help =
    "usage: pytone validate RIG...\n"
    "\n"
    "Check rig files and report every problem as file:line:col: message.\n"
    "Exit code 0 when all are valid, 1 when any is not.\n";

static int cmd_validate(int argc, char **argv)
{
    opts o;
    if (parse("validate", argc, argv, &o, " ") != 0) return 2;
    if (o.help) return fputs(validate_help, stdout), 0;
    if (o.n_pos < 1) {
        fputs(validate_help, stderr);
        return 2;
    }
    int bad = 0;
    for (int i = 0; i < o.n_pos; i++) {
        pt_diags diags;
        pt_diags_init(&diags);
        pt_rig *rig = cli_load_target(o.pos[i], &diags);
        if (rig) {
            /* loading assets (models, IRs, circuits) is part of validity */
            pt_error err = {0};
            pt_chain *c = pt_rig_build_chain(rig, &err);
            if (!c) pt_diags_add(&diags, err.file[0] ? err.file : o.pos[i], err.line, err.col, "%s", err.msg);
            pt_chain_free(c);
        }
        pt_diags_print(&diags, stdout);
        if (diags.n) bad = 1;
        else printf("%s: ok\n", o.pos[i]);
        pt_diags_free(&diags);
        pt_rig_free(rig);
    }
    return bad;
}

/* -------------------------------------------------------------- devices */

static int cmd_devices(int argc, char **argv)
{
    opts o;
    if (parse("devices", argc, argv, &o, " ") != 0) return 2;
    if (o.help) return puts("usage: pytone devices\n\nList the audio backends and their devices."), 0;
    pt_error err = {0};
#ifdef PT_HAVE_JACK
    pt_backend_jack.list(stdout, &err);
#else
    puts("jack: not built in");
#endif
#ifdef PT_HAVE_PORTAUDIO
    pt_backend_portaudio.list(stdout, &err);
#else
    puts("portaudio: not built in");
#endif
    pt_backend_virtual.list(stdout, &err);
    return 0;
}

static int cmd_midi_devices(int argc, char **argv)
{
    opts o;
    if (parse("midi-devices", argc, argv, &o, " ") != 0) return 2;
    if (o.help)
        return puts("usage: pytone midi-devices\n\nList MIDI inputs: the ALSA sequencer's (for "
                    "--midi NAME) and, when\na JACK server runs, its MIDI output ports."),
               0;
    pt_midi_list_devices(stdout);
#ifdef PT_HAVE_JACK
    pt_jack_list_midi(stdout);
#endif
    return 0;
}

/* `pytone plugins [URI]`: the installed LV2 plugins, or one's parameters. */
static int cmd_plugins(int argc, char **argv)
{
    if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))
        return puts("usage: pytone plugins [URI]\n\nList the installed LV2 plugins (name, audio "
                    "ins/outs, controls, URI);\nwith a URI, the parameters and readouts it has as "
                    "a node (type: lv2)."),
               0;
    return pt_lv2_list(stdout, argc > 0 ? argv[0] : NULL);
}

/* ------------------------------------------------------------------ run */

static const char *run_help =
    "usage: pytone run [RIG] [--backend jack|portaudio|virtual] [--device NAME]\n"
    "                  [--rate HZ] [--frames N] [--seconds S] [--stats]\n"
    "                  [--input FILE] [--record FILE] [--set NODE.PARAM=V]\n"
    "                  [--port N] [--no-server] [--listen loopback|lan] [--watch]\n"
    "                  [--no-limiter]\n"
    "                  [--midi NAME] [--midi-map FILE] [--status-file PATH]\n"
    "                  [--calibrate-input]\n"
    "\n"
    "Play RIG in real time (default rigs/default.yaml, here or where pytone is\n"
    "installed). Without --backend: JACK if a server runs, else PortAudio's default\n"
    "device, else the virtual device (a clocked thread playing a looped DI clip).\n"
    "Stops after S seconds, or on Ctrl-C, and prints one line:\n"
    "  stats: callbacks=N overruns=N load_p50=X% load_p99=X% load_max=X% preempted=N\n"
    "         overrun_cpu_max=X% overruns_engine=N overruns_machine=N overruns_unknown=N\n"
    "         machine_stalls=N attribution=WORDS\n"
    "  preempted: overruns while the audio thread was kept off its CPU; overrun_cpu_max:\n"
    "  the most CPU time one overrun took, of a period. Each overrun is attributed:\n"
    "  overruns_engine: the block's own work did not fit in the period (lighten the\n"
    "  rig or raise --frames); overruns_machine: the work fitted but the thread or the\n"
    "  machine was held up (other real-time programs, a hypervisor; preempted ones\n"
    "  included); overruns_unknown: nothing could tell (a virtual machine without\n"
    "  hardware counters). machine_stalls: stalls of the machine itself seen by a\n"
    "  canary thread. attribution: the evidence used, '+'-joined: instructions\n"
    "  (hardware instruction counts), canary, cpu-time, bare-metal.\n"
    "overruns: blocks the engine did not finish in time, each heard as a click or a\n"
    "dropout: give pytone real-time priority, close heavy programs, or use more --frames;\n"
    "when the engine's own work is to blame, lighten the rig.\n"
    "--stats also prints the DSP load once a second while running.\n"
    "A safety limiter holds the output's true peak under -1 dBTP (no added latency;\n"
    "bit-transparent below); when it acted, run says so in a line after stats:.\n"
    "--no-limiter switches it off (measurement, re-amping); so does the protocol's\n"
    "set_limiter. An impulse response played alone (pytone run IR.wav) is\n"
    "normalised as in a rig's cab node.\n"
    "--input/--record: the virtual device's input file and a WAV of its output.\n"
    "--midi NAME: a MIDI controller (ALSA sequencer, first input whose name contains\n"
    "NAME; reconnected when plugged in again). On JACK, pytone:midi_in and\n"
    "pytone:midi_out are always there. --midi-map FILE: the global MIDI mappings\n"
    "(default $XDG_CONFIG_HOME/pytone/midi.yaml if it exists); see docs/midi.md.\n"
    "--status-file PATH: rewrite PATH with the session state as JSON every 100 ms.\n"
    "--calibrate-input: set the input level first: play your hardest for 5 s, and\n"
    "the rig's input trim is set so that peak reaches -9 dBFS, the level the factory\n"
    "rigs are made for (the control protocol's calibrate_input does the same).\n"
    "If the device or JACK server goes away, pytone says so and waits for it to\n"
    "come back, then plays on; --no-reconnect stops instead (exit code 1).\n"
    "The web UI and the control protocol (docs/control-protocol.md) are served on\n"
    "http://127.0.0.1:8750/ (--port N to move it, --no-server to turn it off).\n"
    "--listen lan serves them to phones and tablets on the local network: every\n"
    "address of the machine, and only to requests that carry the pairing token\n"
    "(printed as a URL; a new one each run). Loopback is the default.\n";

/* Where the running engine keeps its recovery file: PT_RECOVERY_FILE, else
 * $XDG_STATE_HOME/pytone/recovery.yaml (~/.local/state/...). */
static void recovery_path(char *buf, size_t size)
{
    const char *env = getenv("PT_RECOVERY_FILE");
    if (env) {
        snprintf(buf, size, "%s", env);
        return;
    }
    char dir[900];
    if (!pt_user_folder_path(PT_FOLDER_STATE, dir, sizeof dir)) {
        buf[0] = 0;
        return;
    }
    char tmp[900];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
    snprintf(buf, size, "%s/recovery.yaml", dir);
}

/* Keep the process's memory resident so the audio thread never waits for a
 * page to come back from swap. Only where the limit allows it outright: with
 * a small RLIMIT_MEMLOCK, MCL_FUTURE would make later allocations fail. */
static void lock_memory(void)
{
    (void)pt_mem_lock_all();
}

/* A recovery file left behind means the last session did not end cleanly. */
static void offer_recovery(const char *path)
{
    if (!path[0] || access(path, R_OK) != 0) return;
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *r = pt_rig_load(path, &d);
    if (r)
        fprintf(stderr, "pytone: the last session did not end cleanly; its edits of '%s' were kept in\n"
                        "  %s\n  play them with: pytone run %s (this run will replace that file "
                        "after your next edit)\n", r->name, path, path);
    else
        fprintf(stderr, "pytone: ignoring a damaged recovery file %s (%s)\n", path,
                d.n ? d.items[0].msg : "unreadable");
    pt_rig_free(r);
    pt_diags_free(&d);
}

/* The library the session lists and saves into: the rig's own folder (a
 * source tree, the user's files); for a factory rig of an installed pytone,
 * or a folder that cannot be written, the user's library (core/datadir.h),
 * made on first use with the factory content linked beside it. */
static char *library_for(const pt_rig *rig)
{
    const char *dir = rig->dir && rig->dir[0] ? rig->dir : "rigs";
    char real[4096], factory[4200];
    snprintf(factory, sizeof factory, "%s/rigs", pt_data_dir());
    int is_factory = pt_data_installed() && realpath(dir, real) && !strcmp(real, factory);
    if (!is_factory && access(dir, W_OK) == 0) return strdup(dir);
    const char *user = pt_user_dir();
    if (!user) return strdup(dir);
    char lib[4200];
    snprintf(lib, sizeof lib, "%s/rigs", user);
    fprintf(stderr, "pytone: your rig library is %s (factory rigs, read-only: %s/factory/rigs)\n",
            lib, user);
    return strdup(lib);
}

static void audio_callback(void *user, const float *in, float *out_l, float *out_r, int frames)
{
    pt_engine_process(user, in, out_l, out_r, frames);
}

static const pt_backend_ops *choose_backend(const opts *o, int *exit_code)
{
    if (o->backend) {
        const pt_backend_ops *ops = pt_backend_find(o->backend);
        if (!ops) {
            fprintf(stderr, "pytone run: unknown backend '%s' (built in: %s%svirtual)\n", o->backend,
#ifdef PT_HAVE_JACK
                    "jack, ",
#else
                    "",
#endif
#ifdef PT_HAVE_PORTAUDIO
                    "portaudio, "
#else
                    ""
#endif
            );
            *exit_code = 2;
        }
        return ops;
    }
#ifdef PT_HAVE_JACK
    if (pt_jack_server_running()) return &pt_backend_jack;
#endif
#ifdef PT_HAVE_PORTAUDIO
    if (pt_portaudio_has_default_device()) return &pt_backend_portaudio;
#endif
    fprintf(stderr, "pytone: no audio interface found; using the virtual device "
                    "(a looped DI clip, output not audible)\n");
    return &pt_backend_virtual;
}

/* The session state (and MIDI's) as JSON, replaced atomically, for tests
 * and scripts until the control server serves it. */
static void write_status(const char *path, pt_session *s, pt_midi *midi)
{
    cJSON *j = pt_session_state(s);
    cJSON_AddItemToObject(j, "rig_json", pt_session_rig_json(s));
    if (midi) cJSON_AddItemToObject(j, "midi", pt_midi_state(midi));
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!text) return;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fputs(text, f);
        fputc('\n', f);
        if (fclose(f) == 0) rename(tmp, path);
    }
    free(text);
}

/* MIDI: the global mapping file, the setlist's, a controller by name, and the
 * audio host's own MIDI ports. Problems in mapping files are reported and
 * MIDI runs without those files' mappings rather than not at all. */
static pt_midi *start_midi(const opts *o, pt_session *session, const char *rig_path,
                           const pt_backend_ops *ops, pt_backend *dev)
{
    char global[1024] = "";
    if (o->midi_map) snprintf(global, sizeof global, "%s", o->midi_map);
    else {
        char cfg[900];
        if (pt_user_folder_path(PT_FOLDER_CONFIG, cfg, sizeof cfg))
            snprintf(global, sizeof global, "%s/midi.yaml", cfg);
        if (global[0] && access(global, R_OK) != 0) global[0] = 0;
    }
    pt_midi_config mc = {.device = o->midi, .global_path = global[0] ? global : NULL,
                         .setlist_path = pt_is_setlist(rig_path) ? rig_path : NULL};
    pt_diags d;
    pt_diags_init(&d);
    pt_midi *midi = pt_midi_create(session, &mc, &d);
    if (!midi) {
        pt_diags_print(&d, stderr);
        fprintf(stderr, "pytone run: MIDI mappings not used (%d problem%s)\n", d.n, d.n == 1 ? "" : "s");
        mc.global_path = mc.setlist_path = NULL;
        pt_diags_free(&d);
        pt_diags_init(&d);
        midi = pt_midi_create(session, &mc, &d);
    }
    pt_diags_free(&d);
    pt_error err = {0};
    if (midi && ops->set_midi && ops->set_midi(dev, pt_midi_host_in, pt_midi_host_out, midi, &err) != 0)
        fprintf(stderr, "pytone run: %s\n", err.msg);
    return midi;
}

/* Once the input-level helper has finished, say how it went. Returns 1
 * while it still listens. */
static int report_calibration(pt_session *s)
{
    cJSON *c = pt_session_calibration(s);
    const char *state = cJSON_GetObjectItem(c, "state")->valuestring;
    int listening = !strcmp(state, "listening");
    if (!listening)
        fprintf(stderr, "pytone: %s%s\n", cJSON_GetObjectItem(c, "message")->valuestring,
                !strcmp(state, "done") ? "; save the rig to keep it" : "");
    cJSON_Delete(c);
    return listening;
}

/* `pytone run`, and with app set `pytone app`'s engine (open_ui.c): the
 * same options but the server always on; once playing it starts the window
 * and stops, cleanly, when the window has closed. */
int cli_run(const char *cmd, int argc, char **argv, int app)
{
    opts o;
    if (parse(cmd, argc, argv, &o,
              app ? " --backend --device --rate --frames --seconds --stats --input --record --set --port "
                    "--watch --no-reconnect --midi --midi-map --status-file --calibrate-input "
                    "--no-limiter "
                  : " --backend --device --rate --frames --seconds --stats --input --record --set --port "
                    "--no-server --listen --watch --no-reconnect --midi --midi-map --status-file "
                    "--calibrate-input --no-limiter ") != 0)
        return 2;
    if (o.help) return fputs(run_help, stdout), 0;
    char default_rig[4200];
    pt_data_path(DEFAULT_RIG, default_rig, sizeof default_rig);
    if (access(DEFAULT_RIG, R_OK) == 0) snprintf(default_rig, sizeof default_rig, "%s", DEFAULT_RIG);
    const char *rig_path = o.n_pos > 0 ? o.pos[0] : default_rig;
    if (o.n_pos > 1) {
        fputs(run_help, stderr);
        return 2;
    }
    pt_diags diags;
    pt_diags_init(&diags);
    pt_rig *rig = load("run", rig_path, &diags);
    pt_diags_free(&diags);
    if (!rig) return 1;
    /* an IR played alone plays as in a rig: normalised (render keeps it raw,
     * for measuring); the limiter catches what is left */
    if (rig->chain.n == 1 && !rig->chain.items[0].is_split && (!rig->path || !rig->path[0]) &&
        !strcmp(rig->chain.items[0].node.type->name, "cab")) {
        pt_rig_node *n = &rig->chain.items[0].node;
        int norm = pt_param_index(n->type, "normalize");
        if (norm >= 0) pt_rig_node_set(n, norm, 1.0f);
    }

    int code = 0;
    const pt_backend_ops *ops = choose_backend(&o, &code);
    if (!ops) {
        pt_rig_free(rig);
        return code;
    }
    pt_backend_config bc = {.device = o.device, .rate = o.rate, .frames = o.frames,
                            .input_file = o.input, .record_file = o.record,
                            .record_seconds = o.seconds > 0 ? o.seconds + 1.0 : 60.0};
    pt_backend *dev = NULL;
    pt_error err = {0};
    if (ops->open(&dev, &bc, &err) != 0) {
        char buf[2048];
        pt_error_format(&err, buf, sizeof buf);
        fprintf(stderr, "pytone run: %s\n", buf);
        pt_rig_free(rig);
        return err.code == PT_ERR_INVALID || err.code == PT_ERR_IO ? 2 : 1;
    }
    double rate = ops->rate(dev);
    int frames = ops->frames(dev);
    if (!pt_rate_supported(rate) || !pt_frames_supported(frames)) {
        fprintf(stderr, "pytone run: the device runs at %.0f Hz with %d frames; supported: %s Hz, %s frames\n",
                rate, frames, PT_RATES_TEXT, PT_FRAMES_TEXT);
        ops->close(dev);
        pt_rig_free(rig);
        return 2;
    }
    if (cli_apply_sets(rig, o.sets, o.n_sets, &err) != 0) {
        fprintf(stderr, "pytone run: %s\n", err.msg);
        ops->close(dev);
        pt_rig_free(rig);
        return 2;
    }
    lock_memory();
    pt_engine_config ec = {.rate = rate, .max_frames = frames, .clip_output = true,
                           .limiter = !o.no_limiter};
    pt_engine *e = pt_engine_create(&ec, &err);
    char recovery[1024];
    recovery_path(recovery, sizeof recovery);
    offer_recovery(recovery);
    char *libdir = library_for(rig);
    pt_session_config sc = {.library_dir = libdir, .autosave_path = recovery[0] ? recovery : NULL,
                            .watch = o.watch};
    pt_session *session = e ? pt_session_create(e, &sc, &err) : NULL;
    int started;
    if (session && pt_is_setlist(rig_path)) {
        /* a setlist goes to the session whole, so its slots can be switched
         * (MIDI program change, UI); it starts on its first rig, built
         * again here as the session's own */
        pt_diags sd;
        pt_diags_init(&sd);
        started = pt_session_load(session, rig_path, &sd) == 0;
        if (!started && sd.n) err = sd.items[0];
        pt_diags_free(&sd);
        pt_rig_free(rig);
        rig = NULL;
    } else {
        started = session && pt_session_use_rig(session, rig, &err) == 0;
    }
    if (!started) {
        char buf[2048];
        pt_error_format(&err, buf, sizeof buf);
        fprintf(stderr, "pytone run: %s\n", buf);
        ops->close(dev);
        pt_session_destroy(session);
        pt_engine_destroy(e);
        pt_rig_free(rig);
        free(libdir);
        return 1;
    }
    /* overrun attribution: instruction counters and a canary (core/monitor.h) */
    /* (before the server: its first state already says how overruns are judged) */
    pt_monitor *monitor = pt_monitor_start(e, NULL);
    pt_server *server = NULL; /* the control protocol: docs/control-protocol.md */
    pt_server_listen listen = o.listen && !strcmp(o.listen, "lan") ? PT_LISTEN_LAN : PT_LISTEN_LOOPBACK;
    if (!o.no_server && !(server = pt_server_start_on(session, o.port, listen, &err))) {
        fprintf(stderr, "pytone run: %s\n", err.msg);
        pt_monitor_stop(monitor);
        ops->close(dev);
        pt_session_destroy(session);
        pt_engine_destroy(e);
        free(libdir);
        return 2;
    }
    pt_midi *midi = start_midi(&o, session, rig_path, ops, dev);
    pt_session_set_midi(session, midi); /* MIDI learn through the control protocol */
    int latency = pt_session_latency(session);
    ops->set_latency(dev, latency);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (ops->start(dev, audio_callback, e, &err) != 0 || (midi && pt_midi_start(midi, &err) != 0)) {
        fprintf(stderr, "pytone run: %s\n", err.msg);
        pt_server_stop(server);
        ops->close(dev);
        pt_monitor_stop(monitor); /* the audio thread has stopped: its counter may go */
        pt_midi_destroy(midi);
        pt_session_destroy(session);
        pt_engine_destroy(e);
        free(libdir);
        return 1;
    }
    {
        cJSON *st = pt_session_state(session);
        fprintf(stderr, "pytone: playing '%s' on %s (latency %d samples)\n",
                cJSON_GetObjectItem(st, "rig")->valuestring, ops->description(dev), latency);
        cJSON_Delete(st);
    }
    if (server && listen == PT_LISTEN_LAN) {
        char urls[2048];
        pt_server_urls(server, urls, sizeof urls);
        pt_session_set_pairing(session, urls); /* the page shows them too */
        fprintf(stderr, "pytone: control server on the local network; open one of these (the token "
                        "pairs a phone or tablet, keep it private):\n%s", urls);
        /* the first LAN address as a QR code, for a phone's camera */
        char *lan = strchr(urls, '\n');
        pt_qr qr;
        if (lan && lan[1] && isatty(STDERR_FILENO) &&
            pt_qr_encode(lan + 1, strcspn(lan + 1, "\n"), -1, &qr) == 0)
            pt_qr_print(&qr, stderr);
    } else if (server) {
        fprintf(stderr, "pytone: control server on http://127.0.0.1:%d/\n", o.port);
    }
    int calibrating = o.calibrate && pt_session_calibrate_input(session, 5.0, &err) == 0;
    if (calibrating)
        fprintf(stderr, "pytone: setting the input level: play your hardest for 5 s\n");
    {
        pt_load_summary ls;
        pt_engine_load(e, &ls);
        char basis[64];
        pt_load_basis_text(ls.basis, basis, sizeof basis);
        const char *why = pt_monitor_counter_status(monitor);
        fprintf(stderr, "pytone: overruns attributed by %s%s%s%s\n", monitor ? basis : "cpu-time",
                why[0] ? " (no instruction counters: " : "", why, why[0] ? ")" : "");
    }
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double last_print = 0, last_try = 0, last_status = -1;
    int rc = 0;
#ifdef PT_HAVE_WEBKIT
    pid_t window = 0; /* pytone app's window process */
    if (app && (window = app_window_spawn(o.port)) < 0) {
        window = 0; /* pytone-window is missing: the UI in the browser instead */
        (void)app_open_browser(o.port);
    }
#else
    if (app) (void)app_open_browser(o.port); /* no window of its own: the default browser */
#endif
    while (!atomic_load(&stop_requested)) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
#ifdef PT_HAVE_WEBKIT
        if (window > 0 && app_window_exited(window, &rc)) {
            window = 0;
            fprintf(stderr, "pytone app: the window %s; stopping the engine\n",
                    rc == 0 ? "was closed" : "could not stay open");
            break;
        }
#endif
        pt_session_poll(session);
        if (calibrating) calibrating = report_calibration(session);
        if (dev && pt_session_latency(session) != latency) {
            latency = pt_session_latency(session);
            ops->set_latency(dev, latency);
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        double t = (double)(now.tv_sec - t0.tv_sec) + 1e-9 * (double)(now.tv_nsec - t0.tv_nsec);
        if (dev && !ops->alive(dev)) {
            if (o.no_reconnect) {
                fprintf(stderr, "pytone run: the audio device went away (%s); stopping\n", ops->name);
                rc = 1;
                break;
            }
            fprintf(stderr, "pytone run: the audio device went away (%s); waiting for it to come "
                            "back (Ctrl-C to stop)\n", ops->name);
            ops->close(dev);
            dev = NULL;
            last_try = t;
        }
        if (!dev) {
            /* try to reopen twice a second; the engine and the rig stay as they are */
            if (t - last_try >= 0.5) {
                last_try = t;
                pt_error rerr = {0};
                if (ops->open(&dev, &bc, &rerr) == 0) {
                    if (ops->rate(dev) != rate) {
                        fprintf(stderr, "pytone run: %s came back at %.0f Hz, but this session runs "
                                        "at %.0f Hz; restart pytone\n", ops->name, ops->rate(dev), rate);
                        ops->close(dev);
                        dev = NULL;
                        rc = 1;
                        break;
                    }
                    ops->set_latency(dev, latency);
                    if (midi && ops->set_midi) /* the host's MIDI ports come back too */
                        ops->set_midi(dev, pt_midi_host_in, pt_midi_host_out, midi, &rerr);
                    if (ops->start(dev, audio_callback, e, &rerr) != 0) {
                        ops->close(dev);
                        dev = NULL;
                    } else {
                        fprintf(stderr, "pytone run: reconnected: %s\n", ops->description(dev));
                    }
                }
            }
            if (o.seconds > 0 && t >= o.seconds) break;
            continue;
        }
        if (o.stats && t - last_print >= 1.0) {
            pt_load_summary s;
            pt_engine_load(e, &s);
            pt_meter_reading m;
            pt_engine_meters(e, &m);
            fprintf(stderr, "load p50 %.1f%% p99 %.1f%% max %.1f%%  overruns %llu (engine %llu, "
                            "machine %llu, unknown %llu)  xruns %lu  out %.1f dBFS\n",
                    s.load_p50, s.load_p99, s.load_max, (unsigned long long)s.overruns,
                    (unsigned long long)s.overruns_engine, (unsigned long long)s.overruns_machine,
                    (unsigned long long)s.overruns_unknown, ops->host_xruns(dev),
                    20.0 * log10(m.out_peak + 1e-9));
            last_print = t;
        }
        if (o.status_file && t - last_status >= 0.1) {
            write_status(o.status_file, session, midi);
            last_status = t;
        }
        if (o.seconds > 0 && t >= o.seconds) break;
    }
#ifdef PT_HAVE_WEBKIT
    if (window > 0) app_window_close(window); /* before the server goes: no "engine gone" page */
#endif
    pt_server_stop(server);
    if (dev && ops->alive(dev)) ops->stop(dev);
    pt_monitor_stop(monitor); /* attributes the overruns still waiting */
    pt_load_summary s;
    pt_engine_load(e, &s);
    char line[512];
    pt_load_summary_line(&s, line, sizeof line);
    printf("%s\n", line);
    pt_limiter_reading lr;
    pt_engine_limiter(e, &lr);
    if (lr.limited_frames) /* ears first: say when it had to act */
        printf("limiter: reduced %llu frames (%.1f s) to keep the output under %.0f dBTP\n",
               (unsigned long long)lr.limited_frames, (double)lr.limited_frames / rate,
               (double)PT_LIMITER_CEILING_DBTP);
    fflush(stdout);
    if (dev) ops->close(dev);
    if (o.status_file) write_status(o.status_file, session, midi);
    pt_session_set_midi(session, NULL);
    pt_midi_destroy(midi);
    pt_session_close_clean(session);
    pt_session_destroy(session);
    pt_engine_destroy(e);
    free(libdir);
    return rc;
}

/* ----------------------------------------------------------------- main */

static const char *main_help =
    "usage: pytone COMMAND [ARGS]\n"
    "\n"
    "  run [RIG]                 play a rig in real time\n"
    "  render RIG IN.wav OUT.wav process a file offline\n"
    "  bench RIG                 time a rig offline\n"
    "  validate RIG...           check rig files\n"
    "  spice CIRCUIT             a circuit file as an ngspice netlist\n"
    "  devices                   list audio devices\n"
    "  midi-devices              list MIDI inputs\n"
    "  plugins [URI]             list LV2 plugins, or one's parameters\n"
    "  params [TYPE...]          node types' parameters (Markdown)\n"
    "  ui [--port N]             open the web UI of a running engine\n"
    "  app [RIG]                 the web UI in a window of its own (WebKitGTK, WKWebView)\n"
    "  capture-signal OUT.wav    write the re-amp signal a capture is recorded with\n"
    "  capture REC.wav           play it through the amp and record the take (JACK/PortAudio)\n"
    "  train IN.wav OUT.wav -o MODEL.nam   train a .nam capture from a re-amp recording\n"
    "\n"
    "'pytone COMMAND --help' tells more. 'pytone --version' prints the version.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_help, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) return printf("pytone %s\n", PT_VERSION), 0;
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) return fputs(main_help, stdout), 0;
    if (!strcmp(cmd, "run")) return cli_run("run", argc - 2, argv + 2, 0);
    if (!strcmp(cmd, "render")) return cmd_render(argc - 2, argv + 2);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc - 2, argv + 2);
    if (!strcmp(cmd, "validate")) return cmd_validate(argc - 2, argv + 2);
    if (!strcmp(cmd, "spice")) return cli_spice(argc - 2, argv + 2);
    if (!strcmp(cmd, "devices")) return cmd_devices(argc - 2, argv + 2);
    if (!strcmp(cmd, "midi-devices")) return cmd_midi_devices(argc - 2, argv + 2);
    if (!strcmp(cmd, "plugins")) return cmd_plugins(argc - 2, argv + 2);
    if (!strcmp(cmd, "params")) return cmd_params(argc - 2, argv + 2);
    if (!strcmp(cmd, "ui")) return cmd_ui(argc - 2, argv + 2);
    if (!strcmp(cmd, "app")) return cmd_app(argc - 2, argv + 2);
    if (!strcmp(cmd, "capture-signal")) return cli_capture_signal(argc - 2, argv + 2);
    if (!strcmp(cmd, "capture")) return cli_capture(argc - 2, argv + 2);
    if (!strcmp(cmd, "train")) return cli_train(argc - 2, argv + 2);
    if (!strcmp(cmd, "train-grad")) return cli_train_grad(argc - 2, argv + 2);
    fprintf(stderr, "pytone: unknown command '%s' (run, render, bench, validate, spice, devices, midi-devices, params, ui, app)\n", cmd);
    return 2;
}
