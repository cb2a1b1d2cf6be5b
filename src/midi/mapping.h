/* mapping.h — what MIDI controls: the `midi:` section of a rig, a setlist or
 * the global MIDI file (see docs/midi.md). Parsed with libyaml's document
 * API and checked like rigs: every problem as file:line:col. Layers combine
 * rig over setlist over global. */
#ifndef PT_MIDI_MAPPING_H
#define PT_MIDI_MAPPING_H

#include <stdio.h>
#include <yaml.h>

#include "../rig/rig.h"

typedef enum { PT_MAP_PARAM, PT_MAP_SCENE, PT_MAP_BYPASS, PT_MAP_TAP } pt_map_kind;
typedef enum { PT_CURVE_LINEAR, PT_CURVE_LOG, PT_CURVE_EXP } pt_map_curve;

typedef struct pt_midi_mapping {
    pt_map_kind kind;
    int channel;          /* 1..16; 0: the section's channel */
    int cc;               /* 0..127 */
    char node[PT_ID_MAX]; /* param, bypass */
    char param[64];       /* param */
    char scene[PT_ID_MAX];/* scene */
    int has_min, has_max; /* param: else the parameter's own range */
    float min, max;
    pt_map_curve curve;
    int soft;             /* soft takeover: wait until the control passes the value */
    int heel, toe;        /* expression pedal calibration: raw CC at each end */
    float smoothing_ms;   /* expression pedal smoothing (0: none) */
    int momentary;        /* bypass: held, not toggled */
    int value;            /* scene: select on exactly this CC value; -1: on a press */
    int feedback;         /* send the current value back on rig change (MIDI out) */
    int line, col;
} pt_midi_mapping;

typedef struct pt_midi_map {
    int channel;        /* -1: unset; 0: omni; 1..16 */
    int program_change; /* -1: unset; 0/1: PC selects setlist slots */
    int bank_size;      /* 0: unset; slot = bank * bank_size + program */
    int clock;          /* -1: unset; 0/1: follow MIDI clock */
    float tap_reset_ms; /* 0: unset */
    pt_midi_mapping *items;
    int n, cap;
} pt_midi_map;

pt_midi_map *pt_midi_map_new(void);
void pt_midi_map_free(pt_midi_map *m);
pt_midi_map *pt_midi_map_copy(const pt_midi_map *m);
int pt_midi_map_add(pt_midi_map *m, const pt_midi_mapping *item);
/* Drop the mappings of this CC on this channel (0: every channel). Returns
 * how many. */
int pt_midi_map_remove(pt_midi_map *m, int channel, int cc);

/* Parse a `midi:` node. rig (may be NULL) is what parameter and bypass
 * mappings must name; scenes are checked against it too. Returns NULL when
 * there were problems (all in diags). */
pt_midi_map *pt_midi_map_parse(yaml_document_t *doc, yaml_node_t *node, const char *file,
                               const pt_rig *rig, pt_diags *diags);
/* The `midi:` section of any YAML file (a setlist, the global file); an
 * empty map where it has none. NULL with diags on problems. */
pt_midi_map *pt_midi_map_load_file(const char *path, pt_diags *diags);
/* The same from text (path names it in messages). */
pt_midi_map *pt_midi_map_load_string(const char *text, size_t len, const char *path,
                                     pt_diags *diags);

/* Write the map as a YAML mapping (events into em). 0 on success. */
int pt_midi_map_emit(const pt_midi_map *m, yaml_emitter_t *em);

/* Layers, least specific first (global, setlist, rig); NULL entries are
 * skipped. Settings: the most specific that sets one wins, then defaults
 * (omni, program change on, bank size 128, clock off, tap reset 2000 ms).
 * Mappings: a layer's mapping of a CC replaces the less specific layers'
 * mappings of that CC on an overlapping channel. Channels are resolved: each
 * item's channel is 0 (omni) or 1..16. */
pt_midi_map *pt_midi_map_merge(const pt_midi_map *const *layers, int n);

/* Where CC value `raw` (0..127) puts a parameter mapped with this curve and
 * calibration, lo..hi being the range. */
float pt_midi_curve_value(const pt_midi_mapping *m, int raw, float lo, float hi);
/* The inverse (for MIDI out and soft takeover): the CC value (0..127,
 * rounded) that gives v. */
int pt_midi_curve_raw(const pt_midi_mapping *m, float v, float lo, float hi);

#endif
