/* test_midi_mapping.c — MIDI mappings: problems reported at their exact
 * file:line:col (positions counted by hand in the texts below); curves
 * against their documented formulas (docs/midi.md); rig over setlist over
 * global; a rig's mappings survive save -> load; and through a real session
 * and engine: MIDI learn stores a mapping in the rig (and the saved file),
 * soft takeover waits for the control to pass the value, a latching switch
 * toggles bypass. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/session.h"
#include "midi/mapping.h"
#include "midi/midi.h"
#include "rig/rig.h"
#include "testutil.h"

static const char *RIG_HEAD =
    "version: 1\n"
    "name: m\n"
    "chain:\n"
    "  - {id: tone, type: eq, params: {freq_hz: 1000}}\n"
    "  - {id: echo, type: delay}\n"
    "scenes:\n"
    "  - {name: lead, params: {echo.mix: 0.7}}\n";

static pt_rig *rig_from(const char *midi, pt_diags *d)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", RIG_HEAD, midi);
    return pt_rig_load_string(text, strlen(text), "r.yaml", ".", d);
}

static void expect(const pt_diags *d, int i, int line, int col, const char *part)
{
    assert_true(i < d->n);
    if (d->items[i].line != line || d->items[i].col != col || !strstr(d->items[i].msg, part)) {
        pt_diags_print(d, stderr);
        fail_msg("problem %d: want %d:%d '%s'", i, line, col, part);
    }
    assert_string_equal(d->items[i].file, "r.yaml");
}

static void problems_at_exact_positions(void **state)
{
    (void)state;
    pt_diags d;
    pt_diags_init(&d);
    /* lines 8.. (the head has 7) */
    pt_rig *r = rig_from("midi:\n"                                          /* 8 */
                         "  channel: 17\n"                                  /* 9 */
                         "  colour: red\n"                                  /* 10 */
                         "  map:\n"                                         /* 11 */
                         "    - {cc: 128, param: tone.freq_hz}\n"           /* 12 */
                         "    - {cc: 1, param: tone.nope}\n"                /* 13 */
                         "    - {cc: 2, param: amp.gain_db}\n"              /* 14 */
                         "    - {cc: 3, param: tone.gain_db, curve: log}\n" /* 15 */
                         "    - {cc: 4, scene: solo}\n"                     /* 16 */
                         "    - {cc: 5, bypass: echo, mode: sticky}\n"      /* 17 */
                         "    - {cc: 6, tap: true, min: 3}\n"               /* 18 */
                         "    - {cc: 7, param: tone.freq_hz, max: 30000}\n" /* 19 */
                         "    - {cc: 8, scene: lead, bypass: echo}\n"       /* 20 */
                         "    - {cc: 9, tap: true}\n"                       /* 21 */
                         "    - {cc: 9, bypass: echo}\n",                   /* 22 */
                         &d);
    assert_null(r);
    expect(&d, 0, 10, 3, "unknown key 'colour'");
    expect(&d, 1, 9, 12, "'channel' must be omni or 1 .. 16");
    expect(&d, 2, 12, 12, "'cc' = 128 is out of range 0 .. 127");
    expect(&d, 3, 13, 22, "has no parameter 'nope'");
    expect(&d, 4, 14, 22, "no node 'amp'");
    expect(&d, 5, 15, 22, "a log curve needs a range that does not include 0");
    expect(&d, 6, 16, 22, "no scene 'solo'");
    expect(&d, 7, 17, 35, "'mode' must be one of latching, momentary");
    expect(&d, 8, 18, 31, "'min' applies to 'param' mappings only");
    expect(&d, 9, 19, 41, "'max' = 30000 is outside tone.freq_hz's range 20 .. 20000");
    expect(&d, 10, 20, 7, "exactly one of 'param', 'scene', 'bypass', 'tap'");
    expect(&d, 11, 22, 12, "CC 9 is already mapped at line 21");
    assert_int_equal(d.n, 12);
    pt_diags_free(&d);

    /* a setlist or global file: the same checks, no rig to name nodes */
    pt_diags_init(&d);
    const char *g = "midi:\n"
                    "  program_change: maybe\n"
                    "  map:\n"
                    "    - {cc: 1, param: nodot}\n"
                    "    - {cc: 2, param: any.thing, heel: 10, toe: 10}\n";
    pt_midi_map *m = pt_midi_map_load_string(g, strlen(g), "r.yaml", &d);
    assert_null(m);
    expect(&d, 0, 2, 19, "'program_change' must be true or false");
    expect(&d, 1, 4, 22, "'param' must be NODE.PARAM");
    expect(&d, 2, 5, 48, "'heel' and 'toe' must differ");
    assert_int_equal(d.n, 3);
    pt_diags_free(&d);
    /* a YAML syntax error has its position too */
    pt_diags_init(&d);
    const char *bad = "midi:\n  map: [\n";
    assert_null(pt_midi_map_load_string(bad, strlen(bad), "r.yaml", &d));
    assert_int_equal(d.n, 1);
    assert_int_equal(d.items[0].line, 3);
    pt_diags_free(&d);
}

