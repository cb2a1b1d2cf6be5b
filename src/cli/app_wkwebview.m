/* app_wkwebview.m — pytone-window on macOS: the native window of `pytone
 * app`, a Cocoa window holding one WKWebView on http://127.0.0.1:PORT/, the
 * engine's web UI. The macOS twin of app_webkit.c (WebKitGTK): the same
 * arguments, exit codes and behaviour, so open_ui.c starts and watches
 * either alike. A program of its own, so that `pytone` never maps Cocoa or
 * WebKit; it talks to the engine only as a browser would, over HTTP and the
 * WebSocket. Built by CMake on macOS only (Objective-C, ARC); it is compiled
 * by the hosted macOS CI job (.github/workflows/platforms.yml), never on the
 * project's Linux machine.
 *
 * Exit codes: 0 the window was closed (or SIGTERM/SIGINT/SIGHUP asked it to
 * close, or the engine that started it ended), 2 bad arguments. */
#import <Cocoa/Cocoa.h>
#import <WebKit/WebKit.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WINDOW_WIDTH_PX 1280
#define WINDOW_HEIGHT_PX 800

static const char *usage =
    "usage: pytone-window [--port N] [--title TEXT] [--engine-pid PID]\n"
    "\n"
    "The native window of `pytone app`: the web UI of the engine on\n"
    "http://127.0.0.1:N/ (default 8750). Started by `pytone app`; see its --help.\n"
    "--engine-pid PID: the engine that started this window (its parent); the\n"
    "window closes if that process ends, so it never outlives its engine.\n"
    "Keys: Cmd+Q or Cmd+W closes, Ctrl+Cmd+F full screen, Cmd+plus/minus/0 zoom.\n";

@interface PTWindow : NSObject <NSApplicationDelegate, WKNavigationDelegate, WKUIDelegate>
@property(strong) NSWindow *window;
@property(strong) WKWebView *view;
@property(copy) NSString *origin; /* "http://127.0.0.1:PORT" */
@property(copy) NSURL *url;       /* origin + "/" */
@property(copy) NSString *title;
@property int reloads;            /* after the web process ended */
@end

@implementation PTWindow

/* Is u on the engine's own origin? Only those pages belong in the window. */
- (BOOL)sameOrigin:(NSURL *)u
{
    NSString *s = u.absoluteString;
    if (!s || ![s hasPrefix:self.origin]) return NO;
    if (s.length == self.origin.length) return YES;
    unichar c = [s characterAtIndex:self.origin.length];
    return c == '/' || c == '?' || c == '#';
}

/* 1280 x 800, or 90 % of the screen's visible area where that is smaller;
 * nothing from the web is kept (no disk cache or cookies: the UI is served
 * by the engine on this machine). */
- (void)applicationDidFinishLaunching:(NSNotification *)note
{
    NSRect area = NSScreen.mainScreen ? NSScreen.mainScreen.visibleFrame : NSMakeRect(0, 0, 1440, 900);
    CGFloat w = MIN(WINDOW_WIDTH_PX, area.size.width * 0.9);
    CGFloat h = MIN(WINDOW_HEIGHT_PX, area.size.height * 0.9);
    NSRect frame = NSMakeRect(0, 0, w, h);

    WKWebViewConfiguration *config = [[WKWebViewConfiguration alloc] init];
    config.websiteDataStore = [WKWebsiteDataStore nonPersistentDataStore];
    self.view = [[WKWebView alloc] initWithFrame:frame configuration:config];
    self.view.navigationDelegate = self;
    self.view.UIDelegate = self;
    self.view.allowsMagnification = YES;
    const char *devtools = getenv("PYTONE_APP_DEVTOOLS");
    if (devtools && devtools[0] == '1' && [self.view respondsToSelector:@selector(setInspectable:)])
        [self.view setValue:@YES forKey:@"inspectable"]; /* macOS 13.3 and later */

    NSWindowStyleMask style = NSWindowStyleMaskTitled | NSWindowStyleMaskClosable |
                              NSWindowStyleMaskMiniaturizable | NSWindowStyleMaskResizable;
    self.window = [[NSWindow alloc] initWithContentRect:frame
                                              styleMask:style
                                                backing:NSBackingStoreBuffered
                                                  defer:NO];
    self.window.releasedWhenClosed = NO;
    self.window.title = self.title;
    self.window.contentView = self.view;
    self.window.collectionBehavior |= NSWindowCollectionBehaviorFullScreenPrimary;
    [self.window center];

    [self.view loadRequest:[NSURLRequest requestWithURL:self.url]];
    [self.window makeKeyAndOrderFront:nil];
    [self.window makeFirstResponder:self.view];
    [NSApp activateIgnoringOtherApps:YES];
}

