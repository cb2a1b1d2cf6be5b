/* yaml_doc.h — what every YAML file of the project (rigs, setlists, MIDI
 * maps, circuits) is read and written with, so that each reports its
 * problems the same way: file:line:col of the node at fault.
 *
 * A pt_ydoc is one loaded document, the file name messages carry, and where
 * problems go: every problem into diags (rigs, setlists, MIDI maps), or,
 * with diags NULL, the first one into err (circuits, which stop there). */
#ifndef PT_YAML_DOC_H
#define PT_YAML_DOC_H

#include <stddef.h>
#include <yaml.h>

#include "rig.h"

typedef enum {
    PT_YD_KEYS_KNOWN,   /* "unknown key 'k' in WHAT (known: a, b, c)", for every such key */
    PT_YD_KEYS_NEAREST, /* "... (did you mean 'b'?)" within 2 edits, else "...; it takes: a, b" */
} pt_yd_key_style;

typedef struct pt_ydoc {
    yaml_document_t *doc;
    const char *file;
    pt_diags *diags;       /* every problem; or, when NULL: */
    pt_error *err;         /* the first problem */
    pt_yd_key_style keys;  /* how pt_yd_check_keys words an unknown key */
    const char *nonscalar; /* a list or mapping where a value was wanted, in messages;
                              NULL: "a list" / "a mapping" */
} pt_ydoc;

#define PT_YD_LINE(n) ((int)(n)->start_mark.line + 1)
#define PT_YD_COL(n) ((int)(n)->start_mark.column + 1)

/* Load text into doc (and set y->doc). 0 on success; otherwise the problem
 * is reported through y and its code returned. Refused first, in time and
 * memory linear in the text: YAML aliases (an alias bomb), nesting deeper
 * than 64, more than 200,000 values, a second document. with_context: name
 * libyaml's context after its problem in a load error ("YAML: PROBLEM
 * CONTEXT"), as rigs do; its syntax errors found first always have it. */
int pt_yd_load(pt_ydoc *y, yaml_document_t *doc, const char *text, size_t len, int with_context);

/* Report a problem at line:col (0: unknown), or at a node (NULL: no place).
 * Both return PT_ERR_INVALID. */
int pt_yd_report(pt_ydoc *y, int line, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
int pt_yd_problem(pt_ydoc *y, const yaml_node_t *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* "out of memory" (into err as PT_ERR_NOMEM, naming no file); returns that code. */
int pt_yd_nomem(pt_ydoc *y);

yaml_node_t *pt_yd_node(const pt_ydoc *y, int index);
/* How many items a list has, or pairs a mapping (0 for a scalar); item i of
 * a list. */
int pt_yd_len(const yaml_node_t *n);
yaml_node_t *pt_yd_item(const pt_ydoc *y, const yaml_node_t *seq, int i);
/* The text of a scalar node; NULL for anything else. */
const char *pt_yd_scalar(const yaml_node_t *n);
/* "a value", "a list", "a mapping" or "nothing". */
const char *pt_yd_kind(const yaml_node_t *n);
/* A node as messages show it: its text, or y->nonscalar / its kind. */
const char *pt_yd_shown(const pt_ydoc *y, const yaml_node_t *n);

/* The value under key in a mapping; NULL when absent or map is no mapping.
 * _key also gives the key's node (for messages about the key). */
yaml_node_t *pt_yd_get(const pt_ydoc *y, const yaml_node_t *map, const char *key);
yaml_node_t *pt_yd_get_key(const pt_ydoc *y, const yaml_node_t *map, const char *key,
                           yaml_node_t **key_node);

/* Report a mapping's keys that are not in allowed (NULL-terminated), worded
 * by y->keys; `what` names the mapping ("a scene"). With diags every such
 * key is reported, without them the first. 0 when all are known. */
int pt_yd_check_keys(pt_ydoc *y, const yaml_node_t *map, const char *what,
                     const char *const *allowed);

/* The first of names closest to name by fewer than `below` edits
 * (pt_edit_distance: case does not count), or NULL. */
const char *pt_yd_nearest(const char *name, const char *const *names, int below);

/* Append item to a ", "-separated list in buf (more: another follows);
 * join a NULL-terminated list. Both cut what does not fit. */
void pt_yd_list_add(char *buf, size_t size, const char *item, int more);
void pt_yd_join(char *buf, size_t size, const char *const *names);

/* A finite number written as a whole scalar (strtod); true/on/yes or
 * false/off/no. 0 on success, -1 when s is not one. */
int pt_yd_to_number(const char *s, double *out);
int pt_yd_to_bool(const char *s, int *out);

/* The number in v, checked (whole when `whole`, in lo..hi, unit named in
 * the range message when not ""). 0 on success; -1 once reported. */
int pt_yd_number(pt_ydoc *y, const yaml_node_t *v, const char *key, double lo, double hi,
                 const char *unit, int whole, double *out);
/* The same for map[key]: 1 when read, 0 (out untouched) when absent, -1
 * once reported. */
int pt_yd_get_number(pt_ydoc *y, const yaml_node_t *map, const char *key, double lo, double hi,
                     const char *unit, int whole, double *out);
int pt_yd_get_float(pt_ydoc *y, const yaml_node_t *map, const char *key, float lo, float hi,
                    const char *unit, float *out);
/* A copy of the text under key; NULL when absent or reported as no text. */
char *pt_yd_get_string(pt_ydoc *y, const yaml_node_t *map, const char *key);

/* ---------------------------------------------------------------- writing */

/* An emitter and whether any event failed (the rest are then skipped). */
typedef struct pt_yemit {
    yaml_emitter_t *em;
    int failed;
} pt_yemit;

void pt_ye_event(pt_yemit *o, yaml_event_t *e);
/* Plain where YAML allows it; "" is written quoted. */
void pt_ye_scalar(pt_yemit *o, const char *s);
/* A literal block (|), for notes over several lines. */
void pt_ye_literal(pt_yemit *o, const char *s);
/* %.9g: round-trips a float exactly. */
void pt_ye_number(pt_yemit *o, double v);
void pt_ye_pair(pt_yemit *o, const char *key, const char *value);
void pt_ye_pair_number(pt_yemit *o, const char *key, double v);
/* A mapping or list (block, or flow: {a: 1} / [a, b]), as the value of key
 * when key is not NULL. */
void pt_ye_map_start(pt_yemit *o, const char *key, int flow);
void pt_ye_map_end(pt_yemit *o);
void pt_ye_seq_start(pt_yemit *o, const char *key, int flow);
void pt_ye_seq_end(pt_yemit *o);

/* Read a whole YAML file (at most 4 MiB; not a folder) into a NUL-ended
 * buffer the caller frees. Problems go to diags naming the file; `what`
 * ("a rig") is said when it is too large. */
/* The file opened for reading only when it is a regular file (a FIFO,
 * device or socket is refused without waiting); NULL with a problem in
 * diags (which may be NULL) otherwise. */
FILE *pt_yd_open_regular(const char *path, pt_diags *diags);
char *pt_yd_read_file(const char *path, const char *what, size_t *len, pt_diags *diags);

#endif
