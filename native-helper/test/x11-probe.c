/* Test-only X client for native-helper/test/session-blanker.test.ts: what other clients of
 * the session can do while the blanker is up. Never installed (test-only-builds/).
 *
 *   x11-probe grab            try XGrabKeyboard and XGrabPointer once on the root window,
 *                             print `keyboard=<status> pointer=<status>`, let go, exit 0
 *   x11-probe hold            hold both grabs (a stand-in for an open menu): print `held`,
 *                             keep them until stdin closes, print `released`, exit 0
 *   x11-probe raise           map a normal (managed) white window covering the screen and
 *                             XRaiseWindow it; print `raised` once it is on top, then
 *                             `above <id> <ms>` when another window is above it again (or
 *                             `still-on-top` after 3 s); exit 0
 *   x11-probe terminal        a stand-in for a terminal under the blanker: a window with the
 *                             input focus; print `focused`, then for each line on stdin
 *                             `type <n>` send n key presses through XTest (the real input path,
 *                             which honours grabs) and print `keys <received so far>`;
 *                             `focus` takes the input focus back (print `focused`)
 *   x11-probe break-actions   give KP_Divide's Ctrl+Alt level the action of the XKB option
 *                             grab:break_actions (XF86Ungrab: the server drops every grab);
 *                             print `installed`
 *   x11-probe break-grabs     the same, then press Ctrl+Alt+KP_Divide through XTEST; print
 *                             `sent`
 *   x11-probe forge <id>      XSendEvent a forged UnmapNotify, then DestroyNotify, of window
 *                             <id> to the root's SubstructureNotify listeners; print `forged`
 *
 * Statuses: GrabSuccess, AlreadyGrabbed, GrabInvalidTime, GrabNotViewable, GrabFrozen. */
