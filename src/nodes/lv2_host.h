/* lv2_host.h — what the LV2 node (lv2.c) and `pytone plugins` share: the
 * one lilv world of the process, the URID map, and a plugin's description
 * read from its ports (which becomes the node's specialized type).
 *
 * lilv is not thread-safe: every call into it here holds one lock, and all
 * of it runs on control threads (rig loading, prepare). The audio thread
 * only calls the plugin's own run() through lilv's inline instance calls. */
#ifndef PT_LV2_HOST_H
#define PT_LV2_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/node.h"

typedef enum pt_lv2_port_kind {
    PT_LV2_AUDIO_IN,
    PT_LV2_AUDIO_OUT,
    PT_LV2_CONTROL_IN,  /* a parameter, or a designated port (enabled, freewheel) */
    PT_LV2_CONTROL_OUT, /* a readout, or the latency port */
    PT_LV2_ATOM_IN,     /* given an empty sequence each block */
    PT_LV2_ATOM_OUT,
    PT_LV2_CV_IN,       /* given silence */
    PT_LV2_CV_OUT,
    PT_LV2_UNUSED       /* connectionOptional and of a kind we do not feed: NULL */
} pt_lv2_port_kind;

typedef struct pt_lv2_port {
    pt_lv2_port_kind kind;
    int param;           /* CONTROL_IN: parameter index, or -1 (fixed value) */
    int readout;         /* CONTROL_OUT: readout index, or -1 */
    float fixed;         /* CONTROL_IN without a parameter: the value it gets */
    const float *choice_value; /* an enumeration: the port value of each choice */
} pt_lv2_port;

/* One plugin, as a node type. `type` comes first: the node reads its
 * description back from n->type->impl. */
typedef struct pt_lv2_desc {
    pt_node_type type;
    char *uri, *name;
    const void *plugin; /* const LilvPlugin * */
    int n_ports;
    pt_lv2_port *ports;
    int audio_in[2], n_audio_in;   /* the ports that carry the graph's channels */
    int audio_out[2], n_audio_out;
    int latency_port;              /* a control output, or -1 */
    /* the ports process touches every block, listed once: control inputs,
     * control outputs that are readouts, atom ports */
    int *ctrl_in, n_ctrl_in, *readout_port, n_readout_port, *atom_port, n_atom_port;
    bool has_worker;
} pt_lv2_desc;

/* The node type of the plugin `uri` (interned; see node.h). NULL with a
 * message naming the URI and the reason: lilv missing, unknown URI, no audio
 * ports, a required feature or a port we cannot connect. */
const pt_node_type *pt_lv2_specialize(const pt_node_type *generic, const char *uri, pt_error *err);

/* The process's URID map and its features (thread-safe: a lock, so not to be
 * called from the audio thread; plugins map their URIs when instantiated). */
uint32_t pt_lv2_urid(const char *uri);

/* The URI a URID stands for (NULL if none). */
const char *pt_lv2_uri(uint32_t urid);

/* The state extension (lv2_state.c): `iface` is the plugin's
 * LV2_State_Interface, `handle` its instance handle, `features` what it was
 * instantiated with. save: the state as text (malloc'd), NULL if it keeps
 * none. restore: 0, or -1 with the reason in why. */
char *pt_lv2_state_save(const void *iface, void *handle, const void *const *features);
int pt_lv2_state_restore(const void *iface, void *handle, const char *text,
                         const void *const *features, char *why, size_t why_size);

/* Hold the lilv lock around calls into lilv (instantiate, free). */
void pt_lv2_lock(void);
void pt_lv2_unlock(void);
/* The features every instance gets besides its own (URID map and unmap,
 * bounded block length, log): fills `out` (at most `cap`), returns the count. */
int pt_lv2_common_features(const void **out, int cap);

/* The installed plugins that can be nodes (audio in and out) as a JSON
 * array of {name, uri, audio_in, audio_out} (a cJSON *), for the protocol's
 * list_plugins; NULL with the reason when LV2 hosting is not available. */
struct cJSON;
struct cJSON *pt_lv2_plugins_json(char *why, int why_size);

/* `pytone plugins [URI]`: every installed plugin (name, URI, audio ins and
 * outs, controls), or one plugin's ports. Returns 0, or 1 with a message. */
int pt_lv2_list(FILE *out, const char *uri);

#endif
