/* capture_take.h — playing the capture signal out of an interface (JACK or
 * PortAudio) into the amp and recording what comes back, for `pytone
 * capture` and the web UI's Capture page (control/capture_job.c).
 *
 * The device runs from open to close; a take hands the audio thread a
 * buffer to play and one to record into (an atomic pointer; the callback
 * neither allocates nor waits) and waits on the calling thread, off the
 * audio thread, until it is played through. Control threads only. */
#ifndef PT_CAPTURE_TAKE_H
#define PT_CAPTURE_TAKE_H

#include <stdatomic.h>

#include "../core/error.h"

#define PT_CAPTURE_MAX_LAG 9600 /* 200 ms: the longest round trip looked for */

typedef struct pt_capture_device pt_capture_device;

/* Open and start `backend` ("jack", "portaudio"; NULL: JACK, else
 * PortAudio) on `device` (NULL: the default) as client `client`. JACK:
 * recording from port `jack_input` and playing into `jack_output` when
 * given, else connected to the system ports unless PT_JACK_NO_AUTOCONNECT
 * is set. Refused
 * (PT_ERR_INVALID) when the device does not run at 48 kHz, the capture
 * signal's rate, or is the virtual one. */
pt_capture_device *pt_capture_device_open(const char *backend, const char *device, const char *jack_input,
                                          const char *jack_output, const char *client, pt_error *err);
const char *pt_capture_device_description(pt_capture_device *d);

/* Plays x[0..n) after `pre` samples of silence, `gain` (linear) applied, and
 * records as long again plus PT_CAPTURE_MAX_LAG; y[0..n) gets the recording
 * aligned with x as played (the round-trip latency still in it). `cancel`
 * (may be NULL) ends the take early: PT_ERR_INVALID "cancelled". `done`
 * (may be NULL) follows the samples played, for a progress bar. */
int pt_capture_device_take(pt_capture_device *d, const float *x, long n, long pre, float gain, float *y,
                           const atomic_int *cancel, atomic_long *done, pt_error *err);

void pt_capture_device_close(pt_capture_device *d);

/* The same through the running engine's own device (pt_engine_set_tap):
 * the signal replaces the rig at the outputs and the input is recorded.
 * The engine must run at 48 kHz. */
struct pt_engine;
int pt_capture_engine_take(struct pt_engine *e, const float *x, long n, long pre, float gain, float *y,
                           const atomic_int *cancel, atomic_long *done, pt_error *err);

#endif
