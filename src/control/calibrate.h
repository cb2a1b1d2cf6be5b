/* calibrate.h — the input-level helper: "play your hardest for 5 s".
 *
 * While it listens, the engine holds the input's highest sample (exact, no
 * meter fall-off: pt_engine_take_input_max). At the end the rig's input trim
 * is set so that this peak lands at PT_CALIBRATE_TARGET_DBFS: the level of
 * the bundled DI clip (assets/di, peak -9.2 dBFS), on which the factory rigs
 * are levelled (tests/e2e/test_levels.py). Control thread only. */
#ifndef PT_CALIBRATE_H
#define PT_CALIBRATE_H

#include <cjson/cJSON.h>

#include "core/engine.h"

#define PT_CALIBRATE_TARGET_DBFS (-9.0)
#define PT_CALIBRATE_MIN_S 1.0
#define PT_CALIBRATE_MAX_S 30.0

typedef enum { PT_CAL_IDLE, PT_CAL_LISTENING, PT_CAL_DONE, PT_CAL_FAILED } pt_cal_state;

typedef struct pt_calibration {
    pt_cal_state state;
    double until, seconds;
    float peak;          /* highest input sample so far */
    float peak_db;       /* when done: that peak in dBFS */
    float trim_db;       /* when done: the input trim it calls for */
    char message[256];   /* one line for people */
} pt_calibration;

/* The trim that brings `peak` (linear) to the target, rounded to 0.1 dB and
 * kept within the rig's -24 .. +24 dB. */
float pt_calibration_trim_for(float peak);

void pt_calibration_start(pt_calibration *c, pt_engine *e, double now_s, double seconds);
/* Returns 1 when the measurement ended with a usable level (c->trim_db is
 * to be applied), -1 when it ended without one, 0 otherwise. */
int pt_calibration_poll(pt_calibration *c, pt_engine *e, double now_s);
cJSON *pt_calibration_json(const pt_calibration *c);

#endif