#define _GNU_SOURCE
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/XKBlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *status_name(int status) {
  static const char *const names[] = {"GrabSuccess", "AlreadyGrabbed", "GrabInvalidTime",
                                      "GrabNotViewable", "GrabFrozen"};
  return status >= 0 && status <= 4 ? names[status] : "unknown";
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int quiet_error(Display *dpy, XErrorEvent *e) {
  (void)dpy;
  (void)e;
  return 0;
}

static int grab(Display *dpy, Window root, int *keyboard, int *pointer) {
  *keyboard = XGrabKeyboard(dpy, root, False, GrabModeAsync, GrabModeAsync, CurrentTime);
  *pointer = XGrabPointer(dpy, root, False, ButtonPressMask, GrabModeAsync, GrabModeAsync, None,
                          None, CurrentTime);
  return *keyboard == GrabSuccess && *pointer == GrabSuccess;
}

static Window top_child(Display *dpy, Window root) {
  Window r, parent, *children = NULL, top = None;
  unsigned n = 0;
  if (XQueryTree(dpy, root, &r, &parent, &children, &n) && n > 0) {
    /* Children are listed bottom to top; only viewable ones can hide anything. */
    for (unsigned i = n; i-- > 0 && top == None;) {
      XWindowAttributes a;
      if (XGetWindowAttributes(dpy, children[i], &a) && a.map_state == IsViewable)
        top = children[i];
    }
  }
  if (children) XFree(children);
  return top;
}

static Window white_window(Display *dpy, Window root, long mask) {
  int screen = DefaultScreen(dpy);
  Window w = XCreateSimpleWindow(dpy, root, 0, 0, (unsigned)DisplayWidth(dpy, screen),
                                 (unsigned)DisplayHeight(dpy, screen), 0, 0,
                                 WhitePixel(dpy, screen));
  XSelectInput(dpy, w, mask);
  XMapRaised(dpy, w);
  XEvent ev;
  do XWindowEvent(dpy, w, StructureNotifyMask, &ev);
  while (ev.type != MapNotify);
  return w;
}

static int covers_screen(Display *dpy, Window w) {
  XWindowAttributes a;
  int screen = DefaultScreen(dpy);
  return XGetWindowAttributes(dpy, w, &a) && a.map_state == IsViewable && a.x <= 0 &&
         a.y <= 0 && a.x + a.width >= DisplayWidth(dpy, screen) &&
         a.y + a.height >= DisplayHeight(dpy, screen);
}

int main(int argc, char **argv) {
  if (argc == 3 && (strcmp(argv[1], "unmap") == 0 || strcmp(argv[1], "shrink") == 0)) {
    Display *dpy = XOpenDisplay(NULL);
    if (!dpy) return 1;
    XSetErrorHandler(quiet_error);
    Window w = (Window)strtoul(argv[2], NULL, 16);
    /* With the server grabbed no other client runs: the attack is seen to take effect before
     * the blanker can react. */
    XGrabServer(dpy);
    if (argv[1][0] == 'u') XUnmapWindow(dpy, w);
    else XMoveResizeWindow(dpy, w, 10, 10, 100, 100);
    if (covers_screen(dpy, w)) {
      printf("attack-failed\n");
      return 1;
    }
    XUngrabServer(dpy);
    XSync(dpy, False);
    long start = now_ms();
    for (long end = start + 2000; now_ms() < end;) {
      if (covers_screen(dpy, w)) {
        printf("restored %ld\n", now_ms() - start);
        return 0;
      }
      struct timespec pause = {0, 2 * 1000000L};
      nanosleep(&pause, NULL);
    }
    printf("not-restored\n");
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "forge") == 0) {
    Display *dpy = XOpenDisplay(NULL);
    if (!dpy) return 1;
    XSetErrorHandler(quiet_error);
    Window root = DefaultRootWindow(dpy), w = (Window)strtoul(argv[2], NULL, 16);
    XEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.xunmap.type = UnmapNotify;
    ev.xunmap.event = root;
    ev.xunmap.window = w;
    XSendEvent(dpy, root, False, SubstructureNotifyMask, &ev);
    memset(&ev, 0, sizeof ev);
    ev.xdestroywindow.type = DestroyNotify;
    ev.xdestroywindow.event = root;
    ev.xdestroywindow.window = w;
    XSendEvent(dpy, root, False, SubstructureNotifyMask, &ev);
    XSync(dpy, False);
    printf("forged\n");
    XCloseDisplay(dpy);
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: x11-probe grab|hold|raise|terminal|break-grabs|unmap <id>|shrink <id>|"
                    "forge <id>\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  Display *dpy = XOpenDisplay(NULL);
  if (!dpy) {
    fprintf(stderr, "x11-probe: cannot open the display\n");
    return 1;
  }
  XSetErrorHandler(quiet_error);
  Window root = DefaultRootWindow(dpy);
  int keyboard, pointer;

  if (strcmp(argv[1], "grab") == 0) {
    grab(dpy, root, &keyboard, &pointer);
    printf("keyboard=%s pointer=%s\n", status_name(keyboard), status_name(pointer));
  } else if (strcmp(argv[1], "hold") == 0) {
    if (!grab(dpy, root, &keyboard, &pointer)) {
      printf("not-held keyboard=%s pointer=%s\n", status_name(keyboard), status_name(pointer));
      return 1;
    }
    XSync(dpy, False);
    printf("held\n");
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
    }
    XUngrabKeyboard(dpy, CurrentTime);
    XUngrabPointer(dpy, CurrentTime);
    XSync(dpy, False);
    printf("released\n");
  } else if (strcmp(argv[1], "raise") == 0) {
    /* Mapped and raised with the server grabbed (no other client runs meanwhile), so that it
     * is seen on top before the blanker can react; then timed from the ungrab. */
    XGrabServer(dpy);
    Window w = white_window(dpy, root, StructureNotifyMask);
    XRaiseWindow(dpy, w);
    if (top_child(dpy, root) != w) {
      printf("never-on-top\n");
      return 1;
    }
    XUngrabServer(dpy);
    XSync(dpy, False);
    long start = now_ms();
    printf("raised\n");
    for (long end = now_ms() + 3000; now_ms() < end;) {
      Window top = top_child(dpy, root);
      if (top != w) {
        printf("above 0x%lx %ld\n", (unsigned long)top, now_ms() - start);
        return 0;
      }
      struct timespec pause = {0, 2 * 1000000L};
      nanosleep(&pause, NULL);
    }
    printf("still-on-top\n");
  } else if (strcmp(argv[1], "terminal") == 0) {
    int xtest_event, xtest_error, major, minor;
    if (!XTestQueryExtension(dpy, &xtest_event, &xtest_error, &major, &minor)) {
      fprintf(stderr, "x11-probe: no XTEST extension\n");
      return 1;
    }
    Window w = white_window(dpy, root, StructureNotifyMask | KeyPressMask);
    XSetInputFocus(dpy, w, RevertToParent, CurrentTime);
    XSync(dpy, False);
    printf("focused\n");
    KeyCode a = XKeysymToKeycode(dpy, XK_a);
    long received = 0;
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
      if (strcmp(line, "focus\n") == 0) { /* what a window manager's focus change does */
        XSetInputFocus(dpy, w, RevertToParent, CurrentTime);
        XSync(dpy, False);
        printf("focused\n");
        continue;
      }
      int n = 0;
      if (sscanf(line, "type %d", &n) != 1) continue;
      for (int i = 0; i < n; i++) {
        XTestFakeKeyEvent(dpy, a, True, CurrentTime);
        XTestFakeKeyEvent(dpy, a, False, CurrentTime);
      }
      XSync(dpy, False);
      /* Give the server time to deliver, then count what reached this window. */
      struct timespec pause = {0, 200 * 1000000L};
      nanosleep(&pause, NULL);
      XEvent ev;
      while (XCheckWindowEvent(dpy, w, KeyPressMask, &ev)) received++;
      printf("keys %ld\n", received);
    }
  } else if (strcmp(argv[1], "break-grabs") == 0 || strcmp(argv[1], "break-actions") == 0) {
    int xtest_event, xtest_error, major, minor;
    if (!XTestQueryExtension(dpy, &xtest_event, &xtest_error, &major, &minor)) {
      fprintf(stderr, "x11-probe: no XTEST extension\n");
      return 1;
    }
    /* What grab:break_actions compiles to (compat/xfree86 "grab_break": XF86_Ungrab →
     * Private(type=0x86, data="Ungrab")), set on KP_Divide's Ctrl+Alt level directly: this
     * Xvfb drops that interpret when it loads a keymap compiled by names (setxkbmap), but it
     * honours the action itself. */
    KeyCode kpdv = XKeysymToKeycode(dpy, XK_KP_Divide);
    XkbDescPtr xkb = XkbGetMap(dpy, XkbAllClientInfoMask | XkbAllServerInfoMask, XkbUseCoreKbd);
    if (!xkb || !kpdv) {
      fprintf(stderr, "x11-probe: no XKB map\n");
      return 1;
    }
    int width = XkbKeyNumSyms(xkb, kpdv);
    XkbAction *acts = XkbResizeKeyActions(xkb, kpdv, width);
    if (!acts || width < 5) {
      fprintf(stderr, "x11-probe: KP_Divide has %d levels\n", width);
      return 1;
    }
    for (int i = 0; i < width; i++) acts[i].type = XkbSA_NoAction;
    acts[4].any.type = XkbSA_XFree86Private;
    memcpy(acts[4].any.data, "Ungrab", 6);
    xkb->server->explicit[kpdv] |= XkbExplicitInterpretMask;
    XkbMapChangesRec changes;
    memset(&changes, 0, sizeof changes);
    changes.changed = XkbKeyActionsMask | XkbExplicitComponentsMask;
    changes.first_key_act = changes.first_key_explicit = kpdv;
    changes.num_key_acts = changes.num_key_explicit = 1;
    if (!XkbChangeMap(dpy, xkb, &changes)) {
      fprintf(stderr, "x11-probe: XkbChangeMap failed\n");
      return 1;
    }
    XSync(dpy, False);
    if (argv[1][6] == 'a') {
      printf("installed\n");
      XCloseDisplay(dpy);
      return 0;
    }
    KeyCode keys[] = {XKeysymToKeycode(dpy, XK_Control_L), XKeysymToKeycode(dpy, XK_Alt_L),
                      XKeysymToKeycode(dpy, XK_KP_Divide)};
    for (int i = 0; i < 3; i++) XTestFakeKeyEvent(dpy, keys[i], True, CurrentTime);
    for (int i = 3; i-- > 0;) XTestFakeKeyEvent(dpy, keys[i], False, CurrentTime);
    XSync(dpy, False);
    printf("sent\n");
  } else {
    fprintf(stderr, "x11-probe: unknown command %s\n", argv[1]);
    return 2;
  }
  XCloseDisplay(dpy);
  return 0;
}
