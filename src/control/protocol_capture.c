/* protocol_capture.c — the capture_* commands (see protocol_capture.h). */
#include "protocol_capture.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_job.h"

typedef struct creq {
    const char *cmd;
    const cJSON *msg;
    char *err;
    size_t err_size;
} creq;

static int refuse(creq *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int refuse(creq *r, const char *fmt, ...)
{
    int n = snprintf(r->err, r->err_size, "%s: ", r->cmd);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < r->err_size) vsnprintf(r->err + n, r->err_size - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int refuse_err(creq *r, const pt_error *e)
{
    char buf[1024];
    pt_error_format(e, buf, sizeof buf);
    return refuse(r, "%s", buf[0] ? buf : "failed (no reason given)");
}

/* A printable string of 1..max bytes; 1 present, 0 absent, -1 wrong. */
static int get_text(creq *r, const char *key, size_t max, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->msg, key);
    if (!v) return 0;
    if (!cJSON_IsString(v) || !v->valuestring) return refuse(r, "'%s' must be a string", key);
    size_t n = strnlen(v->valuestring, max + 1);
    if (n == 0) return refuse(r, "'%s' is empty", key);
    if (n > max) return refuse(r, "'%s' is too long (at most %zu bytes)", key, max);
    for (const unsigned char *p = (const unsigned char *)v->valuestring; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return refuse(r, "'%s' contains control characters", key);
    *out = v->valuestring;
    return 1;
}

/* One of `choices` (NULL-terminated). */
static int get_choice(creq *r, const char *key, const char *const *choices, const char **out)
{
    const char *s = NULL;
    int got = get_text(r, key, 32, &s);
    if (got <= 0) return got;
    for (int i = 0; choices[i]; i++)
        if (!strcmp(s, choices[i])) return *out = choices[i], 1;
    char list[256] = "";
    for (int i = 0; choices[i]; i++) {
        strncat(list, choices[i], sizeof list - strlen(list) - 3);
        if (choices[i + 1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    return refuse(r, "'%s' must be one of %s, not '%.32s'", key, list, s);
}

static int get_number(creq *r, const char *key, double lo, double hi, bool integer, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->msg, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return refuse(r, "'%s' must be a finite number", key);
    double d = v->valuedouble;
    if (integer && d != floor(d)) return refuse(r, "'%s' must be a whole number", key);
    if (d < lo || d > hi) return refuse(r, "'%s' = %g is out of range %g .. %g", key, d, lo, hi);
    *out = d;
    return 1;
}

static int get_flag(creq *r, const char *key, bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->msg, key);
    if (!v) return 0;
    if (!cJSON_IsBool(v)) return refuse(r, "'%s' must be true or false", key);
    *out = cJSON_IsTrue(v);
    return 1;
}

static int clone_rig(pt_rig *rig, void *user)
{
    *(pt_rig **)user = rig ? pt_rig_clone(rig) : NULL;
    return 0;
}

/* capture_check / capture_record {source, device, input, output, gain_db, full} */
static int take(creq *r, pt_session *s, bool check_only)
{
    static const char *const sources[] = {"engine", "rig", "jack", "portaudio", NULL};
    pt_capture_take_opts o = {.source = NULL, .check_only = check_only};
    if (get_choice(r, "source", sources, &o.source) < 0 || get_text(r, "device", 255, &o.device) < 0 ||
        get_text(r, "input", 255, &o.input) < 0 || get_text(r, "output", 255, &o.output) < 0 ||
        get_number(r, "gain_db", -60, 0, false, &o.gain_db) < 0 || get_flag(r, "full", &o.full) < 0)
        return -1;
    if (!o.source) return refuse(r, "'source' is missing (engine, rig, jack or portaudio)");
    if (o.device && strcmp(o.source, "portaudio")) return refuse(r, "'device' goes with portaudio, not %s", o.source);
    if ((o.input || o.output) && strcmp(o.source, "jack"))
        return refuse(r, "'input' and 'output' (JACK ports) go with jack, not %s", o.source);
    if (!strcmp(o.source, "rig")) {
        /* a private copy, made under the session's lock; built on the job's thread */
        pt_session_with_rig(s, clone_rig, &o.rig);
        o.rate = pt_engine_rate(pt_session_engine(s));
    } else if (!strcmp(o.source, "engine")) {
        o.engine = pt_session_engine(s);
        o.rate = pt_engine_rate(o.engine);
    }
    pt_error err = {0};
    if (pt_capture_job_take(pt_session_capture(s), &o, &err)) return refuse_err(r, &err);
    return 0;
}

/* capture_train {arch, epochs, threads, seed, max_batches, name, gear} */
static int train(creq *r, pt_session *s)
{
    static const char *const archs[] = {"nano", "feather", "lite", "standard", "lstm", NULL};
    pt_capture_train_opts o = {.arch = "standard", .epochs = 100, .threads = 2};
    double epochs = o.epochs, threads = o.threads, seed = 0, max_batches = 0;
    if (get_choice(r, "arch", archs, &o.arch) < 0 || get_number(r, "epochs", 1, 10000, true, &epochs) < 0 ||
        get_number(r, "threads", 1, 64, true, &threads) < 0 || get_number(r, "seed", 0, 4294967295.0, true, &seed) < 0 ||
        get_number(r, "max_batches", 0, 1e9, true, &max_batches) < 0 || get_text(r, "name", 120, &o.name) < 0 ||
        get_text(r, "gear", 120, &o.gear) < 0)
        return -1;
    o.epochs = (int)epochs;
    o.threads = (int)threads;
    o.seed = (unsigned long)seed;
    o.max_batches = (long)max_batches;
    pt_error err = {0};
    if (pt_capture_job_train(pt_session_capture(s), &o, &err)) return refuse_err(r, &err);
    return 0;
}

static int save(creq *r, pt_session *s, cJSON *reply)
{
    const char *path = NULL;
    int got = get_text(r, "path", 512, &path);
    if (got < 0) return -1;
    if (!got) return refuse(r, "'path' is missing (models/NAME.nam)");
    pt_error err = {0};
    if (pt_capture_job_save(pt_session_capture(s), pt_session_library(s), path, &err)) return refuse_err(r, &err);
    cJSON_AddStringToObject(reply, "path", path);
    return 0;
}

static int audio(creq *r, pt_session *s, cJSON *reply)
{
    static const char *const which[] = {"recording", "model", NULL};
    const char *w = NULL;
    double seconds = 3;
    if (get_choice(r, "which", which, &w) < 0 || get_number(r, "seconds", 0.1, 5, false, &seconds) < 0) return -1;
    if (!w) return refuse(r, "'which' is missing (recording or model)");
    pt_error err = {0};
    char *pcm = pt_capture_job_audio(pt_session_capture(s), w, seconds, &err);
    if (!pcm) return refuse_err(r, &err);
    cJSON_AddStringToObject(reply, "which", w);
    cJSON_AddNumberToObject(reply, "rate", 48000);
    cJSON_AddStringToObject(reply, "format", "s16le");
    cJSON_AddStringToObject(reply, "pcm", pcm);
    free(pcm);
    return 0;
}

int pt_protocol_capture(pt_session *s, const char *cmd, const cJSON *msg, cJSON *reply, char *err,
                        size_t err_size)
{
    creq r = {cmd, msg, err, err_size};
    pt_capture_job *j = pt_session_capture(s);
    if (!j) return refuse(&r, "out of memory");
    int rc;
    if (!strcmp(cmd, "capture_check")) rc = take(&r, s, true);
    else if (!strcmp(cmd, "capture_record")) rc = take(&r, s, false);
    else if (!strcmp(cmd, "capture_train")) rc = train(&r, s);
    else if (!strcmp(cmd, "capture_save")) rc = save(&r, s, reply);
    else if (!strcmp(cmd, "capture_audio")) return audio(&r, s, reply);
    else if (!strcmp(cmd, "capture_ports")) {
        cJSON_AddItemToObject(reply, "ports", pt_capture_ports_json());
        return 0;
    }
    else if (!strcmp(cmd, "capture_cancel")) {
        pt_error e = {0};
        rc = pt_capture_job_cancel(j, &e) ? refuse_err(&r, &e) : 0;
    } else if (!strcmp(cmd, "capture_status")) rc = 0;
    else return refuse(&r, "not a capture command");
    if (rc) return rc;
    cJSON_AddItemToObject(reply, "capture", pt_capture_job_json(j));
    return 0;
}