/* closing the window (its button, Cmd+W, the page's window.close()) ends
 * the program: exit code 0, which `pytone app` reads as "closed" */
- (BOOL)applicationShouldTerminateAfterLastWindowClosed:(NSApplication *)app
{
    return YES;
}

/* Links away from the engine (a node's documentation, say) and new windows
 * go to the default browser; the window stays on the UI. */
- (void)webView:(WKWebView *)view
    decidePolicyForNavigationAction:(WKNavigationAction *)action
                    decisionHandler:(void (^)(WKNavigationActionPolicy))decide
{
    NSURL *u = action.request.URL;
    BOOL new_window = action.targetFrame == nil;
    if (!new_window && ([self sameOrigin:u] || [u.scheme isEqualToString:@"about"])) {
        decide(WKNavigationActionPolicyAllow);
        return;
    }
    if ([u.scheme isEqualToString:@"http"] || [u.scheme isEqualToString:@"https"]) {
        if (![[NSWorkspace sharedWorkspace] openURL:u])
            fprintf(stderr, "pytone app: could not open %s in a browser\n", u.absoluteString.UTF8String);
    }
    decide(WKNavigationActionPolicyCancel);
}

/* The engine is not up (yet): say so; the page stays blank until a reload. */
- (void)webView:(WKWebView *)view
    didFailProvisionalNavigation:(WKNavigation *)navigation
                       withError:(NSError *)error
{
    fprintf(stderr, "pytone app: could not load %s: %s\n", self.url.absoluteString.UTF8String,
            error.localizedDescription.UTF8String);
}

- (void)webView:(WKWebView *)view didFailNavigation:(WKNavigation *)navigation withError:(NSError *)error
{
    fprintf(stderr, "pytone app: could not load %s: %s\n", self.url.absoluteString.UTF8String,
            error.localizedDescription.UTF8String);
}

/* A crashed web process leaves a blank view: load the UI again (a few times). */
- (void)webViewWebContentProcessDidTerminate:(WKWebView *)view
{
    fprintf(stderr, "pytone app: the page's web process ended\n");
    if (self.reloads++ < 3) [view loadRequest:[NSURLRequest requestWithURL:self.url]];
}

/* The page asked to close (window.close()). */
- (void)webViewDidClose:(WKWebView *)view
{
    [self.window close];
}

- (void)zoomTo:(CGFloat)z
{
    self.view.magnification = z < 0.3 ? 0.3 : z > 3.0 ? 3.0 : z;
}

- (void)zoomIn:(id)sender
{
    [self zoomTo:self.view.magnification * 1.1];
}

- (void)zoomOut:(id)sender
{
    [self zoomTo:self.view.magnification / 1.1];
}

- (void)zoomReset:(id)sender
{
    [self zoomTo:1.0];
}

@end

static NSMenuItem *menu_item(NSString *title, SEL action, NSString *key, NSEventModifierFlags mods, id target)
{
    NSMenuItem *item = [[NSMenuItem alloc] initWithTitle:title action:action keyEquivalent:key];
    item.keyEquivalentModifierMask = mods;
    item.target = target; /* nil: the first responder (the web view) */
    return item;
}

static void add_menu(NSMenu *bar, NSMenu *menu)
{
    NSMenuItem *top = [[NSMenuItem alloc] init];
    top.submenu = menu;
    [bar addItem:top];
}