/* Curves against docs/midi.md: x = (cc - heel) / (toe - heel) clamped;
 * linear lo + (hi-lo) x; log lo (hi/lo)^x; exp lo + (hi-lo)(10^(2x)-1)/99. */
static void curves_follow_their_formulas(void **state)
{
    (void)state;
    pt_midi_mapping m;
    memset(&m, 0, sizeof m);
    m.toe = 127;
    for (int cc = 0; cc < 128; cc++) {
        double x = cc / 127.0;
        m.curve = PT_CURVE_LINEAR;
        assert_float_equal(pt_midi_curve_value(&m, cc, -12, 12), -12 + 24 * x, 1e-5);
        m.curve = PT_CURVE_LOG;
        assert_float_equal(pt_midi_curve_value(&m, cc, 100, 10000), 100 * pow(100, x), 1e-2);
        m.curve = PT_CURVE_EXP;
        assert_float_equal(pt_midi_curve_value(&m, cc, 0, 1), (pow(10, 2 * x) - 1) / 99, 1e-6);
        /* the inverse gives the CC back */
        for (int c = 0; c < 3; c++) {
            m.curve = (pt_map_curve)c;
            float lo = c == 1 ? 100 : 0, hi = c == 1 ? 10000 : 1;
            assert_int_equal(pt_midi_curve_raw(&m, pt_midi_curve_value(&m, cc, lo, hi), lo, hi), cc);
        }
    }
    /* an expression pedal calibrated heel 10, toe 110 (and a reversed one) */
    m.curve = PT_CURVE_LINEAR;
    m.heel = 10, m.toe = 110;
    assert_float_equal(pt_midi_curve_value(&m, 0, 0, 1), 0, 0);
    assert_float_equal(pt_midi_curve_value(&m, 60, 0, 1), 0.5, 1e-6);
    assert_float_equal(pt_midi_curve_value(&m, 127, 0, 1), 1, 0);
    m.heel = 120, m.toe = 20;
    assert_float_equal(pt_midi_curve_value(&m, 45, 0, 1), 0.75, 1e-6);
}

static pt_midi_map *map_of(const char *text)
{
    pt_diags d;
    pt_diags_init(&d);
    pt_midi_map *m = pt_midi_map_load_string(text, strlen(text), "x.yaml", &d);
    if (!m) pt_diags_print(&d, stderr);
    assert_non_null(m);
    pt_diags_free(&d);
    return m;
}

static const pt_midi_mapping *find(const pt_midi_map *m, int ch, int cc)
{
    for (int i = 0; i < m->n; i++)
        if (m->items[i].cc == cc && m->items[i].channel == ch) return &m->items[i];
    return NULL;
}

