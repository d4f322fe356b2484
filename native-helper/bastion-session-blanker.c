/* bastion-session-blanker: the blanker of the in-session locker (main/lock/README.md), run as
 * the person, in their X session, started detached by the locker and stopped by it (SIGTERM)
 * on logind's Unlock.
 *
 * One black, override-redirect window the size of the root window (no window manager manages,
 * moves or restacks it), raised again whenever anything is mapped or restacked above it or it
 * is obscured, resized with the root window (RandR sends ConfigureNotify on the root), mapped
 * again if unmapped and created again if destroyed. It grabs the keyboard and the pointer
 * (pointer confined to it, invisible cursor) so that keys typed at the session's display reach
 * no window under it; while another client holds a grab (an open menu), it retries every
 * 100 ms for as long as it runs. Every input event is read and dropped: nothing is forwarded,
 * logged or kept (the event is zeroed after each read).
 *
 * stdout: one line `ready 0x<window> grabbed=<0|1>` once the window is mapped and covers the
 * root window (after at most GRAB_WAIT_MS of grab attempts), then `grabbed=<0|1>` whenever
 * that changes. stderr: what went wrong, once per change.
 *
 * Reads no input but $DISPLAY (and $XAUTHORITY, through Xlib); takes no arguments; needs no
 * privilege. Exits 0 on SIGTERM or SIGINT (hide), 1 when the X connection ends (the session's
 * X server is gone). SIGHUP is ignored. No PR_SET_PDEATHSIG: the blanker outlives a locker
 * that dies while the session is locked (fail closed). SIGPIPE is ignored: a locker gone
 * (its end of stdout closed) must not kill the blanker when it reports a change. */
#define _GNU_SOURCE
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RETRY_MS 100      /* grab retries while not held */
#define GRAB_WAIT_MS 1000 /* how long `ready` waits for the grabs before saying grabbed=0 */
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
  int keyboard, pointer;       /* grabs held */
  int keyboard_st, pointer_st; /* last grab statuses, to log each change once */
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
  unsigned width, height;
  root_size(b, &width, &height);
  XSetWindowAttributes a = {0};
  a.override_redirect = True;
  a.background_pixel = BlackPixel(b->dpy, DefaultScreen(b->dpy));
  a.cursor = b->cursor;
  a.event_mask = VisibilityChangeMask | INPUT_MASK;
  a.do_not_propagate_mask = INPUT_MASK;
  b->win = XCreateWindow(b->dpy, b->root, 0, 0, width, height, 0, CopyFromParent, InputOutput,
                         CopyFromParent,
                         CWOverrideRedirect | CWBackPixel | CWCursor | CWEventMask | CWDontPropagate,
                         &a);
  XStoreName(b->dpy, b->win, NAME);
  b->mapped = 0;
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

static void try_grabs(struct blanker *b) {
  if (!b->mapped) return;
  if (!b->keyboard) {
    int st = XGrabKeyboard(b->dpy, b->win, False, GrabModeAsync, GrabModeAsync, CurrentTime);
    b->keyboard = st == GrabSuccess;
    if (st != b->keyboard_st) fprintf(stderr, NAME ": keyboard grab: %s\n", grab_status(st));
    b->keyboard_st = st;
  }
  if (!b->pointer) {
    int st = XGrabPointer(b->dpy, b->win, False,
                          ButtonPressMask | ButtonReleaseMask | PointerMotionMask, GrabModeAsync,
                          GrabModeAsync, b->win, b->cursor, CurrentTime);
    b->pointer = st == GrabSuccess;
    if (st != b->pointer_st) fprintf(stderr, NAME ": pointer grab: %s\n", grab_status(st));
    b->pointer_st = st;
  }
}

static void handle(struct blanker *b, const XEvent *ev) {
  switch (ev->type) {
  case MapNotify: /* ours: grab now; anyone else's: it may be above us */
    if (ev->xmap.window == b->win) {
      b->mapped = 1;
      /* Until the keyboard grab is held, keys at least go here rather than to the focus. */
      XSetInputFocus(b->dpy, b->win, RevertToParent, CurrentTime);
    } else {
      XRaiseWindow(b->dpy, b->win);
    }
    break;
  case UnmapNotify: /* another client unmapped us: the server released our grabs */
    if (ev->xunmap.window == b->win) {
      b->mapped = 0;
      b->keyboard = b->pointer = 0;
      XMapRaised(b->dpy, b->win);
    }
    break;
  case DestroyNotify: /* another client destroyed us */
    if (ev->xdestroywindow.window == b->win) create_window(b);
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
  default: /* key, button, motion: dropped */
    break;
  }
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
  create_window(&b);

  const long deadline = now_ms() + GRAB_WAIT_MS;
  int announced = 0, reported = -1;
  while (!stop_requested) {
    while (XPending(b.dpy) > 0) {
      XEvent ev;
      XNextEvent(b.dpy, &ev);
      handle(&b, &ev);
      explicit_bzero(&ev, sizeof ev);
    }
    try_grabs(&b);
    int grabbed = b.keyboard && b.pointer;
    if (!announced && b.mapped && (grabbed || now_ms() >= deadline)) {
      XSync(b.dpy, False);
      if (covers_root(&b)) {
        printf("ready 0x%lx grabbed=%d\n", (unsigned long)b.win, grabbed);
        fflush(stdout);
        announced = 1;
        reported = grabbed;
      }
    } else if (announced && grabbed != reported) {
      printf("grabbed=%d\n", grabbed);
      fflush(stdout);
      reported = grabbed;
    }
    if (XPending(b.dpy) > 0) continue; /* also flushes our requests */
    struct pollfd fd = {.fd = ConnectionNumber(b.dpy), .events = POLLIN};
    struct timespec retry = {.tv_sec = 0, .tv_nsec = RETRY_MS * 1000000L};
    ppoll(&fd, 1, announced && grabbed ? NULL : &retry, &waiting);
  }
  /* Hide: the server takes the window and the grabs away with the connection. */
  XCloseDisplay(b.dpy);
  return 0;
}
