/* modulation.c — note divisions of the shared tempo (see modulation.h). */
#include "modulation.h"

#include <stddef.h>

#include "../core/node.h"

const char *const pt_division_names[] = {
    "1/1",  "1/2",  "1/4",   "1/8",   "1/16",  "1/32",  /* plain */
    "1/2d", "1/4d", "1/8d",  "1/16d",                   /* dotted */
    "1/2t", "1/4t", "1/8t",  "1/16t", "1/32t",          /* triplet */
    NULL};

const char *const pt_lfo_shape_names[] = {"sine", "triangle", "square", NULL};

static const double beats[PT_DIVISIONS] = {
    4.0, 2.0, 1.0, 0.5, 0.25, 0.125,
    3.0, 1.5, 0.75, 0.375,
    4.0 / 3.0, 2.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0, 1.0 / 12.0,
};

/* RT */
double pt_division_beats(int division)
{
    if (division < 0 || division >= PT_DIVISIONS) division = PT_DIVISION_QUARTER;
    return beats[division];
}

/* RT */
double pt_division_seconds(int division)
{
    return pt_division_beats(division) * 60.0 / (double)pt_tempo_bpm();
}
