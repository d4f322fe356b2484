/* bastion-pam-helper — the setuid-root PAM bridge of Bastion Greeter.
 *
 * One PAM transaction per process, spoken over length-prefixed frames on stdin/stdout
 * (PROTOCOL.md). In order:
 *   1. record the caller's uid and parent; harden the process (signals, core limit, umask, cwd,
 *      fds, not dumpable, environment scrubbed to PATH, receive buffer mlocked); move the protocol
 *      to fds above 2 (close-on-exec) and point 0, 1, 2 at /dev/null, so in-process modules and
 *      their children can neither corrupt the frame stream nor read an answer; arm the deadline;
 *   2. read START (service NUL user); the service must be in the compiled-in allowlist;
 *   3. the caller must have a passwd entry (its name becomes PAM_RUSER, as sudo/su set it), else
 *      BASTION_SYSTEM; caller rule (unix_chkpwd's): uid 0 or a member of group "bastion-greeter"
 *      may ask for any user, anyone else only for their own user;
 *   4. become fully root (gids, groups, uids); reset what the caller could tune to starve or kill
 *      root-side work (every rlimit, ITIMER_VIRTUAL/PROF, nice, scheduler, I/O priority); set the
 *      parent-death signal and check the parent is still the one that started us (the signal is
 *      cleared by credential changes);
 *   5. the service must have its own root-owned PAM file (else libpam would run `other`);
 *      refuse if the (caller, user) pair is throttled; watch the input for main's end or CANCEL
 *      (SIGIO) while PAM runs; run pam_authenticate, check PAM_USER is
 *      unchanged, run pam_acct_mgmt (an expired password: pam_chauthtok, then pam_acct_mgmt
 *      again), check PAM_USER again; write RESULT and exit.
 *
 * Deadline: a POSIX timer on CLOCK_MONOTONIC signalling DEADLINE_SIGNAL (a real-time signal), never
 * blocked: not ITIMER_REAL, which PAM modules' libraries reset (glibc's lckpwdf(), which pam_unix
 * calls to change a password, does alarm(0)). Its handler writes the timeout RESULT only between frames,
 * without blocking (O_NONBLOCK, one short write; a partial one is a cut frame, which main
 * already treats as a failure), then _exits; a
 * frame write it interrupts never resumes. So a caller that stops reading cannot keep a root
 * helper alive past the deadline.
 *
 * Two ways to be started (PROTOCOL.md, "Modes"): setuid root by the caller itself (the caller is
 * the real uid), or `--socket` by systemd (Accept=yes, real uid 0, the connection on fds 0/1; the
 * caller is the socket peer, SO_PEERCRED / SO_PEERGROUPS). Nothing else differs.
 *
 * Nothing one caller's helper holds may make another caller's helper wait (a setuid helper stays
 * in its caller's cgroup, where the caller can freeze it): every lock is per caller, every wait
 * for one is bounded, and none is held while PAM runs, except the caller's own slot.
 *  - Slots: at most MAX_CONCURRENT helpers per caller at once (flock, never waited for, on
 *    STATE_DIR/<uid>.slot<n>); one more is BASTION_BUSY. The key service moves to KEY_SLOTS of
 *    its own (<uid>.keyslot<n>) once START names it.
 *  - Rate limit per (caller uid, account), a leaky bucket: each charged attempt adds RL_LEAK
 *    seconds of debt, which leaks away at one per second; past RL_FREE - 1 attempts' worth the
 *    pair is locked for RL_BACKOFF_FIRST seconds, doubling per attempt (or part of one) above
 *    RL_FREE, capped at RL_BACKOFF_MAX. So a burst
 *    gets RL_FREE guesses, slow guessing settles at about one per RL_LEAK, and the level
 *    persists while guessing goes on. Charged when the first ANSWER arrives, before PAM sees it
 *    (parallel helpers cannot outrun the count); a success deletes the record. The record is
 *    read without a lock (it is only ever replaced by rename) and updated under flock on its
 *    own lock file, waited for at most RL_LOCK_WAIT_MS. Unreadable state fails closed.
 *  - Idle: from START to the first answer at most IDLE_MS (a prompt left open holds a root
 *    process and a slot); the whole transaction at most DEADLINE_MS.
 *  - The key service (KEY_SERVICE) is charged in a bucket of its own per (caller, account).
 *  - bastion-status never prompts and so is never charged: its frames are kept per (caller,
 *    account) for STATUS_TTL seconds and replayed without running PAM (a root Node process).

 * Secrets: every inbound frame lands in one mlocked buffer, wiped after each frame and on exit.
 * libpam requires answers as malloc'ed strings it frees itself (Linux-PAM overwrites them first);
 * the copy we hand over is the only one outside the locked buffer. Nothing is logged.
 *
 * The test build (-DBASTION_TEST_BUILD) keeps pam_wrapper's variables (PAM_WRAPPER, PAM_WRAPPER_*,
 * PAM_MATRIX_PASSWD, LD_PRELOAD, UID_WRAPPER_DISABLE_DEEPBIND) through the scrub and reads the
 * BASTION_TEST_* switches of test_overrides(); it refuses to run setuid (ruid != euid), so an
 * installed copy cannot hand those switches to a caller. The release build reads none of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

#define GREETER_GROUP "bastion-greeter"
/* tmpfs, like pam_faillock's default tally dir: counters are written before every answer, and
 * fsync on a disk would double the round trip; a reboot forgetting them is acceptable. */
#define STATE_DIR "/run/bastion-pam-helper"
#define DEADLINE_MS 120000L
#define DEADLINE_SIGNAL (SIGRTMIN + 1) /* no module or library of the stack arms this one */
#define IDLE_MS 30000L          /* START to the first answer: the greeter answers at once */
#define SAFE_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_CONCURRENT 4        /* helpers per caller at once (password, key, status, one spare) */
#define KEY_SLOTS 4             /* the key service's own slots: its orphans block only keys */
#define RL_FREE 5               /* a burst of guesses before the first lockout */
#define RL_LEAK 3600L           /* one charged attempt forgiven per hour */
#define RL_DEBT_MAX (24 * RL_LEAK) /* at most a day to forgive everything */
#define RL_BACKOFF_FIRST 60L    /* 1 min, then 2, 4 … per attempt (or part) above RL_FREE, capped */
#define RL_BACKOFF_MAX 3600L
#define RL_LOCK_WAIT_MS 2000L   /* only the same caller's helper for the same account holds it */
#define STATUS_TTL 30L          /* bastion-status answers replayed for this long */
#define STATUS_MAX 16384        /* bytes of frames kept for a replay */

/* KEY_SERVICE: pam_u2f, run beside the password service (PROTOCOL.md "The key service"). */
#define KEY_SERVICE "bastion-greeter-u2f"
static const char *const allowed_services[] = {"bastion-greeter", "bastion-status", KEY_SERVICE};
/* Where libpam looks for a service's file, in its order (the first one found is used). */
static const char *const pam_dirs[] = {"/etc/pam.d", "/usr/lib/pam.d"};

