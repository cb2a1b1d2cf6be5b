/* backend_portaudio.c — PortAudio: CoreAudio, ASIO, WASAPI, ALSA through one
 * API. One input channel (the guitar), two output channels, float32,
 * non-interleaved. A device is chosen by a substring of its name. */
#include <portaudio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

#ifdef PT_HAVE_ALSA
#include <alsa/asoundlib.h>
static void alsa_quiet(const char *file, int line, const char *fn, int err, const char *fmt, ...)
{
    (void)file, (void)line, (void)fn, (void)err, (void)fmt;
}
#endif

#ifdef PT_HAVE_JACK
#include <jack/jack.h>
static void jack_quiet(const char *msg) { (void)msg; }
#endif
#include "dynlib.h" /* last: the libraries are loaded on first use */

typedef struct padev {
    pt_backend base;
    PaStream *stream;
    pt_audio_callback cb;
    void *user;
    double rate;
    int frames;
    int in_ch, out_ch;
    float *zeros, *scratch;
    atomic_int alive;
    atomic_ulong xruns;
    char desc[256];
} padev;

static int pa_users;

static int pa_init(pt_error *err)
{
    char why[256];
    if (!pt_dyn_portaudio_available(why, sizeof why))
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "PortAudio: the library cannot be loaded (%s)", why);
#ifdef PT_HAVE_ALSA
    if (atomic_load(&pt_dyn_alsa_state) == 1) /* ALSA prints probing noise otherwise */
        snd_lib_error_set_handler(alsa_quiet);
#endif
#ifdef PT_HAVE_JACK
    if (pt_dyn_jack_available(NULL, 0)) { /* so does PortAudio's JACK host API */
        jack_set_error_function(jack_quiet);
        jack_set_info_function(jack_quiet);
    }
#endif
    if (pa_users++ > 0) return 0;
    PaError e = Pa_Initialize();
    if (e != paNoError) {
        pa_users = 0;
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "PortAudio: %s", Pa_GetErrorText(e));
    }
    return 0;
}

static void pa_done(void)
{
    if (pa_users > 0 && --pa_users == 0) Pa_Terminate();
}

int pt_portaudio_has_default_device(void)
{
    if (pa_init(NULL) != 0) return 0;
    PaDeviceIndex o = Pa_GetDefaultOutputDevice();
    int ok = o != paNoDevice && Pa_GetDeviceCount() > 0;
    pa_done();
    return ok;
}

static int p_list(FILE *out, pt_error *err)
{
    if (pa_init(err) != 0) return PT_ERR;
    int n = Pa_GetDeviceCount();
    if (n <= 0) fprintf(out, "portaudio: no devices\n");
    for (int i = 0; i < n; i++) {
        const PaDeviceInfo *info = Pa_GetDeviceInfo(i);
        const PaHostApiInfo *host = Pa_GetHostApiInfo(info->hostApi);
        fprintf(out, "portaudio: [%d] %s (%s) in=%d out=%d default %.0f Hz%s%s\n", i, info->name,
                host ? host->name : "?", info->maxInputChannels, info->maxOutputChannels,
                info->defaultSampleRate, i == Pa_GetDefaultInputDevice() ? " [default in]" : "",
                i == Pa_GetDefaultOutputDevice() ? " [default out]" : "");
    }
    pa_done();
    return 0;
}

/* RT */
static int p_callback(const void *input, void *output, unsigned long frames,
                      const PaStreamCallbackTimeInfo *time, PaStreamCallbackFlags flags, void *arg)
{
    (void)time;
    padev *d = arg;
    if (flags & (paInputOverflow | paOutputUnderflow)) atomic_fetch_add(&d->xruns, 1);
    const float *const *in = input;
    float *const *out = output;
    const float *x = d->in_ch > 0 && in ? in[0] : d->zeros;
    float *l = out[0];
    float *r = d->out_ch > 1 ? out[1] : d->scratch;
    d->cb(d->user, x, l, r, (int)frames);
    return paContinue;
}

static void p_finished(void *arg)
{
    padev *d = arg;
    atomic_store(&d->alive, 0);
}

static PaDeviceIndex find_device(const char *name, int want_input)
{
    int n = Pa_GetDeviceCount();
    for (int i = 0; i < n; i++) {
        const PaDeviceInfo *info = Pa_GetDeviceInfo(i);
        int chans = want_input ? info->maxInputChannels : info->maxOutputChannels;
        if (chans > 0 && strstr(info->name, name)) return i;
    }
    return paNoDevice;
}

