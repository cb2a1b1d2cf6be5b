/* rtcheck.h — the audio-thread trap's counters (see trap.c). */
#ifndef PT_RTCHECK_H
#define PT_RTCHECK_H

int pt_rtcheck_violations(void);
const char *pt_rtcheck_first(void);
void pt_rtcheck_clear(void);

#endif
