/* dynlib.h — the real-time I/O libraries (JACK, PortAudio with ALSA,
 * rtmidi) loaded when first used instead of when pytone starts.
 *
 * Why: `pytone render` and `pytone bench` never open a device, yet mapping
 * and relocating libjack, libportaudio, libasound, librtmidi and the C++
 * runtime it pulls in was about 10 ms of every start (half the start-up
 * cost; issue 17 item 5). The code that uses them includes this header
 * after the library's own: each call then goes through a table filled by
 * dlopen/dlsym (RTLD_NOW: every symbol bound before the audio thread runs)
 * on first use. Use pt_dyn_*_available() at the entry points: it loads the
 * library and says why not when it cannot; the table's pointers are NULL
 * then. Loading is once per process (pthread_once); afterwards a call costs
 * one atomic load and an indirect call, and may be made on the audio thread. */
#ifndef PT_DYNLIB_H
#define PT_DYNLIB_H

#include <stdatomic.h>
#include <stdbool.h>

/* Load (once) and tell whether it worked; `why` (may be NULL) gets dlerror's
 * text when not. */
bool pt_dyn_jack_available(char *why, int why_size);
bool pt_dyn_portaudio_available(char *why, int why_size);
bool pt_dyn_rtmidi_available(char *why, int why_size);
bool pt_dyn_lilv_available(char *why, int why_size);