static void rig_over_setlist_over_global(void **state)
{
    (void)state;
    pt_midi_map *g = map_of("midi:\n  channel: 2\n  clock: true\n  map:\n"
                            "    - {cc: 1, tap: true}\n    - {cc: 2, bypass: a}\n    - {cc: 3, scene: x}\n");
    pt_midi_map *s = map_of("midi:\n  bank_size: 5\n  map:\n    - {cc: 2, bypass: b, channel: 2}\n"
                            "    - {cc: 4, scene: y}\n");
    pt_midi_map *r = map_of("midi:\n  channel: omni\n  clock: false\n  map:\n    - {cc: 3, tap: true}\n");
    const pt_midi_map *layers[3] = {g, s, r};
    pt_midi_map *m = pt_midi_map_merge(layers, 3);
    assert_int_equal(m->channel, 0);    /* the rig's */
    assert_int_equal(m->clock, 0);      /* the rig's over the global's */
    assert_int_equal(m->bank_size, 5);  /* the setlist's */
    assert_int_equal(m->program_change, 1); /* the default */
    assert_int_equal(m->n, 4);
    assert_int_equal(find(m, 2, 1)->kind, PT_MAP_TAP);      /* global, on its channel 2 */
    assert_string_equal(find(m, 2, 2)->node, "b");           /* setlist replaced global */
    assert_int_equal(find(m, 0, 3)->kind, PT_MAP_TAP);      /* rig (omni) replaced global's scene */
    assert_string_equal(find(m, 0, 4)->scene, "y");
    pt_midi_map_free(m);
    pt_midi_map_free(g);
    pt_midi_map_free(s);
    pt_midi_map_free(r);
}

static void mappings_survive_save_and_load(void **state)
{
    (void)state;
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *r = rig_from("midi:\n  channel: 3\n  program_change: false\n  bank_size: 4\n"
                         "  clock: true\n  tap_reset_ms: 1500\n  map:\n"
                         "    - {cc: 7, param: tone.freq_hz, min: 200, max: 4000, curve: log, "
                         "takeover: soft, feedback: true}\n"
                         "    - {cc: 11, channel: 5, param: echo.mix, heel: 4, toe: 120, smoothing_ms: 25, "
                         "curve: exp}\n"
                         "    - {cc: 20, scene: lead, value: 3}\n"
                         "    - {cc: 21, bypass: echo, mode: momentary}\n"
                         "    - {cc: 22, tap: true}\n",
                         &d);
    if (!r) pt_diags_print(&d, stderr);
    assert_non_null(r);
    size_t len;
    char *y = pt_rig_to_yaml(r, &len);
    pt_rig *back = pt_rig_load_string(y, len, "again.yaml", ".", &d);
    if (!back) pt_diags_print(&d, stderr), fprintf(stderr, "%s", y);
    assert_non_null(back);
    const pt_midi_map *a = r->midi, *b = back->midi;
    assert_int_equal(a->n, 5);
    assert_int_equal(b->n, a->n);
    assert_int_equal(b->channel, 3);
    assert_int_equal(b->program_change, 0);
    assert_int_equal(b->bank_size, 4);
    assert_int_equal(b->clock, 1);
    assert_float_equal(b->tap_reset_ms, 1500, 0);
    for (int i = 0; i < a->n; i++) {
        const pt_midi_mapping *x = &a->items[i], *z = &b->items[i];
        assert_int_equal(x->kind, z->kind);
        assert_int_equal(x->cc, z->cc);
        assert_int_equal(x->channel, z->channel);
        assert_string_equal(x->node, z->node);
        assert_string_equal(x->param, z->param);
        assert_string_equal(x->scene, z->scene);
        assert_int_equal(x->has_min, z->has_min);
        assert_float_equal(x->min, z->min, 0);
        assert_float_equal(x->max, z->max, 0);
        assert_int_equal(x->curve, z->curve);
        assert_int_equal(x->soft, z->soft);
        assert_int_equal(x->heel, z->heel);
        assert_int_equal(x->toe, z->toe);
        assert_float_equal(x->smoothing_ms, z->smoothing_ms, 0);
        assert_int_equal(x->momentary, z->momentary);
        assert_int_equal(x->value, z->value);
        assert_int_equal(x->feedback, z->feedback);
    }
    free(y);
    pt_rig_free(r);
    pt_rig_free(back);
    pt_diags_free(&d);
}

