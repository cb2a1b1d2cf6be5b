/* protocol_capture.h — the control protocol's capture_* commands (the web
 * UI's Capture page; docs/control-protocol.md, "Captures"): each message's
 * fields are checked here, then handed to the session's capture job
 * (capture_job.h), which works on a thread of its own; the reply comes at
 * once and the state's "capture" shows the progress. protocol.c's command
 * table names the fields each command takes (unknown and repeated fields
 * are refused there). Control threads only. */
#ifndef PT_PROTOCOL_CAPTURE_H
#define PT_PROTOCOL_CAPTURE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "session.h"

/* Run capture command `cmd` with message `msg`, adding its fields to
 * `reply`; on refusal returns -1 with the reason in err. */
int pt_protocol_capture(pt_session *s, const char *cmd, const cJSON *msg, cJSON *reply, char *err,
                        size_t err_size);

#endif