enum refusal {
  R_NONE, R_PROTOCOL, R_SERVICE, R_CALLER, R_THROTTLED, R_BUSY, R_USER_CHANGED, R_CANCELLED,
  R_TIMEOUT, R_NOT_PRIVILEGED, R_SYSTEM, R_NOT_INSTALLED
};
/* Exit status: 0 success, 1 PAM said no, 2 refused, 3 protocol/cancel, 4 system, 5 deadline. */
static const struct { int code; const char *name; int status; } refusals[] = {
    [R_PROTOCOL] = {PAM_CONV_ERR, "BASTION_PROTOCOL", 3},
    [R_SERVICE] = {PAM_PERM_DENIED, "BASTION_SERVICE_NOT_ALLOWED", 2},
    [R_CALLER] = {PAM_PERM_DENIED, "BASTION_CALLER_NOT_ALLOWED", 2},
    [R_THROTTLED] = {PAM_MAXTRIES, "BASTION_THROTTLED", 2},
    [R_BUSY] = {PAM_MAXTRIES, "BASTION_BUSY", 2},
    [R_USER_CHANGED] = {PAM_PERM_DENIED, "BASTION_USER_CHANGED", 2},
    [R_CANCELLED] = {PAM_ABORT, "BASTION_CANCELLED", 3},
    [R_TIMEOUT] = {PAM_ABORT, "BASTION_TIMEOUT", 5},
    [R_NOT_PRIVILEGED] = {PAM_SYSTEM_ERR, "BASTION_NOT_PRIVILEGED", 4},
    [R_SYSTEM] = {PAM_SYSTEM_ERR, "BASTION_SYSTEM", 4},
    [R_NOT_INSTALLED] = {PAM_SYSTEM_ERR, "BASTION_SERVICE_NOT_INSTALLED", 4},
};

#define N(x) [x] = #x
static const char *const pam_names[] = {
    N(PAM_SUCCESS), N(PAM_OPEN_ERR), N(PAM_SYMBOL_ERR), N(PAM_SERVICE_ERR), N(PAM_SYSTEM_ERR),
    N(PAM_BUF_ERR), N(PAM_PERM_DENIED), N(PAM_AUTH_ERR), N(PAM_CRED_INSUFFICIENT),
    N(PAM_AUTHINFO_UNAVAIL), N(PAM_USER_UNKNOWN), N(PAM_MAXTRIES), N(PAM_NEW_AUTHTOK_REQD),
    N(PAM_ACCT_EXPIRED), N(PAM_SESSION_ERR), N(PAM_CRED_UNAVAIL), N(PAM_CRED_EXPIRED),
    N(PAM_CRED_ERR), N(PAM_NO_MODULE_DATA), N(PAM_CONV_ERR), N(PAM_AUTHTOK_ERR),
    N(PAM_AUTHTOK_RECOVERY_ERR), N(PAM_AUTHTOK_LOCK_BUSY), N(PAM_AUTHTOK_DISABLE_AGING),
    N(PAM_TRY_AGAIN), N(PAM_IGNORE), N(PAM_ABORT), N(PAM_AUTHTOK_EXPIRED), N(PAM_MODULE_UNKNOWN),
    N(PAM_BAD_ITEM), N(PAM_CONV_AGAIN), N(PAM_INCOMPLETE),
};

#define BUF_SIZE (FRAME_HEADER + 1 + FRAME_MAX_PAYLOAD)
static unsigned char rx[BUF_SIZE] __attribute__((aligned(4096))); /* mlocked: inbound frames */
static unsigned char tx[BUF_SIZE];                                /* outbound frame */
static unsigned char timeout_frame[64], cancel_frame[64];
static size_t timeout_len, cancel_len;
static unsigned char cancel_request[FRAME_HEADER + 1]; /* main's CANCEL frame, as it arrives */
static sigset_t io_signal; /* SIGIO: blocked while a frame is read and once the end is near */
static int proto_in = STDIN_FILENO, proto_out = STDOUT_FILENO; /* moved above 2 by harden() */
static volatile sig_atomic_t writing; /* a frame is being written: no timeout frame now */

static int socket_mode; /* --socket: started by systemd, the caller is the socket's peer */
static uid_t caller;
static gid_t caller_gid, *caller_groups; /* the caller's gid and supplementary groups */
static int caller_ngroups;
static char ruser[256]; /* the caller's user name: PAM_RUSER */
static char service[FRAME_MAX_SERVICE + 1], user[FRAME_MAX_USER + 1];
static char rl_name[24 + 2 * FRAME_MAX_USER], rl_tmp[sizeof rl_name + 24];
static char rl_lock[sizeof rl_name + 8], status_name[sizeof rl_name + 8];
static pam_handle_t *pamh;
static enum refusal conv_refusal;
static int charged; /* this attempt was counted by the rate limit */
static const char *why; /* one line for the admin log: why a refusal happened */
static struct timespec idle_end; /* START and the first answer must arrive before this */
static int idle_armed, idle_expired;
static unsigned char status_frames[STATUS_MAX]; /* bastion-status frames, for the replay */
static size_t status_len;
static int status_recording, status_overflow;
static int known_account = 1; /* the user resolves through NSS (else: a shared bucket) */
static int slot_fd = -1; /* the slot this helper holds (flock), open until exit */

static struct {
  char state_dir[PATH_MAX];
  long deadline_ms, idle_ms;
  gid_t greeter_gid; /* (gid_t)-1: look GREETER_GROUP up */
  long clock_offset; /* test build: seconds added to the clock */
  int stop_in_record_lock; /* test build: SIGSTOP ourselves while holding the record lock */
  char pam_dir[PATH_MAX]; /* test build: pam_wrapper's service dir instead of pam_dirs */
} cfg = {STATE_DIR, DEADLINE_MS, IDLE_MS, (gid_t)-1, 0, 0, ""};

static long now_s(void) {
  return (long)time(NULL) + cfg.clock_offset;
}

static void wipe_rx(void) {
  for (volatile unsigned char *p = rx; p < rx + sizeof rx; p++) *p = 0; /* async-signal-safe */
}

/* Ends the children PAM modules started (pam_exec's root Node process…): they must not outlive
 * us, or one caller could keep any number of root processes past the slot cap. pam_exec puts
 * its child in a session of its own (setsid), so each child's process group is killed, as
 * listed by /proc/<pid>/task/<pid>/children (the path is made at start: async-signal-safe
 * calls only here). */
static char children_path[64];

static void end_children(void) {
  int fd = children_path[0] != '\0' ? open(children_path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0) return;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  long pid = 0;
  for (ssize_t i = 0; i <= n; i++) {
    if (i < n && buf[i] >= '0' && buf[i] <= '9') {
      pid = pid * 10 + (buf[i] - '0');
    } else if (pid > 0) {
      kill((pid_t)-pid, SIGKILL);
      kill((pid_t)pid, SIGKILL);
      pid = 0;
    }
  }
}

static void on_deadline(int sig) {
  (void)sig;
  wipe_rx();
  end_children();
  /* Inside a frame the RESULT would corrupt it (a cut frame already fails for main); and main
   * may have stopped reading: never block here. */
  int flags = fcntl(proto_out, F_GETFL);
  if (!writing && flags >= 0 && fcntl(proto_out, F_SETFL, flags | O_NONBLOCK) == 0 &&
      write(proto_out, timeout_frame, timeout_len) < 0) { /* nothing more to do */ }
  _exit(refusals[R_TIMEOUT].status);
}

