/* app_webkit.c — pytone-window: the native window of `pytone app`, a GTK 3
 * window holding one WebKitWebView on http://127.0.0.1:PORT/, the engine's
 * web UI. It is a program of its own, built only when WebKitGTK's development
 * package is there (libwebkit2gtk-4.1-dev, or 4.0), so that `pytone` itself
 * never maps GTK and WebKit (nor locks them into memory with mlockall). It
 * talks to the engine only as a browser would, over HTTP and the WebSocket;
 * `pytone app` starts it (see open_ui.c) and watches it.
 *
 * Exit codes: 0 the window was closed (or SIGTERM/SIGINT/SIGHUP asked it to
 * close), 1 no display could be opened, 2 bad arguments. */
#include <gtk/gtk.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <webkit2/webkit2.h>

#define WINDOW_WIDTH_PX 1280
#define WINDOW_HEIGHT_PX 800

static const char *usage =
    "usage: pytone-window [--port N] [--title TEXT] [--engine-pid PID]\n"
    "\n"
    "The native window of `pytone app`: the web UI of the engine on\n"
    "http://127.0.0.1:N/ (default 8750). Started by `pytone app`; see its --help.\n"
    "--engine-pid PID: the engine that started this window (its parent); the\n"
    "window closes if that process ends, so it never outlives its engine.\n"
    "Keys: Ctrl+Q or Ctrl+W closes, F11 full screen, Ctrl+plus/minus/0 zoom.\n";

typedef struct app {
    GtkWidget *window;
    WebKitWebView *view;
    char origin[64]; /* "http://127.0.0.1:PORT" */
    char url[80];    /* origin + "/" */
    gboolean fullscreen;
    int reloads;     /* after the web process died */
} app;

/* Is uri on the engine's own origin? Only those pages belong in the window. */
static gboolean same_origin(const app *a, const char *uri)
{
    size_t n = strlen(a->origin);
    return uri && !strncmp(uri, a->origin, n) && (uri[n] == '/' || uri[n] == 0 || uri[n] == '?' || uri[n] == '#');
}

/* Links away from the engine (a node's documentation, say) go to the
 * default browser; the window stays on the UI. */
static gboolean on_decide_policy(WebKitWebView *view, WebKitPolicyDecision *decision,
                                 WebKitPolicyDecisionType type, gpointer user)
{
    app *a = user;
    if (type != WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION &&
        type != WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION)
        return FALSE;
    WebKitNavigationAction *action =
        webkit_navigation_policy_decision_get_navigation_action(WEBKIT_NAVIGATION_POLICY_DECISION(decision));
    const char *uri = webkit_uri_request_get_uri(webkit_navigation_action_get_request(action));
    if (type == WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION && same_origin(a, uri)) return FALSE;
    if (uri && (!strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8))) {
        GError *err = NULL;
        if (!g_app_info_launch_default_for_uri(uri, NULL, &err)) {
            fprintf(stderr, "pytone app: could not open %s in a browser: %s\n", uri, err->message);
            g_error_free(err);
        }
    }
    webkit_policy_decision_ignore(decision);
    return TRUE;
}

/* The engine is not up (yet): WebKit shows its error page; say it here too. */
static gboolean on_load_failed(WebKitWebView *view, WebKitLoadEvent event, gchar *uri, GError *error,
                               gpointer user)
{
    fprintf(stderr, "pytone app: could not load %s: %s\n", uri, error->message);
    return FALSE;
}

/* A crashed web process leaves a blank view: load the UI again (a few times). */
static void on_web_process_terminated(WebKitWebView *view, WebKitWebProcessTerminationReason reason,
                                      gpointer user)
{
    app *a = user;
    fprintf(stderr, "pytone app: the page's web process %s\n",
            reason == WEBKIT_WEB_PROCESS_EXCEEDED_MEMORY_LIMIT ? "ran out of memory" : "crashed");
    if (a->reloads++ < 3) webkit_web_view_load_uri(view, a->url);
}

/* The page asked to close (window.close()). */
static void on_page_close(WebKitWebView *view, gpointer user)
{
    gtk_widget_destroy(((app *)user)->window);
}

static gboolean on_key(GtkWidget *w, GdkEventKey *ev, gpointer user)
{
    app *a = user;
    guint mods = ev->state & gtk_accelerator_get_default_mod_mask();
    if (mods == GDK_CONTROL_MASK && (ev->keyval == GDK_KEY_q || ev->keyval == GDK_KEY_w)) {
        gtk_widget_destroy(a->window);
        return TRUE;
    }
    if (mods == 0 && ev->keyval == GDK_KEY_F11) {
        if (a->fullscreen) gtk_window_unfullscreen(GTK_WINDOW(a->window));
        else gtk_window_fullscreen(GTK_WINDOW(a->window));
        a->fullscreen = !a->fullscreen;
        return TRUE;
    }
    if (mods == GDK_CONTROL_MASK || mods == (GDK_CONTROL_MASK | GDK_SHIFT_MASK)) {
        double zoom = webkit_web_view_get_zoom_level(a->view);
        if (ev->keyval == GDK_KEY_plus || ev->keyval == GDK_KEY_equal || ev->keyval == GDK_KEY_KP_Add)
            zoom *= 1.1;
        else if (ev->keyval == GDK_KEY_minus || ev->keyval == GDK_KEY_KP_Subtract)
            zoom /= 1.1;
        else if (ev->keyval == GDK_KEY_0 || ev->keyval == GDK_KEY_KP_0)
            zoom = 1.0;
        else
            return FALSE;
        webkit_web_view_set_zoom_level(a->view, zoom < 0.3 ? 0.3 : zoom > 3.0 ? 3.0 : zoom);
        return TRUE;
    }
    return FALSE; /* everything else is the page's (Ctrl+Z, Ctrl+S, ...) */
}