/* ------------------------------------------------ through the session */

typedef struct fixture {
    pt_engine *e;
    pt_session *s;
    pt_midi *m;
    float in[64], l[64], r[64];
} fixture;

static void setup(fixture *f, const char *midi)
{
    memset(f, 0, sizeof *f);
    pt_error err = {0};
    pt_engine_config ec = {.rate = 48000, .max_frames = 64};
    f->e = pt_engine_create(&ec, &err);
    f->s = pt_session_create(f->e, NULL, &err);
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *r = rig_from(midi, &d);
    if (!r) pt_diags_print(&d, stderr);
    assert_non_null(r);
    pt_diags_free(&d);
    assert_int_equal(pt_session_use_rig(f->s, r, &err), 0);
    f->m = pt_midi_create(f->s, NULL, &d);
    assert_non_null(f->m);
    assert_int_equal(pt_midi_start(f->m, &err), 0);
}

static void teardown(fixture *f)
{
    pt_midi_destroy(f->m);
    pt_session_destroy(f->s);
    pt_engine_destroy(f->e);
}

/* Messages the MIDI thread has acted on so far. */
static double handled(fixture *f)
{
    cJSON *st = pt_midi_state(f->m);
    double n = cJSON_GetObjectItem(st, "handled")->valuedouble;
    cJSON_Delete(st);
    return n;
}

/* One engine block, after a millisecond (the MIDI thread polls every 1 ms). */
static void block(fixture *f)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    pt_engine_process(f->e, f->in, f->l, f->r, 64);
}

/* Send a CC as the host's audio thread would (this thread is the only
 * producer) and wait until the MIDI thread has acted on it (however late
 * a loaded machine runs it: up to 10 s), then 20 more blocks so the
 * engine's command queue drains. */
static void cc(fixture *f, int ch, int num, int val)
{
    unsigned char b[3] = {(unsigned char)(0xB0 | (ch - 1)), (unsigned char)num, (unsigned char)val};
    double before = handled(f);
    pt_midi_host_in(f->m, b, 3, 0, (uint64_t)time(NULL) * 1000000000ull);
    for (int i = 0; i < 10000 && handled(f) == before; i++) block(f);
    assert_true(handled(f) > before);
    for (int i = 0; i < 20; i++) block(f);
}

static float get(fixture *f, const char *node, const char *param)
{
    float v = NAN;
    assert_int_equal(pt_session_get_param(f->s, node, param, &v, NULL), 0);
    return v;
}