/* SIGTERM (the parent-death signal, a stopping unit): take the children along, then die of it
 * (it is pending: this handler blocks every signal; the default action runs on return). */
static void on_terminate(int sig) {
  (void)sig;
  wipe_rx();
  end_children();
  signal(SIGTERM, SIG_DFL);
  raise(SIGTERM);
}

/* SIGIO on the protocol input while PAM runs (armed by watch_peer): a module that waits (pam_u2f
 * for a touch, up to its own timeout) reads nothing from main, so without this a cancelled
 * helper would keep its slot until the deadline. Signal-safe calls only: poll() and a peek tell
 * main's end of the stream (its close, or a half-close) or a CANCEL frame from an early ANSWER
 * or from nothing (a spurious signal); only the first two end us, as a cancel. */
static void on_input(int sig) {
  (void)sig;
  int saved = errno, gone = 0;
  struct pollfd p = {proto_in, POLLIN | POLLRDHUP, 0};
  if (poll(&p, 1, 0) == 1) {
    gone = (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) != 0;
    unsigned char head[sizeof cancel_request];
    ssize_t n = gone || !(p.revents & POLLIN)
                    ? -1 /* a pipe cannot be peeked: its writer's close is a POLLHUP */
                    : recv(proto_in, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) gone = 1;
    if (n == (ssize_t)sizeof head) {
      gone = 1;
      for (size_t i = 0; i < sizeof head; i++) gone &= head[i] == cancel_request[i];
    }
  }
  if (!gone) {
    errno = saved;
    return;
  }
  wipe_rx();
  end_children();
  int flags = fcntl(proto_out, F_GETFL);
  if (!writing && flags >= 0 && fcntl(proto_out, F_SETFL, flags | O_NONBLOCK) == 0 &&
      write(proto_out, cancel_frame, cancel_len) < 0) { /* main may be gone: nothing to do */ }
  _exit(refusals[R_CANCELLED].status);
}

static int write_all(const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(proto_out, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Sends one frame; text longer than a frame is cut at a UTF-8 character boundary. `writing` keeps
 * the deadline's RESULT out of the frame, and stays set once our own RESULT is on its way. */
static int send_frame(unsigned type, const char *text, size_t len) {
  if (len > FRAME_MAX_PAYLOAD) {
    len = FRAME_MAX_PAYLOAD;
    while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) len--;
  }
  size_t n = frame_encode(tx, type, text, len);
  if (status_recording && !status_overflow) {
    if (status_len + n <= sizeof status_frames) memcpy(status_frames + status_len, tx, n);
    else status_overflow = 1;
    status_len += n;
  }
  /* SIGIO waits too: main may answer this very frame (a CANCEL) before `writing` is cleared, and
   * on_input would then end us without the RESULT it owes. */
  sigset_t old;
  sigprocmask(SIG_BLOCK, &io_signal, &old);
  writing = 1;
  int rc = write_all(tx, n);
  writing = type == FT_RESULT;
  sigprocmask(SIG_SETMASK, &old, NULL);
  return rc;
}

static long ms_left(const struct timespec *end) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (end->tv_sec - t.tv_sec) * 1000L + (end->tv_nsec - t.tv_nsec) / 1000000L;
}

static void idle_in(long ms) {
  clock_gettime(CLOCK_MONOTONIC, &idle_end);
  idle_end.tv_sec += ms / 1000;
  idle_end.tv_nsec += (ms % 1000) * 1000000L;
  if (idle_end.tv_nsec >= 1000000000L) idle_end.tv_sec++, idle_end.tv_nsec -= 1000000000L;
}

/* Before the first answer, input must come within the idle cap. */
static int wait_input(void) {
  while (idle_armed) {
    long ms = ms_left(&idle_end);
    if (ms <= 0) return idle_expired = 1, -1;
    struct pollfd p = {proto_in, POLLIN, 0};
    int r = poll(&p, 1, ms > 60000 ? 60000 : (int)ms);
    if (r > 0 || (r < 0 && errno != EINTR)) return 0; /* read() tells what it is */
  }
  return 0;
}

static size_t read_full(unsigned char *p, size_t n) {
  size_t got = 0;
  while (got < n) {
    if (wait_input() != 0) break;
    ssize_t r = read(proto_in, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  return got;
}

/* Reads one frame into rx. End of stream between frames is R_CANCELLED; the idle cap passing is
 * R_TIMEOUT; anything else that is not a whole, well-formed frame is R_PROTOCOL. */
static enum refusal recv_frame_now(struct frame *f) {
  size_t used = 0, got = read_full(rx, FRAME_HEADER);
  if (idle_expired) return why = "no answer within the idle limit", R_TIMEOUT;
  if (got == 0) return R_CANCELLED;
  if (got < FRAME_HEADER || frame_decode(rx, got, f, &used) != FRAME_NEED_MORE) return R_PROTOCOL;
  got += read_full(rx + FRAME_HEADER, used - FRAME_HEADER);
  if (idle_expired) return why = "no answer within the idle limit", R_TIMEOUT;
  return frame_decode(rx, got, f, &used) == FRAME_OK ? R_NONE : R_PROTOCOL;
}

/* SIGIO waits while a frame is read (the reader itself handles an end or a CANCEL there); one
 * that came meanwhile runs on return and looks at what is left, e.g. a CANCEL after an ANSWER.
 * Once the reader has a verdict of its own (an end, a CANCEL, a bad frame) it stands: SIGIO
 * stays blocked, so the refusal it leads to is the one main gets. */
static enum refusal recv_frame(struct frame *f) {
  sigset_t old;
  sigprocmask(SIG_BLOCK, &io_signal, &old);
  enum refusal r = recv_frame_now(f);
  if (r == R_NONE) sigprocmask(SIG_SETMASK, &old, NULL);
  return r;
}

static void status_save(int status);

static void finish(int code, const char *name, const char *stage, int status) {
  sigprocmask(SIG_BLOCK, &io_signal, NULL); /* main closing after our RESULT is no cancel */
  char text[80];
  int n = snprintf(text, sizeof text, "%d:%s:%s", code, name, stage);
  if (pamh != NULL) pam_end(pamh, code);
  send_frame(FT_RESULT, text, (size_t)n);
  wipe_rx();
  if (status_recording) status_save(status);
  exit(status);
}

/* Caller-chosen text in a log line: printable ASCII but for `"` and `\`, the rest as \xHH, so
 * no one can forge fields or lines (quotes, controls, U+2028, bidi marks). */
static const char *log_safe(const char *in, char *out, size_t room) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && n + 5 < room; p++)
    n += (size_t)(*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\'
                      ? snprintf(out + n, room - n, "%c", *p)
                      : snprintf(out + n, room - n, "\\x%02x", *p));
  out[n] = '\0';
  return out;
}

/* Refusals are logged (LOG_AUTHPRIV, one line, no secrets) so an admin can find out why. */
static void refuse(enum refusal r) {
  char u[4 * FRAME_MAX_USER + 8], sv[4 * FRAME_MAX_SERVICE + 8];
  if (r != R_CANCELLED)
    syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s for uid %u, user \"%s\", service \"%s\": %s",
           refusals[r].name, (unsigned)caller, log_safe(user, u, sizeof u),
           log_safe(service, sv, sizeof sv), why != NULL ? why : "-");
  status_recording = 0; /* a refusal is no status answer to replay */
  finish(refusals[r].code, refusals[r].name, "helper", refusals[r].status);
}