static int p_open(pt_backend **out, const pt_backend_config *cfg, pt_error *err)
{
    if (pa_init(err) != 0) return PT_ERR;
    padev *d = calloc(1, sizeof *d);
    if (!d) {
        pa_done();
        return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    d->base.ops = &pt_backend_portaudio;
    PaDeviceIndex od, id;
    if (cfg->device) {
        od = find_device(cfg->device, 0);
        id = find_device(cfg->device, 1);
        if (od == paNoDevice) {
            free(d);
            pa_done();
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                "PortAudio: no output device matches '%s' (see 'pytone devices')",
                                cfg->device);
        }
    } else {
        od = Pa_GetDefaultOutputDevice();
        id = Pa_GetDefaultInputDevice();
        if (od == paNoDevice) {
            free(d);
            pa_done();
            return pt_error_set(err, PT_ERR, NULL, 0, 0, "PortAudio: no default output device");
        }
    }
    const PaDeviceInfo *oinfo = Pa_GetDeviceInfo(od);
    d->rate = cfg->rate > 0 ? cfg->rate : oinfo->defaultSampleRate;
    d->frames = cfg->frames > 0 ? cfg->frames : 64;
    d->out_ch = oinfo->maxOutputChannels >= 2 ? 2 : 1;
    d->in_ch = id != paNoDevice ? 1 : 0;
    PaStreamParameters op = {.device = od, .channelCount = d->out_ch,
                             .sampleFormat = paFloat32 | paNonInterleaved,
                             .suggestedLatency = oinfo->defaultLowOutputLatency};
    PaStreamParameters ip = {.device = id, .channelCount = 1,
                             .sampleFormat = paFloat32 | paNonInterleaved,
                             .suggestedLatency = id != paNoDevice
                                                     ? Pa_GetDeviceInfo(id)->defaultLowInputLatency
                                                     : 0};
    d->zeros = calloc((size_t)d->frames * 4, sizeof(float));
    d->scratch = calloc((size_t)d->frames * 4, sizeof(float));
    PaError e = Pa_OpenStream(&d->stream, d->in_ch ? &ip : NULL, &op, d->rate,
                              (unsigned long)d->frames, paClipOff, p_callback, d);
    if (e != paNoError) {
        free(d->zeros);
        free(d->scratch);
        free(d);
        pa_done();
        return pt_error_set(err, PT_ERR, NULL, 0, 0,
                            "PortAudio: cannot open '%s' at %.0f Hz with %d frames: %s",
                            oinfo->name, cfg->rate > 0 ? cfg->rate : oinfo->defaultSampleRate,
                            cfg->frames > 0 ? cfg->frames : 64, Pa_GetErrorText(e));
    }
    Pa_SetStreamFinishedCallback(d->stream, p_finished);
    atomic_store(&d->alive, 1);
    snprintf(d->desc, sizeof d->desc, "PortAudio '%s', %.0f Hz, %d frames", oinfo->name, d->rate,
             d->frames);
    *out = &d->base;
    return 0;
}

static int p_start(pt_backend *b, pt_audio_callback cb, void *user, pt_error *err)
{
    padev *d = (padev *)b;
    d->cb = cb;
    d->user = user;
    PaError e = Pa_StartStream(d->stream);
    if (e != paNoError)
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "PortAudio: %s", Pa_GetErrorText(e));
    return 0;
}

static void p_stop(pt_backend *b)
{
    padev *d = (padev *)b;
    if (d->stream && Pa_IsStreamActive(d->stream) == 1) Pa_StopStream(d->stream);
}

static void p_close(pt_backend *b)
{
    padev *d = (padev *)b;
    if (d->stream) Pa_CloseStream(d->stream);
    free(d->zeros);
    free(d->scratch);
    free(d);
    pa_done();
}

static double p_rate(pt_backend *b) { return ((padev *)b)->rate; }
static int p_frames(pt_backend *b) { return ((padev *)b)->frames; }
static int p_alive(pt_backend *b)
{
    padev *d = (padev *)b;
    return atomic_load(&d->alive) && Pa_IsStreamActive(d->stream) == 1;
}
static void p_set_latency(pt_backend *b, int samples) { (void)b, (void)samples; }
static unsigned long p_xruns(pt_backend *b) { return atomic_load(&((padev *)b)->xruns); }
static const char *p_desc(pt_backend *b) { return ((padev *)b)->desc; }

const pt_backend_ops pt_backend_portaudio = {
    .name = "portaudio",
    .list = p_list,
    .open = p_open,
    .start = p_start,
    .stop = p_stop,
    .close = p_close,
    .rate = p_rate,
    .frames = p_frames,
    .alive = p_alive,
    .set_latency = p_set_latency,
    .host_xruns = p_xruns,
    .description = p_desc,
};