/* SIGTERM, SIGINT, SIGHUP: close the window as if its close button was pressed. */
static gboolean on_signal(gpointer user)
{
    app *a = user;
    if (a->window) gtk_widget_destroy(a->window);
    return G_SOURCE_CONTINUE;
}

static void on_destroy(GtkWidget *w, gpointer user)
{
    ((app *)user)->window = NULL;
    gtk_main_quit();
}

/* 1280 x 800, or 90 % of the monitor's work area where that is smaller. */
static void default_size(GtkWindow *window, int *w, int *h)
{
    *w = WINDOW_WIDTH_PX, *h = WINDOW_HEIGHT_PX;
    GdkDisplay *display = gdk_display_get_default();
    GdkMonitor *monitor = display ? gdk_display_get_primary_monitor(display) : NULL;
    if (!monitor && display && gdk_display_get_n_monitors(display) > 0)
        monitor = gdk_display_get_monitor(display, 0);
    if (!monitor) return;
    GdkRectangle area;
    gdk_monitor_get_workarea(monitor, &area);
    if (area.width > 0 && *w > area.width * 9 / 10) *w = area.width * 9 / 10;
    if (area.height > 0 && *h > area.height * 9 / 10) *h = area.height * 9 / 10;
}

int main(int argc, char **argv)
{
    long port = 8750, engine_pid = 0;
    const char *title = "PyTone FX";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return fputs(usage, stdout), 0;
        if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            char *end;
            port = strtol(argv[++i], &end, 10);
            if (*end || port < 1 || port > 65535) {
                fprintf(stderr, "pytone-window: --port takes 1 to 65535, not '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--engine-pid") && i + 1 < argc) {
            char *end;
            engine_pid = strtol(argv[++i], &end, 10);
            if (*end || engine_pid < 1) {
                fprintf(stderr, "pytone-window: --engine-pid takes a process id, not '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--title") && i + 1 < argc) {
            title = argv[++i];
        } else {
            fprintf(stderr, "pytone-window: unknown argument '%s'\n%s", argv[i], usage);
            return 2;
        }
    }
    /* an engine that dies (even by SIGKILL) takes its window with it: the
     * kernel sends SIGTERM, which closes the window as below */
    if (engine_pid) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != (pid_t)engine_pid) return 0; /* it ended before the line above */
    }
    app a = {0};
    snprintf(a.origin, sizeof a.origin, "http://127.0.0.1:%ld", port);
    snprintf(a.url, sizeof a.url, "%s/", a.origin);

    if (!gtk_init_check(NULL, NULL)) {
        const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
        fprintf(stderr, "pytone app: cannot open a window: %s; open %s in a browser instead "
                        "(`pytone ui --port %ld`)\n",
                (x && x[0]) || (wl && wl[0]) ? "the display could not be opened"
                                             : "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)",
                a.url, port);
        return 1;
    }

    /* nothing from the web is kept: no disk cache or cookies, the UI is
     * served by the engine on this machine */
    WebKitWebsiteDataManager *data = webkit_website_data_manager_new_ephemeral();
    WebKitWebContext *context = webkit_web_context_new_with_website_data_manager(data);
    webkit_web_context_set_cache_model(context, WEBKIT_CACHE_MODEL_DOCUMENT_VIEWER);
    a.view = WEBKIT_WEB_VIEW(webkit_web_view_new_with_context(context));
    g_object_unref(data);
    g_object_unref(context);
    WebKitSettings *settings = webkit_web_view_get_settings(a.view);
    const char *devtools = getenv("PYTONE_APP_DEVTOOLS");
    webkit_settings_set_enable_developer_extras(settings, devtools && devtools[0] == '1');

    a.window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
    gtk_window_set_title(GTK_WINDOW(a.window), title);
    gtk_window_set_icon_name(GTK_WINDOW(a.window), "audio-x-generic");
    int w, h;
    default_size(GTK_WINDOW(a.window), &w, &h);
    gtk_window_set_default_size(GTK_WINDOW(a.window), w, h);
    gtk_container_add(GTK_CONTAINER(a.window), GTK_WIDGET(a.view));

    g_signal_connect(a.window, "destroy", G_CALLBACK(on_destroy), &a);
    g_signal_connect(a.window, "key-press-event", G_CALLBACK(on_key), &a);
    g_signal_connect(a.view, "decide-policy", G_CALLBACK(on_decide_policy), &a);
    g_signal_connect(a.view, "load-failed", G_CALLBACK(on_load_failed), &a);
    g_signal_connect(a.view, "web-process-terminated", G_CALLBACK(on_web_process_terminated), &a);
    g_signal_connect(a.view, "close", G_CALLBACK(on_page_close), &a);
    g_unix_signal_add(SIGTERM, on_signal, &a);
    g_unix_signal_add(SIGINT, on_signal, &a);
    g_unix_signal_add(SIGHUP, on_signal, &a);

    webkit_web_view_load_uri(a.view, a.url);
    gtk_widget_show_all(a.window);
    gtk_widget_grab_focus(GTK_WIDGET(a.view));
    gtk_main();
    return 0;
}
