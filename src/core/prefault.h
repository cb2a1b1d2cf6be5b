/* prefault.h — map the process's code before the audio thread needs it.
 *
 * A page of a library's code is mapped into the process the first time any
 * thread runs it. Code that runs rarely — libm's underflow path, reached
 * only when a circuit's exponential underflows on a loud note — would then
 * page-fault on the audio thread, in the middle of a block, long after
 * start-up (found with rt_swap_stress and perf; docs/RELIABILITY.md). This
 * reads one byte of every page of every loaded object's executable segments
 * (the program and its libraries; segments over 16 MiB, such as a browser
 * engine's, are left alone), so those pages are mapped once, here. */
#ifndef PT_PREFAULT_H
#define PT_PREFAULT_H

#include <stddef.h>

/* Off the audio thread (pt_engine_create calls it). Returns the pages read. */
size_t pt_prefault_code(void);

#endif