/* ---- per-caller state: slots, rate limit, status replay ---- */

static int state_open(int create) {
  if (create && mkdir(cfg.state_dir, 0700) != 0 && errno != EEXIST) return -1;
  int fd = open(cfg.state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_uid != 0 || (st.st_mode & 077) != 0)) {
    close(fd);
    errno = EPERM;
    return -1;
  }
  return fd;
}

/* A root-owned 0600 regular file of ours in the state dir, opened without following links. */
static int state_file(int dir, const char *name, int flags) {
  int fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
  struct stat st;
  if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
                  (st.st_mode & 077) != 0)) {
    close(fd);
    errno = EPERM;
    return -1;
  }
  return fd;
}

/* Takes one of the caller's `count` slots named `<uid>.<kind><n>` for the life of the process
 * (never waits: a helper the caller froze keeps its own slot, no one else's) and lets go of the
 * one held before, if any. The fd stays open, close-on-exec. */
static enum refusal take_slot(const char *kind, int count) {
  int dir = state_open(1);
  if (dir < 0) return why = "state directory unusable", R_SYSTEM;
  for (int i = 0; i < count; i++) {
    char name[48];
    snprintf(name, sizeof name, "%u.%s%d", (unsigned)caller, kind, i);
    int fd = state_file(dir, name, O_RDWR | O_CREAT);
    if (fd < 0) return close(dir), why = "slot file unusable", R_SYSTEM;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
      if (slot_fd >= 0) close(slot_fd);
      slot_fd = fd;
      return close(dir), R_NONE;
    }
    close(fd);
    if (errno != EWOULDBLOCK) return close(dir), why = "slot lock failed", R_SYSTEM;
  }
  close(dir);
  why = "too many helpers of this caller at once";
  return R_BUSY;
}

/* The leaky bucket: `debt` in seconds as of `last` (an attempt costs RL_LEAK, one leaks away per
 * second: exact at any pace); locked until `until`. */
struct rl { long debt, last, until; };

static void rl_leak(struct rl *s, long now) {
  long gone = now > s->last ? now - s->last : 0;
  s->debt = s->debt > gone ? s->debt - gone : 0;
  s->last = now > s->last ? now : s->last;
}

/* Reads the pair's record; no record is an empty bucket. A record is only ever replaced whole
 * (rename), so reading needs no lock. */
static int rl_load(int dir, struct rl *s, long now) {
  char buf[128];
  memset(s, 0, sizeof *s);
  int fd = state_file(dir, rl_name, O_RDONLY);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  char nl = 0;
  if (n <= 0) return -1;
  buf[n] = '\0';
  if (sscanf(buf, "v2 %ld %ld %ld%c", &s->debt, &s->last, &s->until, &nl) != 4 || nl != '\n' ||
      s->debt < 0 || s->debt > RL_DEBT_MAX || s->last < 0)
    return -1;
  if (s->until > now + RL_BACKOFF_MAX) s->until = now + RL_BACKOFF_MAX; /* clock went back */
  if (s->last > now) s->last = now;
  return 0;
}

static int rl_save(int dir, const struct rl *s) {
  int fd = state_file(dir, rl_tmp, O_WRONLY | O_CREAT | O_TRUNC);
  if (fd < 0) return -1;
  int ok = dprintf(fd, "v2 %ld %ld %ld\n", s->debt, s->last, s->until) > 0 && fsync(fd) == 0;
  ok = close(fd) == 0 && ok && renameat(dir, rl_tmp, dir, rl_name) == 0 && fsync(dir) == 0;
  return ok ? 0 : -1;
}

/* flock on the pair's own lock file (never replaced, never deleted), waited for at most
 * RL_LOCK_WAIT_MS: only this caller's other helpers for this account can hold it. */
static int rl_lock_take(int dir) {
  int fd = state_file(dir, rl_lock, O_RDWR | O_CREAT);
  if (fd < 0) return -1;
  for (long waited = 0;; waited += 10) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK && errno != EINTR) return close(fd), -1;
    if (waited >= RL_LOCK_WAIT_MS) return close(fd), errno = EWOULDBLOCK, -1;
    struct timespec ten = {0, 10 * 1000 * 1000};
    nanosleep(&ten, NULL);
  }
#ifdef BASTION_TEST_BUILD
  if (cfg.stop_in_record_lock) raise(SIGSTOP); /* a frozen helper holding the lock */
#endif
  return fd;
}

/* Read-only: is the pair locked now? A missing directory means no failures yet. */
static enum refusal rl_check(void) {
  int dir = state_open(0);
  if (dir < 0) return errno == ENOENT ? R_NONE : (why = "state directory unusable", R_SYSTEM);
  long now = now_s();
  struct rl s;
  int rc = rl_load(dir, &s, now);
  close(dir);
  if (rc != 0) return why = "rate-limit record unreadable", R_SYSTEM;
  return now < s.until ? (why = "locked after repeated failures", R_THROTTLED) : R_NONE;
}

/* Counts this attempt before its first answer reaches PAM. */
static enum refusal rl_charge(void) {
  int dir = state_open(1);
  if (dir < 0) return why = "state directory unusable", R_SYSTEM;
  int lock = rl_lock_take(dir);
  if (lock < 0) {
    enum refusal r = errno == EWOULDBLOCK ? R_BUSY : R_SYSTEM;
    why = r == R_BUSY ? "rate-limit record held by this caller's other helper" : "lock failed";
    return close(dir), r;
  }
  long now = now_s();
  struct rl s;
  enum refusal r = R_SYSTEM;
  why = "rate-limit record unreadable or unwritable";
  if (rl_load(dir, &s, now) == 0) {
    r = R_THROTTLED;
    why = "locked after repeated failures";
    if (now >= s.until) {
      rl_leak(&s, now);
      s.debt = s.debt + RL_LEAK < RL_DEBT_MAX ? s.debt + RL_LEAK : RL_DEBT_MAX;
      if (s.debt > (RL_FREE - 1) * RL_LEAK) { /* the RL_FREE-th attempt within the hour */
        long excess = s.debt - RL_FREE * RL_LEAK;
        long over = excess > 0 ? (excess + RL_LEAK - 1) / RL_LEAK : 0;
        long backoff = over >= 6 ? RL_BACKOFF_MAX : RL_BACKOFF_FIRST << over;
        s.until = now + (backoff < RL_BACKOFF_MAX ? backoff : RL_BACKOFF_MAX);
      }
      r = rl_save(dir, &s) == 0 ? R_NONE : R_SYSTEM;
    }
  }
  if (r == R_NONE) why = NULL;
  close(lock); /* released before PAM sees the answer */
  close(dir);
  return r;
}

static void rl_reset(void) {
  int dir = state_open(0);
  if (dir < 0) return;
  int lock = rl_lock_take(dir);
  if (lock >= 0 && unlinkat(dir, rl_name, 0) == 0) fsync(dir);
  if (lock >= 0) close(lock);
  close(dir);
}

