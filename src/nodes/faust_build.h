/* faust_build.h — a Faust .dsp file turned into a node type: compiled with
 * the `faust` compiler to C, with the system C compiler to a shared object,
 * cached by content hash and loaded with dlopen, all off the audio thread
 * (faust_build.c). The node itself is faust.c. */
#ifndef PT_FAUST_BUILD_H
#define PT_FAUST_BUILD_H

#include "../core/node.h"

/* The C interface the generated code calls back (Faust's UIGlue and
 * MetaGlue, declared here in our own words: the layout is Faust's ABI). The
 * same text is given to the C compiler ahead of the generated file. */
#define PT_FAUST_GLUE(X)                                                                      \
    X(typedef struct UIGlue {                                                                 \
        void *uiInterface;                                                                    \
        void (*openTabBox)(void *ui, const char *label);                                      \
        void (*openHorizontalBox)(void *ui, const char *label);                               \
        void (*openVerticalBox)(void *ui, const char *label);                                 \
        void (*closeBox)(void *ui);                                                           \
        void (*addButton)(void *ui, const char *label, float *zone);                          \
        void (*addCheckButton)(void *ui, const char *label, float *zone);                     \
        void (*addVerticalSlider)(void *ui, const char *label, float *zone, float init,       \
                                  float min, float max, float step);                          \
        void (*addHorizontalSlider)(void *ui, const char *label, float *zone, float init,     \
                                    float min, float max, float step);                        \
        void (*addNumEntry)(void *ui, const char *label, float *zone, float init, float min,  \
                            float max, float step);                                           \
        void (*addHorizontalBargraph)(void *ui, const char *label, float *zone, float min,    \
                                      float max);                                             \
        void (*addVerticalBargraph)(void *ui, const char *label, float *zone, float min,      \
                                    float max);                                               \
        void (*addSoundfile)(void *ui, const char *label, const char *url, void **sf);        \
        void (*declare)(void *ui, float *zone, const char *key, const char *value);           \
    } UIGlue;                                                                                 \
    typedef struct MetaGlue {                                                                 \
        void *metaInterface;                                                                  \
        void (*declare)(void *m, const char *key, const char *value);                         \
    } MetaGlue;)

#define PT_FAUST_DECL(...) __VA_ARGS__
PT_FAUST_GLUE(PT_FAUST_DECL)

/* One compiled program: its library's entry points and its controls. */
typedef struct pt_faust_prog {
    pt_node_type type; /* first: the node reads the program from n->type->impl */
    char *path;
    unsigned long long hash;
    void *dl;
    void *(*new_dsp)(void);
    void (*delete_dsp)(void *dsp);
    void (*init)(void *dsp, int rate);
    void (*clear)(void *dsp);
    int (*num_inputs)(void *dsp);
    int (*num_outputs)(void *dsp);
    void (*build_ui)(void *dsp, UIGlue *ui);
    void (*compute)(void *dsp, int frames, float **in, float **out);
    int n_in, n_out;
} pt_faust_prog;

/* The node type of the .dsp at `path` as its content is now (interned by
 * path and content hash). NULL with a message: the file's line for a compile
 * error, the compiler's absence, a C compiler error. */
const pt_node_type *pt_faust_specialize(const pt_node_type *generic, const char *path, pt_error *err);

/* Walk a dsp's controls in order: params (sliders, buttons, entries) and
 * readouts (bargraphs); each callback gets the zone. */
typedef struct pt_faust_walk {
    void (*param)(void *user, const char *label, float *zone, float init, float min, float max,
                  float step, pt_taper taper, const char *unit);
    void (*readout)(void *user, const char *label, float *zone, const char *unit);
    void *user;
} pt_faust_walk;
void pt_faust_walk_ui(const pt_faust_prog *p, void *dsp, const pt_faust_walk *w);

#endif
