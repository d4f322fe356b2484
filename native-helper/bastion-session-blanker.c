/* bastion-session-blanker: the blanker of the in-session locker (main/lock/README.md), run as
 * the person, in their X session, started detached by the locker and stopped by it (SIGTERM)
 * on logind's Unlock.
 *
 * One black, override-redirect window the size of the root window (no window manager manages,
 * moves or restacks it), raised again whenever anything is mapped or restacked above it or it
 * is obscured, resized with the root window (RandR sends ConfigureNotify on the root), mapped
 * again if unmapped and created again if destroyed (the old one destroyed first, should it
 * still exist). Structure events sent by other clients (XSendEvent: send_event set) are
 * ignored: only the server's own say what happened to the window. It grabs the keyboard and
 * the pointer (pointer confined to it, invisible cursor) so that keys typed at the session's
 * display reach no window under it; while another client holds a grab (an open menu), it
 * retries every 100 ms for as long as it runs. Grabs the server takes away (XKB's
 * grab:break_actions, Ctrl+Alt+KP_Divide) are taken again at once on FocusOut NotifyUngrab,
 * and every second anyway (re-grabbing what we hold is allowed and cheap). Every input event is
 * read and dropped: nothing is forwarded, logged or kept (the event is zeroed after each read).
 * The focus is set to its window with RevertToNone: if it is killed, keys go nowhere (not to
 * the window under the pointer) until the next blanker; on hide the focus is given back.
 *
 * stdout: one line `ready 0x<window> grabbed=<0|1>` once the window is mapped, painted (first
 * Expose, or EXPOSE_WAIT_MS without one) and covers the root window (after at most GRAB_WAIT_MS
 * of grab attempts), then `grabbed=<0|1>` whenever that changes (a loss made good within one
 * turn is still said: `grabbed=0` then `grabbed=1`). stderr: what went wrong, once per change,
 * and a warning when the keymap or the XKB options carry grab:break_actions.
 *
 * Reads no input but $DISPLAY (and $XAUTHORITY, through Xlib); takes no arguments; needs no
 * privilege. Exits 0 on SIGTERM or SIGINT (hide), 1 when the X connection ends (the session's
 * X server is gone). SIGHUP is ignored. No PR_SET_PDEATHSIG: the blanker outlives a locker
 * that dies while the session is locked (fail closed). SIGPIPE is ignored: a locker gone
 * (its end of stdout closed) must not kill the blanker when it reports a change. */
#define _GNU_SOURCE
#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define RETRY_MS 100        /* grab retries while not held */
#define GRAB_WAIT_MS 1000   /* how long `ready` waits for the grabs before saying grabbed=0 */
#define REASSERT_MS 1000    /* grabs taken again while believed held (see try_grabs) */
#define EXPOSE_WAIT_MS 2000 /* how long `ready` waits for the first Expose (see main) */
#define NAME "bastion-session-blanker"
#define INPUT_MASK                                                                               \
  (KeyPressMask | KeyReleaseMask | ButtonPressMask | ButtonReleaseMask | PointerMotionMask)

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig) {
  (void)sig;
  stop_requested = 1;
}

struct blanker {
  Display *dpy;
  Window root;
  Window win;
  Cursor cursor;
  int mapped;
  int exposed;                 /* the server asked us to paint (Expose) since the map */
  int keyboard, pointer;       /* grabs held */
  int keyboard_st, pointer_st; /* last grab statuses, to log each change once */
  int lost;                    /* a grab was taken from us since the last report */
  long last_grab;              /* when the grabs were last asserted (now_ms) */
  Window saved_focus;          /* the focus before we took it, given back on hide */
};