static void learn_stores_the_mapping_in_the_saved_rig(void **state)
{
    (void)state;
    fixture f;
    setup(&f, "");
    pt_error err = {0};
    assert_int_not_equal(pt_midi_learn_arm(f.m, "param", "tone.nope", &err), 0);
    assert_non_null(strstr(err.msg, "no parameter 'nope'"));
    assert_int_equal(pt_midi_learn_arm(f.m, "param", "tone.gain_db", &err), 0);
    cc(&f, 4, 12, 64); /* the control the player moves */
    cJSON *maps = pt_midi_mappings_json(f.m);
    assert_int_equal(cJSON_GetArraySize(maps), 1);
    cJSON *m0 = cJSON_GetArrayItem(maps, 0);
    assert_string_equal(cJSON_GetObjectItem(m0, "source")->valuestring, "rig");
    assert_string_equal(cJSON_GetObjectItem(m0, "target")->valuestring, "tone.gain_db");
    assert_string_equal(cJSON_GetObjectItem(m0, "label")->valuestring, "Gain"); /* for people */
    assert_int_equal(cJSON_GetObjectItem(m0, "cc")->valueint, 12);
    assert_int_equal(cJSON_GetObjectItem(m0, "channel")->valueint, 4);
    cJSON_Delete(maps);
    cJSON *st = pt_midi_state(f.m);
    const char *learnt = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "learn"), "learnt")->valuestring;
    assert_non_null(strstr(learnt, "cc 12 channel 4 -> param tone.gain_db (Gain)"));
    cJSON_Delete(st);
    /* now CC 12 on channel 4 moves gain over its whole range (-24 .. 24 dB) */
    cc(&f, 4, 12, 127);
    assert_float_equal(get(&f, "tone", "gain_db"), 24.0, 1e-6);
    cc(&f, 4, 12, 0);
    assert_float_equal(get(&f, "tone", "gain_db"), -24.0, 1e-6);
    cc(&f, 3, 12, 127); /* another channel: not mapped */
    assert_float_equal(get(&f, "tone", "gain_db"), -24.0, 1e-6);
    /* saved with the rig */
    char path[] = "/tmp/pt_midi_learn_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    assert_int_equal(pt_session_save(f.s, path, &err), 0);
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *back = pt_rig_load(path, &d);
    assert_non_null(back);
    assert_non_null(back->midi);
    assert_int_equal(back->midi->n, 1);
    assert_int_equal(back->midi->items[0].cc, 12);
    assert_int_equal(back->midi->items[0].channel, 4);
    assert_string_equal(back->midi->items[0].node, "tone");
    assert_string_equal(back->midi->items[0].param, "gain_db");
    pt_rig_free(back);
    pt_diags_free(&d);
    unlink(path);
    char bak[64];
    snprintf(bak, sizeof bak, "%s.bak", path);
    unlink(bak);
    /* unmapping removes it */
    assert_int_equal(pt_midi_unmap(f.m, 4, 12, &err), 0);
    cc(&f, 4, 12, 127);
    assert_float_equal(get(&f, "tone", "gain_db"), -24.0, 1e-6);
    teardown(&f);
}

static void soft_takeover_waits_for_the_control(void **state)
{
    (void)state;
    fixture f;
    setup(&f, "midi:\n  map:\n    - {cc: 1, param: tone.gain_db, min: -12, max: 12, takeover: soft}\n"
              "    - {cc: 2, bypass: echo}\n    - {cc: 3, scene: lead}\n");
    /* the value is 0 dB: CC 64 on this range is 0.094 dB, CC 63 -0.094 */
    cc(&f, 1, 1, 120);
    assert_float_equal(get(&f, "tone", "gain_db"), 0.0f, 0); /* not caught yet */
    cc(&f, 1, 1, 100);
    assert_float_equal(get(&f, "tone", "gain_db"), 0.0f, 0);
    cc(&f, 1, 1, 60); /* passed 63.5: caught */
    assert_float_equal(get(&f, "tone", "gain_db"), -12.0f + 24.0f * 60 / 127, 1e-5);
    cc(&f, 1, 1, 127);
    assert_float_equal(get(&f, "tone", "gain_db"), 12.0f, 1e-6);
    /* something else moves it: the control must catch it again */
    assert_int_equal(pt_session_set_param(f.s, "tone", "gain_db", -6.0f, NULL), 0);
    cc(&f, 1, 1, 126);
    assert_float_equal(get(&f, "tone", "gain_db"), -6.0f, 0);
    /* latching bypass: each press toggles, releases do nothing */
    cJSON *rj = pt_session_rig_json(f.s);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(rj, "chain"), 1), "bypass")));
    cJSON_Delete(rj);
    cc(&f, 1, 2, 127);
    cc(&f, 1, 2, 0);
    rj = pt_session_rig_json(f.s);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(rj, "chain"), 1), "bypass")));
    cJSON_Delete(rj);
    cc(&f, 1, 2, 127);
    rj = pt_session_rig_json(f.s);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(rj, "chain"), 1), "bypass")));
    cJSON_Delete(rj);
    /* a scene */
    cc(&f, 1, 3, 127);
    assert_float_equal(get(&f, "echo", "mix"), 0.7f, 1e-6);
    teardown(&f);
}

