/* calibrate.c — see calibrate.h. */
#include "calibrate.h"

#include <math.h>
#include <stdio.h>

/* Below this nothing was played (or the interface is off): no trim is set. */
#define SILENT_DBFS (-60.0)

float pt_calibration_trim_for(float peak)
{
    double db = PT_CALIBRATE_TARGET_DBFS - 20.0 * log10(fmax((double)peak, 1e-9));
    db = fmin(24.0, fmax(-24.0, db));
    return (float)(round(db * 10.0) / 10.0);
}

void pt_calibration_start(pt_calibration *c, pt_engine *e, double now_s, double seconds)
{
    pt_engine_take_input_max(e); /* forget what came before */
    c->state = PT_CAL_LISTENING;
    c->seconds = seconds;
    c->until = now_s + seconds;
    c->peak = 0.0f;
    snprintf(c->message, sizeof c->message, "play your hardest for %.0f s", seconds);
}

int pt_calibration_poll(pt_calibration *c, pt_engine *e, double now_s)
{
    if (c->state != PT_CAL_LISTENING) return 0;
    float p = pt_engine_take_input_max(e);
    if (p > c->peak) c->peak = p;
    if (now_s < c->until) return 0;
    c->peak_db = (float)(20.0 * log10(fmax((double)c->peak, 1e-9)));
    if (c->peak_db < SILENT_DBFS) {
        c->state = PT_CAL_FAILED;
        snprintf(c->message, sizeof c->message,
                 "no signal at the input (peak %.1f dBFS): check the cable, the interface's input "
                 "and its gain, then try again",
                 (double)c->peak_db);
        return -1;
    }
    c->trim_db = pt_calibration_trim_for(c->peak);
    c->state = PT_CAL_DONE;
    snprintf(c->message, sizeof c->message,
             "input peak %.1f dBFS: input trim set to %+.1f dB (your hardest playing now peaks at "
             "%.0f dBFS)%s",
             (double)c->peak_db, (double)c->trim_db,
             (double)(c->peak_db + c->trim_db),
             c->peak_db > -1.0f ? "; the interface itself is near clipping: turn its input gain down" : "");
    return 1;
}

cJSON *pt_calibration_json(const pt_calibration *c)
{
    static const char *const names[] = {"idle", "listening", "done", "failed"};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "state", names[c->state]);
    cJSON_AddStringToObject(j, "message", c->message);
    cJSON_AddNumberToObject(j, "target_dbfs", PT_CALIBRATE_TARGET_DBFS);
    /* to 0.1 dB, as shown: 14.4, not 14.399999618530273 */
    if (c->state == PT_CAL_DONE || c->state == PT_CAL_FAILED)
        cJSON_AddNumberToObject(j, "peak_dbfs", round(c->peak_db * 10.0) / 10.0);
    if (c->state == PT_CAL_DONE) cJSON_AddNumberToObject(j, "input_trim_db", round(c->trim_db * 10.0) / 10.0);
    return j;
}