static const char *grab_status(int status) {
  switch (status) {
  case GrabSuccess: return "GrabSuccess";
  case AlreadyGrabbed: return "AlreadyGrabbed (another client holds a grab)";
  case GrabInvalidTime: return "GrabInvalidTime";
  case GrabNotViewable: return "GrabNotViewable";
  case GrabFrozen: return "GrabFrozen (another client froze the device)";
  default: return "unknown status";
  }
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Races with other clients (a window gone between an event and our request) are not fatal:
 * log and go on. Xlib's default handler would exit, uncovering the session. */
static int on_x_error(Display *dpy, XErrorEvent *e) {
  (void)dpy;
  fprintf(stderr, NAME ": X error %d on request %d.%d\n", e->error_code, e->request_code,
          e->minor_code);
  return 0;
}

static int on_x_io_error(Display *dpy) {
  (void)dpy;
  fprintf(stderr, NAME ": the X connection ended\n");
  _exit(1);
}

static void root_size(struct blanker *b, unsigned *width, unsigned *height) {
  XWindowAttributes root;
  if (!XGetWindowAttributes(b->dpy, b->root, &root)) {
    *width = (unsigned)DisplayWidth(b->dpy, DefaultScreen(b->dpy));
    *height = (unsigned)DisplayHeight(b->dpy, DefaultScreen(b->dpy));
    return;
  }
  *width = (unsigned)root.width;
  *height = (unsigned)root.height;
}

static void create_window(struct blanker *b) {
  /* A window of ours still there (the DestroyNotify that brought us here was not the server's
   * own) is not left behind: one blanker, one window. */
  XWindowAttributes old;
  if (b->win != None && XGetWindowAttributes(b->dpy, b->win, &old)) XDestroyWindow(b->dpy, b->win);
  unsigned width, height;
  root_size(b, &width, &height);
  XSetWindowAttributes a = {0};
  a.override_redirect = True;
  a.background_pixel = BlackPixel(b->dpy, DefaultScreen(b->dpy));
  a.cursor = b->cursor;
  a.event_mask = VisibilityChangeMask | FocusChangeMask | ExposureMask | EnterWindowMask |
                 LeaveWindowMask | INPUT_MASK;
  a.do_not_propagate_mask = INPUT_MASK;
  b->win = XCreateWindow(b->dpy, b->root, 0, 0, width, height, 0, CopyFromParent, InputOutput,
                         CopyFromParent,
                         CWOverrideRedirect | CWBackPixel | CWCursor | CWEventMask | CWDontPropagate,
                         &a);
  XStoreName(b->dpy, b->win, NAME);
  b->mapped = 0;
  b->exposed = 0;
  b->keyboard = b->pointer = 0;
  XMapRaised(b->dpy, b->win);
}

/* Its own geometry as the server has it: mapped, at the root's origin, at least its size. */
static int covers_root(struct blanker *b) {
  XWindowAttributes w;
  unsigned width, height;
  root_size(b, &width, &height);
  if (!XGetWindowAttributes(b->dpy, b->win, &w)) return 0;
  return w.map_state == IsViewable && w.x <= 0 && w.y <= 0 &&
         w.x + w.width + 2 * w.border_width >= (int)width &&
         w.y + w.height + 2 * w.border_width >= (int)height;
}

static void fit_to_root(struct blanker *b) {
  unsigned width, height;
  root_size(b, &width, &height);
  XMoveResizeWindow(b->dpy, b->win, 0, 0, width, height);
  XRaiseWindow(b->dpy, b->win);
}

/* Takes the grabs not held; with `all`, takes them again even when believed held. Grabbing
 * what this client already holds is allowed and cheap (the server replaces the grab; no focus
 * events, the window being the same), and it is the only way to be sure: a grab can be taken
 * away without telling us, e.g. XKB's `grab:break_actions` (Ctrl+Alt+KP_Divide: the server's
 * UngrabAllDevices) releases the pointer grab with no event to a window that already has the
 * pointer. The keyboard's loss does come as FocusOut (NotifyUngrab), handled in handle(). */
static void try_grabs(struct blanker *b, int all) {
  if (!b->mapped) return;
  if (all) b->last_grab = now_ms();
  if (all || !b->keyboard) {
    int st = XGrabKeyboard(b->dpy, b->win, False, GrabModeAsync, GrabModeAsync, CurrentTime);
    if (b->keyboard && st != GrabSuccess) b->lost = 1;
    b->keyboard = st == GrabSuccess;
    if (st != b->keyboard_st) fprintf(stderr, NAME ": keyboard grab: %s\n", grab_status(st));
    b->keyboard_st = st;
  }
  if (all || !b->pointer) {
    int st = XGrabPointer(b->dpy, b->win, False,
                          ButtonPressMask | ButtonReleaseMask | PointerMotionMask, GrabModeAsync,
                          GrabModeAsync, b->win, b->cursor, CurrentTime);
    if (b->pointer && st != GrabSuccess) b->lost = 1;
    b->pointer = st == GrabSuccess;
    if (st != b->pointer_st) fprintf(stderr, NAME ": pointer grab: %s\n", grab_status(st));
    b->pointer_st = st;
  }
}

/* The server took our grabs away (an XKB ungrab action, another client's XUngrab… cannot, but
 * the server can): say so, and take them again at once. */
static void grabs_lost(struct blanker *b, const char *why) {
  if (!b->keyboard && !b->pointer) return;
  fprintf(stderr, NAME ": grabs taken away (%s): grabbing again\n", why);
  b->keyboard = b->pointer = 0;
  b->lost = 1;
}

/* Our window with the focus: until the keyboard grab is held (or after the server breaks it),
 * keys at least come here. RevertToNone: should this window go (the blanker killed), the
 * focus becomes None and keys are discarded until the locker's next blanker takes it, rather
 * than reverting to the root (keys to whatever window is under the pointer). */
static void take_focus(struct blanker *b) {
  if (b->mapped) XSetInputFocus(b->dpy, b->win, RevertToNone, CurrentTime);
}

static void handle(struct blanker *b, const XEvent *ev) {
  /* Structure events sent by another client (XSendEvent) say nothing about the server's state:
   * a forged UnmapNotify or DestroyNotify must not make us drop the grabs we hold, nor create a
   * second window. The server's own events have send_event clear. */
  switch (ev->type) {
  case MapNotify:
  case UnmapNotify:
  case DestroyNotify:
  case ReparentNotify:
  case ConfigureNotify:
    if (ev->xany.send_event) return;
    break;
  default: break;
  }
  switch (ev->type) {
  case MapNotify: /* ours: grab now; anyone else's: it may be above us */
    if (ev->xmap.window == b->win) {
      b->mapped = 1;
      take_focus(b);
    } else {
      XRaiseWindow(b->dpy, b->win);
    }
    break;
  case UnmapNotify: /* another client unmapped us: the server released our grabs */
    if (ev->xunmap.window == b->win) {
      b->mapped = 0;
      b->exposed = 0;
      if (b->keyboard || b->pointer) b->lost = 1;
      b->keyboard = b->pointer = 0;
      XMapRaised(b->dpy, b->win);
    }
    break;
  case DestroyNotify: /* another client destroyed us */
    if (ev->xdestroywindow.window == b->win) {
      if (b->keyboard || b->pointer) b->lost = 1;
      create_window(b);
    }
    break;
  case ReparentNotify:
    if (ev->xreparent.window == b->win && ev->xreparent.parent != b->root)
      XReparentWindow(b->dpy, b->win, b->root, 0, 0);
    break;
  case ConfigureNotify: /* the root resized (RandR), us moved, or another window restacked */
    if (ev->xconfigure.window == b->root || ev->xconfigure.window == b->win) {
      /* The event's geometry could be forged (XSendEvent): ask the server instead. */
      if (!covers_root(b) && b->mapped) fit_to_root(b);
    } else {
      XRaiseWindow(b->dpy, b->win);
    }
    break;
  case VisibilityNotify:
    if (ev->xvisibility.state != VisibilityUnobscured) XRaiseWindow(b->dpy, b->win);
    break;
  case Expose:
    if (ev->xexpose.window == b->win && !ev->xany.send_event) b->exposed = 1;
    break;
  case FocusOut:
    if (ev->xfocus.window != b->win) break;
    /* NotifyUngrab: the keyboard grab we held ended without our XUngrabKeyboard (the server
     * broke it). NotifyWhileGrabbed/NotifyNormal: someone moved the focus away from us. */
    if (ev->xfocus.mode == NotifyUngrab) grabs_lost(b, "FocusOut NotifyUngrab");
    take_focus(b);
    break;
  case LeaveNotify:
  case EnterNotify:
    /* The pointer grab broken while the pointer was elsewhere than our window's own area. */
    if (ev->xcrossing.window == b->win && ev->xcrossing.mode == NotifyUngrab && b->pointer) {
      grabs_lost(b, "crossing NotifyUngrab");
    }
    break;
  default: /* key, button, motion: dropped */
    break;
  }
}

/* XKB's `grab:break_actions` option gives Ctrl+Alt+KP_Divide the XF86Ungrab action
 * (Private "Ungrab"; "ClsGrb" for XF86ClearGrab): the server then drops every grab, ours
 * included. We take them back within a turn of the loop (FocusOut NotifyUngrab) or within
 * REASSERT_MS, but a key typed in between reaches the focus (ours, or None): said on stderr so
 * the locker's log shows the weaker setup. Looked for in the option names the server
 * publishes (_XKB_RULES_NAMES) and in the keymap itself (any key with that action, whatever
 * set it). */
static int rules_name_break_actions(struct blanker *b) {
  Atom names = XInternAtom(b->dpy, "_XKB_RULES_NAMES", True);
  if (names == None) return 0;
  Atom type;
  int format, found = 0;
  unsigned long count, after;
  unsigned char *data = NULL;
  if (XGetWindowProperty(b->dpy, b->root, names, 0, 1024, False, AnyPropertyType, &type, &format,
                         &count, &after, &data) != Success || !data) {
    return 0;
  }
  /* Five NUL-separated strings: rules, model, layout, variant, options. */
  if (format == 8) {
    const char *p = (const char *)data, *end = (const char *)data + count;
    for (int field = 0; p < end; field++) {
      size_t n = strnlen(p, (size_t)(end - p));
      if (field == 4) {
        char options[1024];
        size_t m = n < sizeof options - 1 ? n : sizeof options - 1;
        memcpy(options, p, m);
        options[m] = 0;
        for (char *save = NULL, *opt = strtok_r(options, ",", &save); opt;
             opt = strtok_r(NULL, ",", &save))
          if (strcmp(opt, "grab:break_actions") == 0) found = 1;
      }
      p += n + 1;
    }
  }
  XFree(data);
  return found;
}

static int keymap_break_actions(struct blanker *b) {
  XkbDescPtr xkb = XkbGetMap(b->dpy, XkbKeySymsMask | XkbKeyTypesMask | XkbKeyActionsMask, XkbUseCoreKbd);
  if (!xkb) return 0;
  int found = 0;
  for (int kc = xkb->min_key_code; kc <= xkb->max_key_code && !found; kc++) {
    if (!XkbKeyHasActions(xkb, kc)) continue;
    XkbAction *acts = XkbKeyActionsPtr(xkb, kc);
    for (int i = 0; i < XkbKeyNumActions(xkb, kc) && !found; i++) {
      if (acts[i].type != XkbSA_XFree86Private) continue;
      char data[XkbAnyActionDataSize + 1];
      memcpy(data, acts[i].any.data, XkbAnyActionDataSize);
      data[XkbAnyActionDataSize] = 0;
      found = strcasecmp(data, "Ungrab") == 0 || strcasecmp(data, "ClsGrb") == 0;
    }
  }
  XkbFreeKeyboard(xkb, 0, True);
  return found;
}

static void warn_break_actions(struct blanker *b) {
  if (rules_name_break_actions(b) || keymap_break_actions(b)) {
    fprintf(stderr, NAME ": warning: XKB grab:break_actions is set (Ctrl+Alt+KP_Divide breaks "
                         "grabs): they are taken again within a second\n");
  }
}

static void restore_focus(struct blanker *b) {
  XWindowAttributes w;
  Window focus = None;
  int revert;
  XGetInputFocus(b->dpy, &focus, &revert);
  if (focus != b->win && focus != None) return; /* someone else has it: leave it */
  if (b->saved_focus > PointerRoot && XGetWindowAttributes(b->dpy, b->saved_focus, &w) &&
      w.map_state == IsViewable) {
    XSetInputFocus(b->dpy, b->saved_focus, RevertToPointerRoot, CurrentTime);
  } else {
    XSetInputFocus(b->dpy, PointerRoot, RevertToPointerRoot, CurrentTime);
  }
  XSync(b->dpy, False);
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc != 1) {
    fprintf(stderr, "usage: " NAME " (no arguments; DISPLAY says where)\n");
    return 2;
  }
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  /* SIGTERM/SIGINT are blocked except inside ppoll: no stop request is lost between the check
   * and the wait. */
  sigset_t block, waiting;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &waiting);
  sigdelset(&waiting, SIGTERM);
  sigdelset(&waiting, SIGINT);
  struct sigaction sa = {0};
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  struct blanker b = {0};
  b.keyboard_st = b.pointer_st = -1;
  b.dpy = XOpenDisplay(NULL);
  if (!b.dpy) {
    fprintf(stderr, NAME ": cannot open the X display\n");
    return 1;
  }
  XSetErrorHandler(on_x_error);
  XSetIOErrorHandler(on_x_io_error);
  b.root = DefaultRootWindow(b.dpy);
  /* Root: its size (StructureNotify) and every top-level window mapped, moved or restacked
   * (SubstructureNotify, which also reports our own window's map, unmap and destruction). */
  XSelectInput(b.dpy, b.root, StructureNotifyMask | SubstructureNotifyMask);
  static const char empty[1] = {0};
  Pixmap nothing = XCreateBitmapFromData(b.dpy, b.root, empty, 1, 1);
  XColor black = {0};
  b.cursor = XCreatePixmapCursor(b.dpy, nothing, nothing, &black, &black, 0, 0);
  XFreePixmap(b.dpy, nothing);
  warn_break_actions(&b);
  int revert;
  XGetInputFocus(b.dpy, &b.saved_focus, &revert);
  create_window(&b);

  const long started = now_ms();
  int announced = 0, reported = -1;
  while (!stop_requested) {
    while (XPending(b.dpy) > 0) {
      XEvent ev;
      XNextEvent(b.dpy, &ev);
      handle(&b, &ev);
      explicit_bzero(&ev, sizeof ev);
    }
    try_grabs(&b, announced && now_ms() - b.last_grab >= REASSERT_MS);
    int grabbed = b.keyboard && b.pointer;
    /* Ready: mapped, painted (the first Expose: the server has drawn our black background and
     * asked us to paint; a compositor composites from then on) and covering, after a round
     * trip. Without an Expose within EXPOSE_WAIT_MS, the server's word that the window is
     * viewable and covers the root is enough: a blanker that never says ready would be
     * replaced in a loop by the locker, while it does cover. */
    if (!announced && b.mapped && (grabbed || now_ms() >= started + GRAB_WAIT_MS) &&
        (b.exposed || now_ms() >= started + EXPOSE_WAIT_MS)) {
      XSync(b.dpy, False);
      if (covers_root(&b)) {
        printf("ready 0x%lx grabbed=%d\n", (unsigned long)b.win, grabbed);
        fflush(stdout);
        announced = 1;
        reported = grabbed;
        b.lost = 0;
      }
    } else if (announced && (grabbed != reported || b.lost)) {
      /* A loss already made good (taken away and taken back within one turn) is still said:
       * the locker's log must show that the grabs were broken. */
      if (b.lost && reported == 1) {
        printf("grabbed=0\n");
        reported = 0;
      }
      if (grabbed != reported) printf("grabbed=%d\n", grabbed);
      fflush(stdout);
      reported = grabbed;
      b.lost = 0;
    }
    if (XPending(b.dpy) > 0) continue; /* also flushes our requests */
    struct pollfd fd = {.fd = ConnectionNumber(b.dpy), .events = POLLIN};
    long wait_ms = RETRY_MS;
    if (announced && grabbed) {
      wait_ms = b.last_grab + REASSERT_MS - now_ms();
      if (wait_ms < 1) wait_ms = 1;
    }
    struct timespec retry = {.tv_sec = wait_ms / 1000, .tv_nsec = (wait_ms % 1000) * 1000000L};
    ppoll(&fd, 1, &retry, &waiting);
  }
  /* Hide: the focus goes back where it was (else to PointerRoot): with RevertToNone, the
   * window's end would leave the session's keyboard dead until a click. */
  restore_focus(&b);
  XCloseDisplay(b.dpy);
  return 0;
}
