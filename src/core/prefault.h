/* prefault.h — run libm's rare paths once, off the audio thread.
 *
 * A page of a library's code is mapped into the process the first time any
 * thread runs it. libm's underflow path (__math_check_uflow), reached only
 * when a circuit's exponential underflows on a loud passage, was first run
 * on the audio thread minutes into a run and page-faulted there (found with
 * rt_swap_stress and perf; docs/RELIABILITY.md). pt_engine_create calls this
 * to take those paths once: underflow, overflow, poles and invalid
 * arguments of the float and double exp, pow and log. (Mapping every
 * library's whole code instead kept the faults away too, but made the
 * soak's resident low-water mark wander by over 1 MB.) */
#ifndef PT_PREFAULT_H
#define PT_PREFAULT_H

/* Off the audio thread. */
void pt_prefault_code(void);

#endif