/* bastion-status: replays the frames of a run younger than STATUS_TTL, if any, and exits. */
static void status_replay(void) {
  int dir = state_open(0);
  if (dir < 0) return;
  int fd = state_file(dir, status_name, O_RDONLY);
  close(dir);
  if (fd < 0) return;
  static unsigned char buf[64 + STATUS_MAX];
  size_t got = 0;
  for (ssize_t r; got < sizeof buf && (r = read(fd, buf + got, sizeof buf - got)) > 0;)
    got += (size_t)r;
  close(fd);
  long at = 0, now = now_s();
  int status = -1, head = 0;
  if (got == sizeof buf || sscanf((char *)buf, "BSR1 %ld %d\n%n", &at, &status, &head) != 2 ||
      head <= 0 || (size_t)head > got || status < 0 || status > 5 || at > now ||
      now - at >= STATUS_TTL)
    return; /* absent, stale or odd: run PAM instead */
  sigprocmask(SIG_BLOCK, &io_signal, NULL);
  writing = 1;
  int rc = write_all(buf + head, got - (size_t)head);
  exit(rc == 0 ? status : refusals[R_CANCELLED].status);
}

static void status_write(int status, const unsigned char *frames, size_t len) {
  int dir = state_open(1);
  if (dir < 0) return;
  char tmp[sizeof status_name + 24];
  snprintf(tmp, sizeof tmp, "%s.%ld", status_name, (long)getpid());
  int fd = state_file(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC);
  if (fd >= 0) {
    int ok = dprintf(fd, "BSR1 %ld %d\n", now_s(), status) > 0 &&
             write(fd, frames, len) == (ssize_t)len;
    ok = close(fd) == 0 && ok && renameat(dir, tmp, dir, status_name) == 0;
    if (!ok) unlinkat(dir, tmp, 0);
  }
  close(dir);
}

static void status_save(int status) {
  if (!status_overflow && status_len > 0) status_write(status, status_frames, status_len);
}

/* Before a real bastion-status run: for STATUS_TTL, calls get BASTION_BUSY (a tray retries)
 * unless this run finishes and leaves its frames. A caller that drops the connection mid-run,
 * so that nothing is saved, still gets at most one real run per STATUS_TTL. */
static void status_placeholder(void) {
  unsigned char frame[64];
  char text[48];
  int n = snprintf(text, sizeof text, "%d:%s:helper", refusals[R_BUSY].code, refusals[R_BUSY].name);
  status_write(refusals[R_BUSY].status, frame, frame_encode(frame, FT_RESULT, text, (size_t)n));
}

/* ---- PAM conversation ---- */

static int conv(int n, const struct pam_message **msg, struct pam_response **out, void *data) {
  (void)data;
  *out = NULL;
  if (n <= 0 || n > PAM_MAX_NUM_MSG || conv_refusal != R_NONE) return PAM_CONV_ERR;
  struct pam_response *resp = calloc((size_t)n, sizeof *resp);
  if (resp == NULL) return PAM_BUF_ERR;
  for (int i = 0; i < n; i++) {
    int style = msg[i]->msg_style;
    const char *text = msg[i]->msg != NULL ? msg[i]->msg : "";
    unsigned type = style == PAM_PROMPT_ECHO_OFF ? FT_ECHO_OFF
                    : style == PAM_PROMPT_ECHO_ON ? FT_ECHO_ON
                    : style == PAM_TEXT_INFO      ? FT_INFO
                    : style == PAM_ERROR_MSG      ? FT_ERROR
                                                  : 0;
    if (type == 0) goto fail; /* binary prompts and unknown styles */
    if (send_frame(type, text, strlen(text)) != 0) {
      conv_refusal = R_CANCELLED; /* main is gone */
      goto fail;
    }
    if (type == FT_INFO || type == FT_ERROR) continue;
    status_recording = 0; /* a conversation with answers is never replayed */
    if (idle_armed) idle_in(cfg.idle_ms); /* each prompt before the first answer gets the cap */
    struct frame f;
    enum refusal r = recv_frame(&f);
    idle_armed = 0; /* the idle cap ends with the first answer */
    if (r == R_NONE && f.type == FT_CANCEL) r = f.len == 0 ? R_CANCELLED : R_PROTOCOL;
    else if (r == R_NONE && frame_answer(&f) != FRAME_OK) r = R_PROTOCOL;
    if (r == R_NONE && !charged) r = rl_charge();
    charged = charged || r == R_NONE;
    if (r == R_NONE) resp[i].resp = strndup((const char *)f.payload, f.len);
    wipe_rx();
    if (r != R_NONE) conv_refusal = r;
    if (resp[i].resp == NULL) goto fail;
  }
  *out = resp;
  return PAM_SUCCESS;
fail:
  for (int i = 0; i < n; i++) {
    if (resp[i].resp != NULL) explicit_bzero(resp[i].resp, strlen(resp[i].resp));
    free(resp[i].resp);
  }
  free(resp);
  return PAM_CONV_ERR;
}

/* ---- process set-up ---- */

#ifdef BASTION_TEST_BUILD
static int test_keep(const char *e) {
  return strncmp(e, "PAM_WRAPPER=", 12) == 0 || strncmp(e, "PAM_WRAPPER_", 12) == 0 ||
         strncmp(e, "PAM_MATRIX_PASSWD=", 18) == 0 || strncmp(e, "LD_PRELOAD=", 11) == 0 ||
         strncmp(e, "UID_WRAPPER_DISABLE_DEEPBIND=", 29) == 0; /* pam_wrapper 1.1.4 reads it */
}

static void test_overrides(void) {
  const char *v;
  if ((v = getenv("BASTION_TEST_STATE_DIR")) != NULL && *v == '/')
    snprintf(cfg.state_dir, sizeof cfg.state_dir, "%s", v);
  if ((v = getenv("BASTION_TEST_DEADLINE_MS")) != NULL && atol(v) > 0) cfg.deadline_ms = atol(v);
  if ((v = getenv("BASTION_TEST_IDLE_MS")) != NULL && atol(v) > 0) cfg.idle_ms = atol(v);
  if ((v = getenv("BASTION_TEST_GREETER_GID")) != NULL && *v != '\0')
    cfg.greeter_gid = (gid_t)atol(v);
  if ((v = getenv("BASTION_TEST_CLOCK_OFFSET")) != NULL) cfg.clock_offset = atol(v);
  cfg.stop_in_record_lock = getenv("BASTION_TEST_STOP_IN_RECORD_LOCK") != NULL;
  /* pam_wrapper's libpam reads its services there, not in /etc/pam.d */
  if ((v = getenv("PAM_WRAPPER_SERVICE_DIR")) != NULL && *v == '/')
    snprintf(cfg.pam_dir, sizeof cfg.pam_dir, "%s", v);
}
#endif

static int scrub_env(void) {
  char *keep[16];
  size_t kept = 0;
#ifdef BASTION_TEST_BUILD
  test_overrides();
  for (char **e = environ; e != NULL && *e != NULL && kept < 16; e++)
    if (test_keep(*e) && (keep[kept] = strdup(*e)) != NULL) kept++;
#endif
  int rc = clearenv();
  for (size_t i = 0; i < kept; i++) {
    char *eq = strchr(keep[i], '=');
    *eq = '\0';
    rc |= setenv(keep[i], eq + 1, 1);
    free(keep[i]);
  }
  return rc | setenv("PATH", SAFE_PATH, 1);
}

