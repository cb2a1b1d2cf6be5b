/* midi.h — MIDI control: hardware controllers through RtMidi (ALSA
 * sequencer), and the audio host's own MIDI (JACK ports pytone:midi_in and
 * pytone:midi_out); mappings from the rig, the setlist and a global file
 * (mapping.h); tap tempo and MIDI clock (tempo.h); MIDI learn.
 *
 * Threads: the audio thread (JACK) and RtMidi's thread parse bytes
 * (parser.h) and push timestamped messages into lock-free SPSC rings; one
 * MIDI control thread pops them and acts through the session, like every
 * other controller. The audio thread never waits on MIDI. */
#ifndef PT_MIDI_H
#define PT_MIDI_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "../control/session.h"
#include "../io/backend.h"

typedef struct pt_midi pt_midi;

typedef struct pt_midi_config {
    const char *device;       /* RtMidi input by name (substring); NULL: none */
    const char *global_path;  /* the global mapping file; NULL: none */
    const char *setlist_path; /* the setlist played (its `midi:` section); NULL: none */
} pt_midi_config;

/* Reads the global and setlist mapping files: problems go to diags and
 * make it fail. */
pt_midi *pt_midi_create(pt_session *s, const pt_midi_config *cfg, pt_diags *diags);
/* Start the control thread (and look for the device). */
int pt_midi_start(pt_midi *m, pt_error *err);
/* Stops the thread, closes the device. */
void pt_midi_destroy(pt_midi *m);

/* RT: the host's own MIDI (pass both to pt_backend_ops.set_midi with m as
 * user). host_in parses and queues; one producer thread only (the host's
 * audio thread, or a test standing in for it). host_out hands over the next
 * message for the host's MIDI output. */
void pt_midi_host_in(void *m, const unsigned char *bytes, size_t len, int frame, uint64_t time_ns);
int pt_midi_host_out(void *m, unsigned char bytes[3]);

/* ---- MIDI learn (for the control server and UI) ----
 * kind: "param" (target "node.param"), "bypass" (target "node"),
 * "scene" (target a scene name) or "tap" (target ignored). The next CC that
 * arrives is mapped to it, in the rig being played (saved with it). Arming
 * again replaces the target; learning times out after 30 s. */
int pt_midi_learn_arm(pt_midi *m, const char *kind, const char *target, pt_error *err);
void pt_midi_learn_cancel(pt_midi *m);
/* Remove the rig's mappings of a CC (channel 0: all channels). */
int pt_midi_unmap(pt_midi *m, int channel, int cc, pt_error *err);

/* {"device", "connected", "port", "device_error", "received", "dropped",
 *  "handled", "truncated", "stray", "sysex", "last", "tempo_source",
 *  "tap_bpm", "clock_bpm", "bank", "learn": {"armed", "target", "learnt"}} */
cJSON *pt_midi_state(pt_midi *m);
/* Every mapping, most specific first, as written in each file (a CC in an
 * earlier entry hides the same CC below it): [{"source": "rig"|"setlist"|
 * "global", "cc", "channel" (0: omni), "kind", "target", and per kind "min",
 * "max", "curve", "takeover", "heel", "toe", "smoothing_ms", "mode",
 * "value"; "feedback"}] */
cJSON *pt_midi_mappings_json(pt_midi *m);

/* Print the MIDI inputs RtMidi sees (ALSA sequencer), one a line. */
int pt_midi_list_devices(FILE *out);

#endif