#define PT_DYN_ACCESSOR(lib)                                                                  \
    extern struct pt_dyn_##lib##_api pt_dyn_##lib##_table;                                   \
    extern atomic_int pt_dyn_##lib##_state;                                                    \
    void pt_dyn_##lib##_load(void);                                                            \
    /* RT once loaded */                                                                      \
    static inline const struct pt_dyn_##lib##_api *pt_dyn_##lib(void)                          \
    {                                                                                          \
        if (atomic_load_explicit(&pt_dyn_##lib##_state, memory_order_acquire) == 0)           \
            pt_dyn_##lib##_load();                                                            \
        return &pt_dyn_##lib##_table;                                                          \
    }

#define PT_DYN_FIELD(f) __typeof__(&f) f;

#ifdef __jack_h__ /* <jack/jack.h> included: its calls go through the table */
#include <jack/midiport.h>
#define PT_DYN_JACK_FUNCS(X)                                                                   \
    X(jack_client_open) X(jack_client_close) X(jack_port_register) X(jack_port_get_buffer)    \
    X(jack_set_info_function) X(jack_set_error_function) X(jack_port_set_latency_range)       \
    X(jack_port_name) X(jack_port_get_latency_range) X(jack_get_ports) X(jack_free)           \
    X(jack_connect) X(jack_get_sample_rate) X(jack_get_buffer_size) X(jack_set_xrun_callback) \
    X(jack_set_thread_init_callback) X(jack_set_process_callback)                             \
    X(jack_set_latency_callback) X(jack_recompute_total_latencies) X(jack_on_shutdown)        \
    X(jack_midi_get_event_count) X(jack_midi_event_write) X(jack_midi_event_get)              \
    X(jack_midi_clear_buffer) X(jack_last_frame_time) X(jack_get_client_name)                 \
    X(jack_deactivate) X(jack_activate)
struct pt_dyn_jack_api {
    PT_DYN_JACK_FUNCS(PT_DYN_FIELD)
};
PT_DYN_ACCESSOR(jack)
#ifndef PT_DYNLIB_IMPL
#define jack_client_open (pt_dyn_jack()->jack_client_open)
#define jack_client_close (pt_dyn_jack()->jack_client_close)
#define jack_port_register (pt_dyn_jack()->jack_port_register)
#define jack_port_get_buffer (pt_dyn_jack()->jack_port_get_buffer)
#define jack_set_info_function (pt_dyn_jack()->jack_set_info_function)
#define jack_set_error_function (pt_dyn_jack()->jack_set_error_function)
#define jack_port_set_latency_range (pt_dyn_jack()->jack_port_set_latency_range)
#define jack_port_name (pt_dyn_jack()->jack_port_name)
#define jack_port_get_latency_range (pt_dyn_jack()->jack_port_get_latency_range)
#define jack_get_ports (pt_dyn_jack()->jack_get_ports)
#define jack_free (pt_dyn_jack()->jack_free)
#define jack_connect (pt_dyn_jack()->jack_connect)
#define jack_get_sample_rate (pt_dyn_jack()->jack_get_sample_rate)
#define jack_get_buffer_size (pt_dyn_jack()->jack_get_buffer_size)
#define jack_set_xrun_callback (pt_dyn_jack()->jack_set_xrun_callback)
#define jack_set_thread_init_callback (pt_dyn_jack()->jack_set_thread_init_callback)
#define jack_set_process_callback (pt_dyn_jack()->jack_set_process_callback)
#define jack_set_latency_callback (pt_dyn_jack()->jack_set_latency_callback)
#define jack_recompute_total_latencies (pt_dyn_jack()->jack_recompute_total_latencies)
#define jack_on_shutdown (pt_dyn_jack()->jack_on_shutdown)
#define jack_midi_get_event_count (pt_dyn_jack()->jack_midi_get_event_count)
#define jack_midi_event_write (pt_dyn_jack()->jack_midi_event_write)
#define jack_midi_event_get (pt_dyn_jack()->jack_midi_event_get)
#define jack_midi_clear_buffer (pt_dyn_jack()->jack_midi_clear_buffer)
#define jack_last_frame_time (pt_dyn_jack()->jack_last_frame_time)
#define jack_get_client_name (pt_dyn_jack()->jack_get_client_name)
#define jack_deactivate (pt_dyn_jack()->jack_deactivate)
#define jack_activate (pt_dyn_jack()->jack_activate)
#endif
#endif

#ifdef PORTAUDIO_H /* <portaudio.h> */
#define PT_DYN_PORTAUDIO_FUNCS(X)                                                              \
    X(Pa_CloseStream) X(Pa_GetDefaultInputDevice) X(Pa_GetDefaultOutputDevice)                \
    X(Pa_GetDeviceCount) X(Pa_GetDeviceInfo) X(Pa_GetErrorText) X(Pa_GetHostApiInfo)          \
    X(Pa_Initialize) X(Pa_IsStreamActive) X(Pa_OpenStream) X(Pa_SetStreamFinishedCallback)    \
    X(Pa_StartStream) X(Pa_StopStream) X(Pa_Terminate)
struct pt_dyn_portaudio_api {
    PT_DYN_PORTAUDIO_FUNCS(PT_DYN_FIELD)
};
PT_DYN_ACCESSOR(portaudio)
#ifndef PT_DYNLIB_IMPL
#define Pa_CloseStream (pt_dyn_portaudio()->Pa_CloseStream)
#define Pa_GetDefaultInputDevice (pt_dyn_portaudio()->Pa_GetDefaultInputDevice)
#define Pa_GetDefaultOutputDevice (pt_dyn_portaudio()->Pa_GetDefaultOutputDevice)
#define Pa_GetDeviceCount (pt_dyn_portaudio()->Pa_GetDeviceCount)
#define Pa_GetDeviceInfo (pt_dyn_portaudio()->Pa_GetDeviceInfo)
#define Pa_GetErrorText (pt_dyn_portaudio()->Pa_GetErrorText)
#define Pa_GetHostApiInfo (pt_dyn_portaudio()->Pa_GetHostApiInfo)
#define Pa_Initialize (pt_dyn_portaudio()->Pa_Initialize)
#define Pa_IsStreamActive (pt_dyn_portaudio()->Pa_IsStreamActive)
#define Pa_OpenStream (pt_dyn_portaudio()->Pa_OpenStream)
#define Pa_SetStreamFinishedCallback (pt_dyn_portaudio()->Pa_SetStreamFinishedCallback)
#define Pa_StartStream (pt_dyn_portaudio()->Pa_StartStream)
#define Pa_StopStream (pt_dyn_portaudio()->Pa_StopStream)
#define Pa_Terminate (pt_dyn_portaudio()->Pa_Terminate)
#endif
#endif

#ifdef __ALSA_ERROR_H /* <alsa/asoundlib.h>: one call, loaded with PortAudio */
struct pt_dyn_alsa_api {
    PT_DYN_FIELD(snd_lib_error_set_handler)
};
PT_DYN_ACCESSOR(alsa)
#ifndef PT_DYNLIB_IMPL
#define snd_lib_error_set_handler (pt_dyn_alsa()->snd_lib_error_set_handler)
#endif
#endif

#ifdef RTMIDI_C_H /* <rtmidi_c.h> */
#define PT_DYN_RTMIDI_FUNCS(X)                                                                 \
    X(rtmidi_close_port) X(rtmidi_get_port_count) X(rtmidi_get_port_name)                     \
    X(rtmidi_in_cancel_callback) X(rtmidi_in_create) X(rtmidi_in_free)                        \
    X(rtmidi_in_ignore_types) X(rtmidi_in_set_callback) X(rtmidi_open_port)                   \
    X(rtmidi_out_create) X(rtmidi_out_free) X(rtmidi_out_send_message)
struct pt_dyn_rtmidi_api {
    PT_DYN_RTMIDI_FUNCS(PT_DYN_FIELD)
};
PT_DYN_ACCESSOR(rtmidi)
#ifndef PT_DYNLIB_IMPL
#define rtmidi_close_port (pt_dyn_rtmidi()->rtmidi_close_port)
#define rtmidi_get_port_count (pt_dyn_rtmidi()->rtmidi_get_port_count)
#define rtmidi_get_port_name (pt_dyn_rtmidi()->rtmidi_get_port_name)
#define rtmidi_in_cancel_callback (pt_dyn_rtmidi()->rtmidi_in_cancel_callback)
#define rtmidi_in_create (pt_dyn_rtmidi()->rtmidi_in_create)
#define rtmidi_in_free (pt_dyn_rtmidi()->rtmidi_in_free)
#define rtmidi_in_ignore_types (pt_dyn_rtmidi()->rtmidi_in_ignore_types)
#define rtmidi_in_set_callback (pt_dyn_rtmidi()->rtmidi_in_set_callback)
#define rtmidi_open_port (pt_dyn_rtmidi()->rtmidi_open_port)
#define rtmidi_out_create (pt_dyn_rtmidi()->rtmidi_out_create)
#define rtmidi_out_free (pt_dyn_rtmidi()->rtmidi_out_free)
#define rtmidi_out_send_message (pt_dyn_rtmidi()->rtmidi_out_send_message)
#endif
#endif

#ifdef LILV_LILV_H /* <lilv/lilv.h>: the LV2 host (src/nodes/lv2*.c), loaded when a rig first
                      names a plugin or `pytone plugins` runs; its inline lilv_instance_*
                      calls go straight to the plugin and need no table */
#define PT_DYN_LILV_FUNCS(X) \
    X(lilv_world_new) X(lilv_world_free) X(lilv_world_load_all)                               \
    X(lilv_world_get_all_plugins) X(lilv_world_get) X(lilv_new_uri) X(lilv_node_free)         \
    X(lilv_node_as_string) X(lilv_node_as_uri) X(lilv_node_as_float) X(lilv_node_is_uri)      \
    X(lilv_plugins_get_by_uri) X(lilv_plugins_begin) X(lilv_plugins_next)                     \
    X(lilv_plugins_is_end) X(lilv_plugins_get) X(lilv_plugins_size) X(lilv_plugin_get_uri)    \
    X(lilv_plugin_get_name) X(lilv_plugin_get_num_ports) X(lilv_plugin_get_port_by_index)     \
    X(lilv_plugin_get_required_features) X(lilv_plugin_instantiate)                           \
    X(lilv_plugin_has_extension_data) X(lilv_plugin_get_class)                                \
    X(lilv_plugin_class_get_label) X(lilv_instance_free) X(lilv_port_is_a)                    \
    X(lilv_port_get_symbol) X(lilv_port_get_name) X(lilv_port_get_range)                      \
    X(lilv_port_has_property) X(lilv_port_get_scale_points) X(lilv_port_get)                  \
    X(lilv_scale_points_begin) X(lilv_scale_points_next) X(lilv_scale_points_is_end)          \
    X(lilv_scale_points_get) X(lilv_scale_points_free) X(lilv_scale_points_size) X(lilv_scale_point_get_label)          \
    X(lilv_scale_point_get_value) X(lilv_nodes_begin) X(lilv_nodes_next)                      \
    X(lilv_nodes_is_end) X(lilv_nodes_get) X(lilv_nodes_free) X(lilv_nodes_size)
struct pt_dyn_lilv_api {
    PT_DYN_LILV_FUNCS(PT_DYN_FIELD)
};
PT_DYN_ACCESSOR(lilv)
#ifndef PT_DYNLIB_IMPL
#define lilv_world_new (pt_dyn_lilv()->lilv_world_new)
#define lilv_world_free (pt_dyn_lilv()->lilv_world_free)
#define lilv_world_load_all (pt_dyn_lilv()->lilv_world_load_all)
#define lilv_world_get_all_plugins (pt_dyn_lilv()->lilv_world_get_all_plugins)
#define lilv_world_get (pt_dyn_lilv()->lilv_world_get)
#define lilv_new_uri (pt_dyn_lilv()->lilv_new_uri)
#define lilv_node_free (pt_dyn_lilv()->lilv_node_free)
#define lilv_node_as_string (pt_dyn_lilv()->lilv_node_as_string)
#define lilv_node_as_uri (pt_dyn_lilv()->lilv_node_as_uri)
#define lilv_node_as_float (pt_dyn_lilv()->lilv_node_as_float)
#define lilv_node_is_uri (pt_dyn_lilv()->lilv_node_is_uri)
#define lilv_plugins_get_by_uri (pt_dyn_lilv()->lilv_plugins_get_by_uri)
#define lilv_plugins_begin (pt_dyn_lilv()->lilv_plugins_begin)
#define lilv_plugins_next (pt_dyn_lilv()->lilv_plugins_next)
#define lilv_plugins_is_end (pt_dyn_lilv()->lilv_plugins_is_end)
#define lilv_plugins_get (pt_dyn_lilv()->lilv_plugins_get)
#define lilv_plugins_size (pt_dyn_lilv()->lilv_plugins_size)
#define lilv_plugin_get_uri (pt_dyn_lilv()->lilv_plugin_get_uri)
#define lilv_plugin_get_name (pt_dyn_lilv()->lilv_plugin_get_name)
#define lilv_plugin_get_num_ports (pt_dyn_lilv()->lilv_plugin_get_num_ports)
#define lilv_plugin_get_port_by_index (pt_dyn_lilv()->lilv_plugin_get_port_by_index)
#define lilv_plugin_get_required_features (pt_dyn_lilv()->lilv_plugin_get_required_features)
#define lilv_plugin_instantiate (pt_dyn_lilv()->lilv_plugin_instantiate)
#define lilv_plugin_has_extension_data (pt_dyn_lilv()->lilv_plugin_has_extension_data)
#define lilv_plugin_get_class (pt_dyn_lilv()->lilv_plugin_get_class)
#define lilv_plugin_class_get_label (pt_dyn_lilv()->lilv_plugin_class_get_label)
#define lilv_instance_free (pt_dyn_lilv()->lilv_instance_free)
#define lilv_port_is_a (pt_dyn_lilv()->lilv_port_is_a)
#define lilv_port_get_symbol (pt_dyn_lilv()->lilv_port_get_symbol)
#define lilv_port_get_name (pt_dyn_lilv()->lilv_port_get_name)
#define lilv_port_get_range (pt_dyn_lilv()->lilv_port_get_range)
#define lilv_port_has_property (pt_dyn_lilv()->lilv_port_has_property)
#define lilv_port_get_scale_points (pt_dyn_lilv()->lilv_port_get_scale_points)
#define lilv_port_get (pt_dyn_lilv()->lilv_port_get)
#define lilv_scale_points_begin (pt_dyn_lilv()->lilv_scale_points_begin)
#define lilv_scale_points_next (pt_dyn_lilv()->lilv_scale_points_next)
#define lilv_scale_points_is_end (pt_dyn_lilv()->lilv_scale_points_is_end)
#define lilv_scale_points_get (pt_dyn_lilv()->lilv_scale_points_get)
#define lilv_scale_points_free (pt_dyn_lilv()->lilv_scale_points_free)
#define lilv_scale_points_size (pt_dyn_lilv()->lilv_scale_points_size)
#define lilv_scale_point_get_label (pt_dyn_lilv()->lilv_scale_point_get_label)
#define lilv_scale_point_get_value (pt_dyn_lilv()->lilv_scale_point_get_value)
#define lilv_nodes_begin (pt_dyn_lilv()->lilv_nodes_begin)
#define lilv_nodes_next (pt_dyn_lilv()->lilv_nodes_next)
#define lilv_nodes_is_end (pt_dyn_lilv()->lilv_nodes_is_end)
#define lilv_nodes_get (pt_dyn_lilv()->lilv_nodes_get)
#define lilv_nodes_free (pt_dyn_lilv()->lilv_nodes_free)
#define lilv_nodes_size (pt_dyn_lilv()->lilv_nodes_size)
#endif
#endif

#endif