#ifdef BASTION_TEST_BUILD
extern void __sanitizer_set_report_fd(void *fd) __attribute__((weak)); /* absent in the bench build */
#endif

/* Frames travel on close-on-exec copies of stdin/stdout above 2; 0, 1 and 2 become /dev/null for
 * in-process modules (one printing to stdout would corrupt the stream, one reading stdin could
 * take the next answer) and for their children (nothing reaches the caller's stderr). */
static int move_protocol_fds(void) {
  int in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3), out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (in < 0 || out < 0) return -1;
  proto_in = in;
  proto_out = out;
#ifdef BASTION_TEST_BUILD
  int err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3); /* sanitizer reports still reach the test */
  if (err < 0) return -1;
  if (__sanitizer_set_report_fd != NULL) __sanitizer_set_report_fd((void *)(intptr_t)err);
#endif
  int null = open("/dev/null", O_RDWR | O_CLOEXEC), rc = null < 0;
  for (int fd = 0; fd <= 2 && !rc; fd++) rc = dup2(null, fd) != fd; /* dup2 drops CLOEXEC */
  if (null >= 0) close(null);
  return rc ? -1 : 0;
}

static int harden(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  for (int s = 1; s < NSIG; s++) /* undo ignores inherited from the caller (SIGCHLD, SIGALRM…) */
    if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) signal(s, SIG_DFL);
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGPIPE, &sa, NULL);
  sigaction(SIGXFSZ, &sa, NULL);
  /* Job control must not freeze a root helper mid-transaction (a stopped helper passes no
   * deadline, and a stalled online module falls through to the offline cache): ignore the
   * stop signals and leave the caller's session, so no terminal can send them either. */
  sigaction(SIGTSTP, &sa, NULL);
  sigaction(SIGTTIN, &sa, NULL);
  sigaction(SIGTTOU, &sa, NULL);
  if (getpgrp() != getpid() && setsid() < 0) return -1;
  sa.sa_handler = on_deadline;
  sigfillset(&sa.sa_mask);
  sigaction(DEADLINE_SIGNAL, &sa, NULL);
  sa.sa_handler = on_terminate;
  sigaction(SIGTERM, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  struct rlimit zero = {0, 0};
  umask(077);
  for (int fd = 0; fd <= 2; fd++) /* a closed 0-2 must not be reused by a later open */
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) return -1;
  if (close_range(3, ~0U, 0) != 0 || setrlimit(RLIMIT_CORE, &zero) != 0 ||
      prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || chdir("/") != 0 || scrub_env() != 0 ||
      mlock(rx, sizeof rx) != 0 || move_protocol_fds() != 0)
    return -1;
  return 0;
}

static int arm_deadline(long ms) {
  struct sigevent event;
  memset(&event, 0, sizeof event);
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = DEADLINE_SIGNAL;
  timer_t timer;
  struct itimerspec it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000000L}};
  idle_in(cfg.idle_ms); /* START, then each prompt until the first answer */
  idle_armed = 1;
  int n = snprintf((char *)tx, sizeof tx, "%d:%s:helper", refusals[R_TIMEOUT].code,
                   refusals[R_TIMEOUT].name);
  timeout_len = frame_encode(timeout_frame, FT_RESULT, tx, (size_t)n);
  n = snprintf((char *)tx, sizeof tx, "%d:%s:helper", refusals[R_CANCELLED].code,
               refusals[R_CANCELLED].name);
  cancel_len = frame_encode(cancel_frame, FT_RESULT, tx, (size_t)n);
  frame_encode(cancel_request, FT_CANCEL, "", 0);
  sigemptyset(&io_signal);
  sigaddset(&io_signal, SIGIO);
  return timer_create(CLOCK_MONOTONIC, &event, &timer) == 0 && timer_settime(timer, 0, &it, NULL) == 0
             ? 0
             : -1;
}

/* Who asked: the real ids of a setuid start, or the socket peer's (SO_PEERCRED at connect time,
 * SO_PEERGROUPS) in socket mode. Recorded before anything else changes them. */
static int identify_caller(void) {
  if (!socket_mode) {
    caller = getuid();
    caller_gid = getgid();
    int n = getgroups(0, NULL);
    caller_groups = calloc(n > 0 ? (size_t)n : 1, sizeof *caller_groups);
    if (n < 0 || caller_groups == NULL || (n > 0 && (n = getgroups(n, caller_groups)) < 0))
      return -1;
    caller_ngroups = n;
    return 0;
  }
  struct ucred peer;
  socklen_t len = sizeof peer;
  if (getsockopt(proto_in, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || len != sizeof peer)
    return -1;
  caller = peer.uid;
  caller_gid = peer.gid;
  for (socklen_t room = 64 * sizeof(gid_t);;) {
    free(caller_groups);
    if ((caller_groups = malloc(room)) == NULL) return -1;
    len = room;
    if (getsockopt(proto_in, SOL_SOCKET, SO_PEERGROUPS, caller_groups, &len) == 0) break;
    if (errno != ERANGE || len <= room || len > 65536 * sizeof(gid_t)) return -1;
    room = len;
  }
  caller_ngroups = (int)(len / sizeof(gid_t));
  return 0;
}

static int in_group(gid_t g) {
  int found = caller_gid == g;
  for (int i = 0; i < caller_ngroups && !found; i++) found = caller_groups[i] == g;
  return found;
}

/* A caller without a passwd entry (or whose lookup failed: NSS cannot tell us which) is refused
 * as BASTION_SYSTEM, as sudo and su refuse it: PAM_RUSER must name who asked, and a greeter's
 * account always exists. */
static enum refusal lookup_caller(void) {
  struct passwd *pw = getpwuid(caller);
  if (pw == NULL || (size_t)snprintf(ruser, sizeof ruser, "%s", pw->pw_name) >= sizeof ruser ||
      ruser[0] == '\0')
    return why = "caller has no passwd entry", R_SYSTEM;
  return R_NONE;
}

static enum refusal check_caller(void) {
  if (caller == 0) return R_NONE;
  gid_t greeter = cfg.greeter_gid;
  if (greeter == (gid_t)-1) {
    struct group *g = getgrnam(GREETER_GROUP);
    greeter = g != NULL ? g->gr_gid : (gid_t)-1;
  }
  if (greeter != (gid_t)-1 && in_group(greeter)) return R_NONE;
  return strcmp(ruser, user) == 0 ? R_NONE : R_CALLER;
}

static int become_root(void) {
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  if (setresgid(0, 0, 0) != 0 || setgroups(0, NULL) != 0 || setresuid(0, 0, 0) != 0) return -1;
  if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0) return -1;
  if ((ru | eu | su | rg | eg | sg) != 0 || getgroups(0, NULL) != 0) return -1;
  return 0;
}

