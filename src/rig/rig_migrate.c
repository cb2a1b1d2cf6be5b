/* rig_migrate.c — older rig versions, brought up to the current one.
 *
 * Each migration rewrites the parsed YAML document in place, from version N
 * to N+1, keeping the nodes (and so the line:col) of everything it moves, so
 * that problems in an old file are still reported where they are written.
 *
 * Version 0 (the engine's first, minimal format) had a flat list `nodes:`;
 * each node's `name` became `id` in version 1, and its parameters sat beside
 * `type` instead of under `params:`. */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "rig.h"
#include "yaml_doc.h"

int pt_rig_migrate(yaml_document_t *doc, int from_version);

static yaml_node_t *at(yaml_document_t *d, int i) { return yaml_document_get_node(d, i); }

static void set_scalar(yaml_node_t *n, const char *v)
{
    free(n->data.scalar.value);
    n->data.scalar.value = (yaml_char_t *)strdup(v);
    n->data.scalar.length = strlen(v);
}

static int is_asset(const pt_node_type *t, const char *key)
{
    for (int a = 0; t && a < t->n_assets; a++)
        if (!strcmp(t->assets[a].name, key)) return 1;
    return 0;
}

static void migrate_node_v0(yaml_document_t *doc, int ni)
{
    yaml_node_t *n = at(doc, ni);
    if (!n || n->type != YAML_MAPPING_NODE) return;
    const pt_node_type *type = NULL;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = pt_yd_scalar(at(doc, p->key)), *v = pt_yd_scalar(at(doc, p->value));
        if (k && !strcmp(k, "type")) type = v ? pt_node_type_find(v) : NULL;
    }
    yaml_mark_t mark = n->start_mark;
    int params = yaml_document_add_mapping(doc, NULL, YAML_BLOCK_MAPPING_STYLE);
    n = at(doc, ni); /* adding nodes may move them */
    at(doc, params)->start_mark = mark;
    yaml_node_pair_t *keep = n->data.mapping.pairs.start;
    int moved = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = pt_yd_scalar(at(doc, p->key));
        int is_name = k && !strcmp(k, "name");
        if (!k || is_name || !strcmp(k, "type") || !strcmp(k, "bypass") || is_asset(type, k)) {
            if (is_name) set_scalar(at(doc, p->key), "id"); /* frees k */
            *keep++ = *p;
        } else {
            yaml_document_append_mapping_pair(doc, params, p->key, p->value);
            moved++;
        }
    }
    n = at(doc, ni);
    n->data.mapping.pairs.top = keep;
    if (moved) {
        int key = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)"params", 6, YAML_PLAIN_SCALAR_STYLE);
        at(doc, key)->start_mark = mark;
        yaml_document_append_mapping_pair(doc, ni, key, params);
    }
}

static int migrate_v0(yaml_document_t *doc)
{
    int root = 1;
    yaml_node_t *r = at(doc, root);
    if (!r || r->type != YAML_MAPPING_NODE) return -1;
    for (yaml_node_pair_t *p = r->data.mapping.pairs.start; p < r->data.mapping.pairs.top; p++) {
        yaml_node_t *k = at(doc, p->key);
        if (!pt_yd_scalar(k)) continue;
        if (!strcmp(pt_yd_scalar(k), "version")) {
            yaml_node_t *v = at(doc, p->value);
            if (v && v->type == YAML_SCALAR_NODE) set_scalar(v, "1");
        } else if (!strcmp(pt_yd_scalar(k), "nodes")) {
            set_scalar(k, "chain");
            int seq = p->value;
            yaml_node_t *s = at(doc, seq);
            if (!s || s->type != YAML_SEQUENCE_NODE) continue;
            int n = pt_yd_len(s);
            for (int i = 0; i < n; i++) {
                s = at(doc, seq);
                migrate_node_v0(doc, s->data.sequence.items.start[i]);
            }
            r = at(doc, root);
        }
    }
    return 0;
}

int pt_rig_migrate(yaml_document_t *doc, int from_version)
{
    switch (from_version) {
    case 0: return migrate_v0(doc);
    default: return -1;
    }
}