static int echo_bypassed(fixture *f)
{
    cJSON *rj = pt_session_rig_json(f->s);
    int b = cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(rj, "chain"), 1), "bypass"));
    cJSON_Delete(rj);
    return b;
}

/* A momentary switch holds the other state only while pressed; an expression
 * pedal with heel/toe calibration glides (one pole, 200 ms) to where the
 * calibrated curve puts it instead of jumping. */
static void momentary_bypass_and_smoothed_pedal(void **state)
{
    (void)state;
    fixture f;
    setup(&f, "midi:\n  channel: 2\n  map:\n    - {cc: 4, bypass: echo, mode: momentary}\n"
              "    - {cc: 11, param: tone.gain_db, min: -10, max: 10, heel: 20, toe: 100, "
              "smoothing_ms: 200}\n");
    cc(&f, 1, 4, 127); /* channel 1: the section listens on 2 only */
    assert_false(echo_bypassed(&f));
    cc(&f, 2, 4, 127);
    assert_true(echo_bypassed(&f));
    cc(&f, 2, 4, 127); /* still held */
    assert_true(echo_bypassed(&f));
    cc(&f, 2, 4, 0);
    assert_false(echo_bypassed(&f));
    /* toe down: the target is +10 dB, reached by a glide, not a jump: read
     * every millisecond or so on its way (a 200 ms pole takes ~460 ms to
     * 90 %), some value between is seen, whenever the MIDI thread runs */
    cc(&f, 2, 11, 110);
    int between = 0;
    for (int i = 0; i < 10000 && get(&f, "tone", "gain_db") != 10.0f; i++) {
        float v = get(&f, "tone", "gain_db");
        between += v > 0.5f && v < 9.5f;
        block(&f);
        if (i % 50 == 49) cc(&f, 2, 11, 110); /* as a pedal held still resends */
    }
    print_message("the pedal's value seen %d times on its way to +10 dB\n", between);
    assert_true(between > 0);
    assert_float_equal(get(&f, "tone", "gain_db"), 10.0f, 1e-6);
    /* CC 60 is halfway between heel 20 and toe 100: 0 dB once settled */
    for (int i = 0; i < 300 && fabsf(get(&f, "tone", "gain_db")) > 1e-3f; i++) cc(&f, 2, 11, 60);
    assert_float_equal(get(&f, "tone", "gain_db"), 0.0f, 2e-3);
    teardown(&f);
}

/* Program Changes into a setlist while a sine plays: each lands on its slot,
 * and the switches (prebuilt neighbours, crossfaded) neither click nor gap.
 * Reference, as in test_rig_session.c: a sine of amplitude A, frequency f
 * through rigs of gain at most G changes by at most A 2 pi f / fs G per
 * sample; a step beyond 1.25x that is a click. */