/* Once root: nothing the caller tuned may reach PAM modules and their children. A low
 * RLIMIT_NOFILE/AS/DATA/STACK could make an online module fail (AUTHINFO_UNAVAIL) so the stack
 * falls through to an offline cache; ITIMER_VIRTUAL/PROF survive execve and would kill us at a
 * time of the caller's choosing; a huge timer slack stretches PAM's failure delays. So every
 * limit is set to a fixed value of ours that bounds root work (a PAM stack, a Node child of
 * pam_exec: well under 1 GiB) instead of lifting it: CPU 120 s (the deadline), address space
 * 2 GiB, data 1 GiB, 4096 processes and pending signals, RLIMIT_CORE 0 (no core of a process
 * holding secrets); FSIZE stays unlimited (sparse per-uid tally files sit at huge offsets).
 * RLIMIT_NPROC does not bind uid 0 (the kernel exempts root): what bounds root processes is the
 * per-caller slot cap (take_slot) and, in socket mode, the unit's TasksMax=. Without
 * CAP_SYS_RESOURCE (some containers) a hard limit cannot be raised: as sudo does, we then take
 * the highest soft limit the hard one allows. Anything else that cannot be reset (a raised nice
 * without CAP_SYS_NICE…) fails closed. ITIMER_REAL is disarmed too (our deadline is a POSIX
 * timer: a caller's ITIMER_REAL would otherwise end us at a time of its choosing). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifdef ASAN_BUILD
/* ASan maps terabytes of shadow memory as it goes: the sanitized test build cannot live under an
 * address-space or data bound. The release and the bench build (which the tests also run) do. */
#define MEMORY_BOUND(n) RLIM_INFINITY
#else
#define MEMORY_BOUND(n) (n)
#endif

static int reset_inherited(void) {
  static const struct { int res; rlim_t cur, max; } limits[] = {
      {RLIMIT_CPU, 120, 120},                         {RLIMIT_FSIZE, RLIM_INFINITY, RLIM_INFINITY},
      {RLIMIT_DATA, MEMORY_BOUND(1UL << 30), MEMORY_BOUND(1UL << 30)},            {RLIMIT_STACK, 8 << 20, 8 << 20},
      {RLIMIT_CORE, 0, 0},                            {RLIMIT_RSS, RLIM_INFINITY, RLIM_INFINITY},
      {RLIMIT_NPROC, 4096, 4096},                     {RLIMIT_NOFILE, 1024, 4096},
      {RLIMIT_MEMLOCK, 8 << 20, 8 << 20},             {RLIMIT_AS, MEMORY_BOUND(2UL << 30), MEMORY_BOUND(2UL << 30)},
      {RLIMIT_LOCKS, RLIM_INFINITY, RLIM_INFINITY},   {RLIMIT_SIGPENDING, 4096, 4096},
      {RLIMIT_MSGQUEUE, 819200, 819200},              {RLIMIT_NICE, 0, 0},
      {RLIMIT_RTPRIO, 0, 0},                          {RLIMIT_RTTIME, RLIM_INFINITY, RLIM_INFINITY},
  };
  struct itimerval off = {{0, 0}, {0, 0}};
  struct sched_param normal = {0};
  int rc = 0;
  for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
    struct rlimit l = {limits[i].cur, limits[i].max}, old;
    if (setrlimit(limits[i].res, &l) == 0) continue;
    if (getrlimit(limits[i].res, &old) != 0) return -1;
    l.rlim_max = old.rlim_max;
    l.rlim_cur = l.rlim_cur < old.rlim_max ? l.rlim_cur : old.rlim_max;
    rc |= setrlimit(limits[i].res, &l);
  }
  rc |= setitimer(ITIMER_VIRTUAL, &off, NULL) | setitimer(ITIMER_PROF, &off, NULL) |
        setitimer(ITIMER_REAL, &off, NULL);
  rc |= setpriority(PRIO_PROCESS, 0, 0) | sched_setscheduler(0, SCHED_OTHER, &normal);
  /* The kernel's default slack (50 µs). 0 would mean "the default", but that default is the
   * value inherited from the caller at fork. */
  rc |= prctl(PR_SET_TIMERSLACK, 50000UL, 0, 0, 0);
  /* A caller's idle I/O class would slow root modules down; a kernel without the call
   * (ENOSYS) has no class to reset, and refusing every login there would help nobody. */
  if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, 0 /* none: from nice */) != 0 &&
      errno != ENOSYS)
    rc = -1;
  return rc != 0 ? -1 : 0;
}

static int user_unchanged(void) {
  const void *item = NULL;
  return pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS && item != NULL &&
         strcmp((const char *)item, user) == 0;
}

static const char *pam_name(int rc) {
  int known = rc >= 0 && rc < (int)(sizeof pam_names / sizeof *pam_names) && pam_names[rc];
  return known ? pam_names[rc] : "PAM_UNKNOWN";
}

static void pam_outcome(int rc, const char *stage) {
  if (conv_refusal != R_NONE) refuse(conv_refusal);
  if (rc == PAM_SUCCESS && !user_unchanged()) {
    why = "a PAM module changed PAM_USER";
    refuse(R_USER_CHANGED);
  }
  if (rc != PAM_SUCCESS) finish(rc, pam_name(rc), stage, 1);
}

/* The rate-limit key of an account, in rl_name: `<uid>-<hex of the account's first 100 bytes>`
 * for an account NSS knows (its pw_name: spellings a case-insensitive NSS maps to one account
 * share one budget), else `<uid>-u<00-3f>`: names no one has share 64 buckets per caller, so
 * made-up names cannot fill /run with records, lock and replay files. */
static void name_records(void) {
  struct passwd *account = getpwnam(user);
  int n = snprintf(rl_name, sizeof rl_name, "%u-", (unsigned)caller);
  if (account != NULL && account->pw_name[0] != '\0') {
    /* 100 bytes: the longest name (uid, 200 hex digits, ".status.<pid>") stays under NAME_MAX */
    for (const char *p = account->pw_name; *p != '\0' && p < account->pw_name + 100; p++, n += 2)
      snprintf(rl_name + n, sizeof rl_name - (size_t)n, "%02x", (unsigned char)*p);
  } else {
    unsigned long h = 2166136261UL; /* FNV-1a: spreads names, nothing secret about it */
    for (const unsigned char *p = (const unsigned char *)user; *p != '\0'; p++)
      h = ((h ^ *p) * 16777619UL) & 0xffffffffUL;
    snprintf(rl_name + n, sizeof rl_name - (size_t)n, "u%02lx", h % 64);
    known_account = 0;
  }
  /* The key service's answers are PINs of a key that counts its own retries: they get a bucket
   * of their own ("-k": no hex name or "u" bucket ends so), so wrong PINs never lock the
   * person out of typing the password, nor the password's failures out of the key. */
  size_t end = strlen(rl_name);
  if (strcmp(service, KEY_SERVICE) == 0) snprintf(rl_name + end, sizeof rl_name - end, "-k");
  snprintf(rl_tmp, sizeof rl_tmp, "%s.tmp", rl_name);
  snprintf(rl_lock, sizeof rl_lock, "%s.lock", rl_name);
  snprintf(status_name, sizeof status_name, "%s.status", rl_name);
}

/* The service must have a file of its own: without one libpam runs `other` (Debian: common-auth,
 * a password prompt), and the key service would become a second password service with its own
 * rate-limit bucket. The file libpam would read (the first that exists, in its order) must be a
 * regular file of root's that no one else may write. */
