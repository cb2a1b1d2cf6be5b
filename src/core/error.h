/* error.h — errors are values.
 *
 * Every function that can fail off the audio thread takes a pt_error* and
 * returns a non-zero code on failure, after filling the struct with where the
 * problem is (file, line, column when known) and what it is, in one sentence a
 * user can act on. Library code never prints and never exits; the CLI decides.
 */
#ifndef PT_ERROR_H
#define PT_ERROR_H

#include <stdio.h>

enum {
    PT_OK = 0,
    PT_ERR = 1,          /* generic failure, message says what */
    PT_ERR_INVALID = 2,  /* bad input from the user: file, value, option */
    PT_ERR_NOMEM = 3,
    PT_ERR_IO = 4,
    PT_ERR_UNSUPPORTED = 5
};

typedef struct pt_error {
    int code;
    char file[512];  /* "" when not about a file */
    int line, col;   /* 1-based; 0 when unknown */
    char msg[1024];
} pt_error;

void pt_error_clear(pt_error *err);

/* Fill err (may be NULL) and return code. file may be NULL. */
/* Case-insensitive Levenshtein distance between two names, for "did you
 * mean" suggestions (99 when either is over 63 bytes). */
int pt_edit_distance(const char *a, const char *b);

int pt_error_set(pt_error *err, int code, const char *file, int line, int col,
                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* "file:line:col: msg", "file: msg" or "msg", as compilers print them. */
void pt_error_format(const pt_error *err, char *buf, size_t size);
void pt_error_print(const pt_error *err, FILE *out);

#endif