/* The menu bar: without an Edit menu, Cmd+C/V/Z never reach the page. */
static void build_menus(PTWindow *w)
{
    const NSEventModifierFlags cmd = NSEventModifierFlagCommand;
    NSMenu *bar = [[NSMenu alloc] init];
    NSMenu *app = [[NSMenu alloc] initWithTitle:@"PyTone"];
    [app addItem:menu_item(@"Quit PyTone", @selector(terminate:), @"q", cmd, nil)];
    add_menu(bar, app);
    NSMenu *file = [[NSMenu alloc] initWithTitle:@"File"];
    [file addItem:menu_item(@"Close Window", @selector(performClose:), @"w", cmd, nil)];
    add_menu(bar, file);
    NSMenu *edit = [[NSMenu alloc] initWithTitle:@"Edit"];
    [edit addItem:menu_item(@"Undo", @selector(undo:), @"z", cmd, nil)];
    [edit addItem:menu_item(@"Redo", @selector(redo:), @"z", cmd | NSEventModifierFlagShift, nil)];
    [edit addItem:[NSMenuItem separatorItem]];
    [edit addItem:menu_item(@"Cut", @selector(cut:), @"x", cmd, nil)];
    [edit addItem:menu_item(@"Copy", @selector(copy:), @"c", cmd, nil)];
    [edit addItem:menu_item(@"Paste", @selector(paste:), @"v", cmd, nil)];
    [edit addItem:menu_item(@"Select All", @selector(selectAll:), @"a", cmd, nil)];
    add_menu(bar, edit);
    NSMenu *view = [[NSMenu alloc] initWithTitle:@"View"];
    [view addItem:menu_item(@"Zoom In", @selector(zoomIn:), @"=", cmd, w)];
    [view addItem:menu_item(@"Zoom In", @selector(zoomIn:), @"+", cmd, w)];
    [view addItem:menu_item(@"Zoom Out", @selector(zoomOut:), @"-", cmd, w)];
    [view addItem:menu_item(@"Actual Size", @selector(zoomReset:), @"0", cmd, w)];
    [view addItem:[NSMenuItem separatorItem]];
    [view addItem:menu_item(@"Enter Full Screen", @selector(toggleFullScreen:), @"f",
                            cmd | NSEventModifierFlagControl, nil)];
    add_menu(bar, view);
    NSApp.mainMenu = bar;
}

/* the dispatch sources live as long as the program */
static dispatch_source_t watch[4];

/* On the main queue: SIGTERM, SIGINT and SIGHUP close the window as its close
 * button would; so does the end of the engine that started it. */
static dispatch_source_t on_main(dispatch_source_type_t type, uintptr_t what, unsigned long mask)
{
    dispatch_source_t s = dispatch_source_create(type, what, mask, dispatch_get_main_queue());
    if (!s) return NULL;
    dispatch_source_set_event_handler(s, ^{
      [NSApp terminate:nil];
    });
    dispatch_resume(s);
    return s;
}

int main(int argc, char **argv)
{
    @autoreleasepool {
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

        PTWindow *w = [[PTWindow alloc] init];
        w.origin = [NSString stringWithFormat:@"http://127.0.0.1:%ld", port];
        w.url = [NSURL URLWithString:[w.origin stringByAppendingString:@"/"]];
        w.title = [NSString stringWithUTF8String:title] ?: @"PyTone FX";

        NSApplication *app = [NSApplication sharedApplication];
        [app setActivationPolicy:NSApplicationActivationPolicyRegular]; /* a Dock icon, and focus */
        app.delegate = w; /* weak: w lives until exit, in this scope */
        build_menus(w);

        const int signals[] = {SIGTERM, SIGINT, SIGHUP};
        for (int i = 0; i < 3; i++) {
            signal(signals[i], SIG_IGN); /* the dispatch source sees it instead */
            watch[i] = on_main(DISPATCH_SOURCE_TYPE_SIGNAL, (uintptr_t)signals[i], 0);
        }
        /* an engine that ends (even by SIGKILL) takes its window with it */
        if (engine_pid) {
            watch[3] = on_main(DISPATCH_SOURCE_TYPE_PROC, (uintptr_t)engine_pid, DISPATCH_PROC_EXIT);
            if (!watch[3] || getppid() != (pid_t)engine_pid) return 0; /* it ended already */
        }
        [app run];
    }
    return 0;
}