static enum refusal check_service_file(void) {
  const char *const *dirs = pam_dirs;
  size_t n = sizeof pam_dirs / sizeof *pam_dirs;
#ifdef BASTION_TEST_BUILD
  const char *const wrapper_dir[] = {cfg.pam_dir};
  if (cfg.pam_dir[0] != '\0') dirs = wrapper_dir, n = 1;
#endif
  for (size_t i = 0; i < n; i++) {
    char path[PATH_MAX + FRAME_MAX_SERVICE + 2];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dirs[i], service);
    int rc = stat(path, &st);
    if (rc != 0 && errno == ENOENT) continue;
    if (rc != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) != 0)
      return why = "its PAM file is not a regular root-owned file only root may write", R_NOT_INSTALLED;
    return R_NONE;
  }
  return why = "no PAM file for it in /etc/pam.d or /usr/lib/pam.d (libpam would run \"other\")",
         R_NOT_INSTALLED;
}

/* From here until RESULT, main's end of the stream (or its CANCEL) ends us whatever PAM is doing
 * (on_input). Armed only now: before START an end of stream is a protocol error, read as such. */
static int watch_peer(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_input;
  sa.sa_flags = SA_RESTART; /* modules' own syscalls resume after a spurious signal */
  sigfillset(&sa.sa_mask);
  int flags = fcntl(proto_in, F_GETFL);
  if (sigaction(SIGIO, &sa, NULL) != 0 || flags < 0 || fcntl(proto_in, F_SETOWN, getpid()) != 0 ||
      fcntl(proto_in, F_SETFL, flags | O_ASYNC) != 0)
    return -1;
  return raise(SIGIO); /* main may have left before the watch was armed */
}

int main(int argc, char **argv) {
  socket_mode = argc == 2 && strcmp(argv[1], "--socket") == 0;
  caller = getuid(); /* until identified: who to name in a log line */
  pid_t parent = getppid();
#ifdef BASTION_TEST_BUILD
  /* Its BASTION_TEST_* switches would be a caller's to set: a test build never runs setuid (or
   * with file capabilities: AT_SECURE). */
  if (getuid() != geteuid() || getgid() != getegid() || getauxval(AT_SECURE) != 0) {
    why = "a test build must not be installed setuid";
    refuse(R_SYSTEM);
  }
#endif
  if (argc > 2 || (argc == 2 && !socket_mode)) {
    why = "unknown argument";
    refuse(R_PROTOCOL);
  }
  /* --socket trusts the socket's peer as the caller: only for a process that is root already
   * (systemd's unit), never for one a user started through the setuid bit. */
  if (socket_mode && (getuid() != 0 || geteuid() != 0)) {
    why = "--socket is for the systemd unit";
    refuse(R_NOT_PRIVILEGED);
  }
  if (!socket_mode && identify_caller() != 0) refuse(R_SYSTEM); /* first: whoever started us */
  if (harden() != 0) refuse(R_SYSTEM);
  snprintf(children_path, sizeof children_path, "/proc/%ld/task/%ld/children", (long)getpid(),
           (long)getpid());
  openlog("bastion-pam-helper", LOG_PID, LOG_AUTHPRIV);
  if (socket_mode && identify_caller() != 0) {
    why = "no peer credentials on the connection";
    refuse(R_SYSTEM);
  }
  if (arm_deadline(cfg.deadline_ms) != 0) refuse(R_SYSTEM);
  /* A slot before anything is read: connections that never send START (or flood) then cost at
   * most MAX_CONCURRENT helpers per caller, and the socket unit's MaxConnections= cannot be
   * filled by one user. Only where we may write root's state (a non-setuid test run cannot; it
   * is refused as BASTION_NOT_PRIVILEGED below). */
  enum refusal r;
  /* A caller without a passwd entry (a subordinate uid from a user namespace…) is refused
   * before it can create anything: else each such uid would get slots of its own. */
  if ((r = lookup_caller()) != R_NONE) refuse(r);
  if (geteuid() == 0) {
    if (setegid(0) != 0) refuse((why = "cannot take gid 0", R_SYSTEM));
    if ((r = take_slot("slot", MAX_CONCURRENT)) != R_NONE) refuse(r);
  }

  struct frame f;
  r = recv_frame(&f);
  if (r == R_NONE && frame_start(&f, service, user) != FRAME_OK) r = R_PROTOCOL;
  wipe_rx();
  if (r != R_NONE && r != R_TIMEOUT) why = "malformed START frame (a user name must be UTF-8)";
  if (r != R_NONE) refuse(r == R_TIMEOUT ? r : R_PROTOCOL);
  int allowed = 0;
  for (size_t i = 0; i < sizeof allowed_services / sizeof *allowed_services; i++)
    allowed |= strcmp(service, allowed_services[i]) == 0;
  if (!allowed) refuse((why = "service not in the allowlist", R_SERVICE));
  /* The key service moves to a slot set of its own: key helpers left waiting for a touch can
   * then only ever block key attempts, never the password. */
  if (slot_fd >= 0 && strcmp(service, KEY_SERVICE) == 0 &&
      (r = take_slot("keyslot", KEY_SLOTS)) != R_NONE)
    refuse(r);
  if ((r = check_caller()) != R_NONE) {
    why = "outside the greeter group, asked for another user";
    refuse(r);
  }
  if (become_root() != 0) refuse((why = "cannot become root (not installed setuid?)", R_NOT_PRIVILEGED));
  if (reset_inherited() != 0) refuse((why = "cannot reset inherited limits", R_SYSTEM));
  /* setuid: die with the caller, who must still be the one that started us (the death signal
   * is cleared by credential changes); on_terminate takes our children along. A socket-mode
   * parent is systemd; the peer's going away is an end of stream. */
  if (!socket_mode &&
      (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0 || getppid() != parent))
    refuse(R_SYSTEM);

  if ((r = check_service_file()) != R_NONE) refuse(r);
  name_records();
  status_recording = known_account && strcmp(service, "bastion-status") == 0;
  if (status_recording) status_replay(); /* exits if a fresh answer was replayed */
  if ((r = rl_check()) != R_NONE) refuse(r);
  if (status_recording) status_placeholder();

  if (watch_peer() != 0) refuse((why = "cannot watch the connection", R_SYSTEM));
  struct pam_conv pc = {conv, NULL};
  int rc = pam_start(service, user, &pc, &pamh);
  if (rc != PAM_SUCCESS) {
    pamh = NULL; /* pam_start frees what it allocated */
    status_recording = 0;
    finish(rc, pam_name(rc), "helper", 4);
  }
  if (pam_set_item(pamh, PAM_RUSER, ruser) != PAM_SUCCESS) refuse(R_SYSTEM);
  pam_outcome(pam_authenticate(pamh, 0), "authenticate");
  rc = pam_acct_mgmt(pamh, 0);
  /* An expired password is changed in the same conversation, as login(1) and display managers
   * do (the prompts come from the stack: "New password:" …), then the account is checked again:
   * success stays exactly 0:PAM_SUCCESS:acct_mgmt. Only for the login service. */
  if (rc == PAM_NEW_AUTHTOK_REQD && strcmp(service, "bastion-greeter") == 0) {
    pam_outcome(pam_chauthtok(pamh, PAM_CHANGE_EXPIRED_AUTHTOK), "chauthtok");
    rc = pam_acct_mgmt(pamh, 0);
  }
  pam_outcome(rc, "acct_mgmt");
  rl_reset();
  finish(PAM_SUCCESS, "PAM_SUCCESS", "acct_mgmt", 0);
}