static void program_changes_switch_rigs_without_a_click(void **state)
{
    (void)state;
    const char *rigs[3] = {"/tmp/pt-midi-pc-a.yaml", "/tmp/pt-midi-pc-b.yaml", "/tmp/pt-midi-pc-c.yaml"};
    const char *bodies[3] = {
        "version: 1\nname: A\nchain:\n  - {id: vol, type: level, params: {gain_db: 0}}\n"
        "  - {id: tone, type: eq, params: {shape: peak, freq_hz: 800, gain_db: 6, q: 0.7}}\n",
        "version: 1\nname: B\nchain:\n  - {id: vol, type: level, params: {gain_db: -6}}\n"
        "  - {id: tone, type: eq, params: {shape: lowpass, freq_hz: 2000}}\n",
        "version: 1\nname: C\nchain:\n  - {id: vol, type: level, params: {gain_db: -12}}\n"};
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(rigs[i], "w");
        fputs(bodies[i], f);
        fclose(f);
    }
    FILE *f = fopen("/tmp/pt-midi-pc-set.yaml", "w");
    fprintf(f, "version: 1\nname: PC\nrigs: [%s, %s, %s]\n", rigs[0], rigs[1], rigs[2]);
    fclose(f);
    pt_error err = {0};
    pt_engine_config ec = {.rate = 48000, .max_frames = 64};
    pt_engine *e = pt_engine_create(&ec, &err);
    pt_session *s = pt_session_create(e, NULL, &err);
    pt_diags d;
    pt_diags_init(&d);
    assert_int_equal(pt_session_load(s, "/tmp/pt-midi-pc-set.yaml", &d), 0);
    pt_midi *m = pt_midi_create(s, NULL, &d);
    assert_int_equal(pt_midi_start(m, &err), 0);
    const double A = 0.25, fr = 220, fs = 48000;
    double bound = A * 2 * M_PI * fr / fs * pow(10, 6.0 / 20) * 1.25, worst = 0, prev = 0;
    int zeros = 0, worst_zeros = 0, sent_at = -1, program = -1;
    const int order[] = {1, 2, 1, 0, 2}; /* neighbours, and one jump of two */
    float x[64], l[64], r[64];
    /* up to ~30 s for the five: a loaded machine runs the MIDI thread late */
    for (int b = 0, k = 0; b < 100000 && k <= 5; b++) {
        if (b % 10 == 0) pt_session_poll(s); /* builds the neighbours */
        if (sent_at < 0 && b > 100 && k < 5) {
            program = order[k++];
            unsigned char pc[2] = {0xC0, (unsigned char)program};
            pt_midi_host_in(m, pc, 2, 0, 0);
            sent_at = b;
        } else if (sent_at >= 0) {
            cJSON *st = pt_session_state(s);
            int slot = cJSON_GetObjectItem(st, "slot")->valueint;
            cJSON_Delete(st);
            if (slot == program) {
                print_message("PC %d reached slot %d after %d blocks of 64\n", program, slot, b - sent_at);
                sent_at = -1;
                if (k == 5) k = 6;
            }
        }
        for (int i = 0; i < 64; i++) x[i] = (float)(A * sin(2 * M_PI * fr * (b * 64 + i) / fs));
        pt_engine_process(e, x, l, r, 64);
        for (int i = 0; i < 64; i++) {
            if (b > 10) {
                worst = fmax(worst, fabs(l[i] - prev));
                zeros = l[i] == 0.0f ? zeros + 1 : 0;
                worst_zeros = zeros > worst_zeros ? zeros : worst_zeros;
            }
            prev = l[i];
        }
        struct timespec ts = {0, 300000};
        nanosleep(&ts, NULL);
    }
    print_message("largest step %.5f (bound %.5f), longest zero run %d\n", worst, bound, worst_zeros);
    assert_int_equal(sent_at, -1); /* every PC reached its slot */
    assert_true(worst <= bound);
    assert_true(worst_zeros <= 2);
    pt_midi_destroy(m);
    pt_session_destroy(s);
    pt_engine_destroy(e);
    pt_diags_free(&d);
    for (int i = 0; i < 3; i++) unlink(rigs[i]);
    unlink("/tmp/pt-midi-pc-set.yaml");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(problems_at_exact_positions),
        cmocka_unit_test(curves_follow_their_formulas),
        cmocka_unit_test(rig_over_setlist_over_global),
        cmocka_unit_test(mappings_survive_save_and_load),
        cmocka_unit_test(learn_stores_the_mapping_in_the_saved_rig),
        cmocka_unit_test(soft_takeover_waits_for_the_control),
        cmocka_unit_test(momentary_bypass_and_smoothed_pedal),
        cmocka_unit_test(program_changes_switch_rigs_without_a_click),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
