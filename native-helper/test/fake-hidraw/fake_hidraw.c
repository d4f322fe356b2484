/*
 * fake_hidraw.so — TEST-ONLY LD_PRELOAD shim: makes up to 8 paths look like hidraw
 * character devices backed by unix sockets, so real host stacks (node-hid/hidapi,
 * libfido2, python-fido2, systemd-cryptenroll) talk to a software authenticator.
 *
 * Configuration: BASTION_FAKE_HIDRAW_DIR=<dir>. Device N exists while <dir>/hidrawN.sock
 * exists; its node is <dir>/hidrawN (open/stat/ioctl are answered here), its sysfs
 * directory <dir>/sys/hidrawN (real files device/uevent, device/report_descriptor
 * written by the test rig). The libudev calls hidapi and libfido2 make for enumeration
 * are answered for these devices; everything else is passed to the real functions.
 *
 * Wire to the authenticator: a SOCK_STREAM connection per open(); the host's 65-byte
 * writes (report id 0 first) become 64-byte records, reads return one 64-byte record.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/hidraw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_DEVICES 8
#define MAX_FDS 4096
#define REPORT 64
#define FAKE_MAJOR 511
#define MAGIC_DEVICE 0xb457f1d0de71ce01ULL
#define MAGIC_ENUM 0xb457f1d0e7e11102ULL
#define MAGIC_ENTRY 0xb457f1d0e7e17303ULL

static const unsigned char report_descriptor[] = {
    0x06, 0xd0, 0xf1, 0x09, 0x01, 0xa1, 0x01, 0x09, 0x20, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95,
    0x40, 0x81, 0x02, 0x09, 0x21, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x40, 0x91, 0x02, 0xc0,
};
#define VENDOR 0x1209  /* pid.codes test vendor */
#define PRODUCT 0xb457
#define NAME "Bastion Test Authenticator"

/* fd -> device index + 1 (0: not ours). Threads (node-hid's reader) read it concurrently. */
static _Atomic int fd_device[MAX_FDS];

#define REAL(ret, name, ...)                                                   \
  static ret (*real_##name)(__VA_ARGS__);                                     \
  static void load_##name(void) {                                              \
    if (!real_##name) real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name); \
  }

/* Copied when the shim is loaded: bastion-pam-helper clears its environment before PAM runs
 * (only pam_wrapper's variables survive, in its test build), and pam_u2f opens the devices
 * after that. The variable still wins when set. */
static char loaded_dir[256]; /* rig dirs are short temp dirs */

__attribute__((constructor)) static void remember_dir(void) {
  const char *dir = getenv("BASTION_FAKE_HIDRAW_DIR");
  if (dir && dir[0] == '/' && strlen(dir) < sizeof loaded_dir) strcpy(loaded_dir, dir);
}

static const char *fake_dir(void) {
  const char *dir = getenv("BASTION_FAKE_HIDRAW_DIR");
  if (dir && dir[0] == '/') return dir;
  return loaded_dir[0] == '/' ? loaded_dir : NULL;
}

static int device_exists(int index) {
  char sock[PATH_MAX];
  struct stat st;
  const char *dir = fake_dir();
  if (!dir) return 0;
  snprintf(sock, sizeof sock, "%s/hidraw%d.sock", dir, index);
  return lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Index of the device whose node is `path`, or -1. */
static int device_of_path(const char *path) {
  const char *dir = fake_dir();
  size_t len;
  if (!dir || !path) return -1;
  len = strlen(dir);
  if (strncmp(path, dir, len) != 0 || strncmp(path + len, "/hidraw", 7) != 0) return -1;
  const char *num = path + len + 7;
  if (num[0] < '0' || num[0] > '7' || num[1] != '\0') return -1;
  return num[0] - '0';
}

static int device_of_fd(int fd) {
  if (fd < 0 || fd >= MAX_FDS) return -1;
  return atomic_load(&fd_device[fd]) - 1;
}

static int connect_device(int index, int flags) {
  char sock[PATH_MAX];
  struct sockaddr_un addr;
  int fd;
  if (!device_exists(index)) {
    errno = ENOENT;
    return -1;
  }
  snprintf(sock, sizeof sock, "%s/hidraw%d.sock", fake_dir(), index);
  fd = socket(AF_UNIX, SOCK_STREAM | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0), 0);
  if (fd < 0) return -1;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(sock) >= sizeof addr.sun_path) {
    close(fd);
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(addr.sun_path, sock);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || fd >= MAX_FDS) {
    int saved = errno == ECONNREFUSED ? ENODEV : errno;
    close(fd);
    errno = saved;
    return -1;
  }
  atomic_store(&fd_device[fd], index + 1);
  return fd;
}

/* ---- open ---- */
REAL(int, open, const char *, int, ...)
REAL(int, open64, const char *, int, ...)
REAL(int, openat, int, const char *, int, ...)
REAL(int, openat64, int, const char *, int, ...)
REAL(int, __open_2, const char *, int)
REAL(int, __open64_2, const char *, int)

#define MODE_ARG(flags, mode)                                \
  do {                                                       \
    if ((flags) & (O_CREAT | __O_TMPFILE)) {                 \
      va_list ap;                                            \
      va_start(ap, flags);                                   \
      mode = va_arg(ap, mode_t);                             \
      va_end(ap);                                            \
    }                                                        \
  } while (0)

int open(const char *path, int flags, ...) {
  mode_t mode = 0;
  int index = device_of_path(path);
  if (index >= 0) return connect_device(index, flags);
  MODE_ARG(flags, mode);
  load_open();
  return real_open(path, flags, mode);
}
int open64(const char *path, int flags, ...) {
  mode_t mode = 0;
  int index = device_of_path(path);
  if (index >= 0) return connect_device(index, flags);
  MODE_ARG(flags, mode);
  load_open64();
  return real_open64(path, flags, mode);
}
int openat(int dirfd, const char *path, int flags, ...) {
  mode_t mode = 0;
  int index = device_of_path(path);
  if (index >= 0) return connect_device(index, flags);
  MODE_ARG(flags, mode);
  load_openat();
  return real_openat(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char *path, int flags, ...) {
  mode_t mode = 0;
  int index = device_of_path(path);
  if (index >= 0) return connect_device(index, flags);
  MODE_ARG(flags, mode);
  load_openat64();
  return real_openat64(dirfd, path, flags, mode);
}
int __open_2(const char *path, int flags) {
  int index = device_of_path(path);
  if (index >= 0) return connect_device(index, flags);
  load___open_2();
  return real___open_2(path, flags);
}
int __open64_2(const char *path, int flags) {
  int index = device_of_path(path);
  if (index >= 0) return connect_device(index, flags);
  load___open64_2();
  return real___open64_2(path, flags);
}

/* ---- close / read / write ---- */
REAL(int, close, int)
REAL(ssize_t, read, int, void *, size_t)
REAL(ssize_t, write, int, const void *, size_t)

int close(int fd) {
  if (fd >= 0 && fd < MAX_FDS) atomic_store(&fd_device[fd], 0);
  load_close();
  return real_close(fd);
}

static ssize_t read_report(int fd, void *buf, size_t len) {
  unsigned char report[REPORT];
  size_t got = 0;
  while (got < REPORT) {
    ssize_t n = recv(fd, report + got, REPORT - got, got == 0 ? 0 : MSG_WAITALL);
    if (n == 0) {
      errno = EIO; /* what hidraw returns once the device is gone */
      return -1;
    }
    if (n < 0) {
      if (errno == EINTR && got > 0) continue;
      return -1;
    }
    got += (size_t)n;
  }
  if (len > REPORT) len = REPORT;
  memcpy(buf, report, len);
  return (ssize_t)len;
}

ssize_t read(int fd, void *buf, size_t len) {
  if (device_of_fd(fd) >= 0) return read_report(fd, buf, len);
  load_read();
  return real_read(fd, buf, len);
}
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen) {
  (void)buflen;
  return read(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len) {
  if (device_of_fd(fd) >= 0) {
    const unsigned char *data = buf;
    unsigned char report[REPORT];
    size_t sent = 0;
    if (len == 0) {
      errno = EINVAL;
      return -1;
    }
    /* hidraw: the first byte is the report id (0: the device uses none). */
    memset(report, 0, sizeof report);
    memcpy(report, data + 1, len - 1 > REPORT ? REPORT : len - 1);
    while (sent < REPORT) {
      ssize_t n = send(fd, report + sent, REPORT - sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EPIPE || errno == ECONNRESET) errno = EIO;
        return -1;
      }
      sent += (size_t)n;
    }
    return (ssize_t)len;
  }
  load_write();
  return real_write(fd, buf, len);
}

/* ---- ioctl ---- */
REAL(int, ioctl, int, unsigned long, ...)

static int copy_string(void *arg, size_t size, const char *value) {
  size_t len = strlen(value) + 1;
  if (len > size) len = size;
  memcpy(arg, value, len);
  if (size > 0) ((char *)arg)[size - 1] = '\0';
  return (int)len;
}

int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  void *arg;
  int index = device_of_fd(fd);
  va_start(ap, request);
  arg = va_arg(ap, void *);
  va_end(ap);
  if (index < 0) {
    load_ioctl();
    return real_ioctl(fd, request, arg);
  }
  if (_IOC_TYPE(request) != 'H') {
    errno = ENOTTY;
    return -1;
  }
  switch (_IOC_NR(request)) {
    case 0x01:
      *(int *)arg = (int)sizeof report_descriptor;
      return 0;
    case 0x02: {
      struct hidraw_report_descriptor *desc = arg;
      if (desc->size > sizeof report_descriptor) desc->size = sizeof report_descriptor;
      memcpy(desc->value, report_descriptor, desc->size);
      return 0;
    }
    case 0x03: {
      struct hidraw_devinfo *info = arg;
      info->bustype = 0x03; /* BUS_USB */
      info->vendor = (__s16)VENDOR;
      info->product = (__s16)PRODUCT;
      return 0;
    }
    case 0x04:
      return copy_string(arg, _IOC_SIZE(request), NAME);
    case 0x05:
      return copy_string(arg, _IOC_SIZE(request), "bastion-fake-hidraw/input0");
    case 0x08: {
      char uniq[24];
      snprintf(uniq, sizeof uniq, "BASTION%d", index);
      return copy_string(arg, _IOC_SIZE(request), uniq);
    }
    default:
      errno = EINVAL;
      return -1;
  }
}

REAL(int, flock, int, int)
int flock(int fd, int op) {
  if (device_of_fd(fd) >= 0) return 0;
  load_flock();
  return real_flock(fd, op);
}

/* ---- stat family: our nodes and fds are character devices (511, N) ---- */
static void fill_stat(struct stat *st, int index) {
  memset(st, 0, sizeof *st);
  st->st_mode = S_IFCHR | 0600;
  st->st_rdev = makedev(FAKE_MAJOR, index);
  st->st_dev = makedev(0, 5);
  st->st_ino = 0xb457000 + (ino_t)index;
  st->st_nlink = 1;
  st->st_uid = getuid();
  st->st_gid = getgid();
  st->st_blksize = 4096;
}

REAL(int, fstat, int, struct stat *)
REAL(int, fstat64, int, struct stat64 *)
REAL(int, __fxstat, int, int, struct stat *)
REAL(int, __fxstat64, int, int, struct stat64 *)
REAL(int, stat, const char *, struct stat *)
REAL(int, stat64, const char *, struct stat64 *)
REAL(int, __xstat, int, const char *, struct stat *)
REAL(int, __xstat64, int, const char *, struct stat64 *)
REAL(int, fstatat, int, const char *, struct stat *, int)
REAL(int, fstatat64, int, const char *, struct stat64 *, int)

#define FAKE_OR(index, st, call)                                \
  do {                                                          \
    if ((index) >= 0 && device_exists(index)) {                 \
      fill_stat((struct stat *)(st), (index));                  \
      return 0;                                                 \
    }                                                           \
    if ((index) >= 0) {                                         \
      errno = ENOENT;                                           \
      return -1;                                                \
    }                                                           \
    call;                                                       \
  } while (0)

int fstat(int fd, struct stat *st) {
  int index = device_of_fd(fd);
  if (index >= 0) { fill_stat(st, index); return 0; }
  load_fstat();
  return real_fstat(fd, st);
}
int fstat64(int fd, struct stat64 *st) {
  int index = device_of_fd(fd);
  if (index >= 0) { fill_stat((struct stat *)st, index); return 0; }
  load_fstat64();
  return real_fstat64(fd, st);
}
int __fxstat(int ver, int fd, struct stat *st) {
  int index = device_of_fd(fd);
  if (index >= 0) { fill_stat(st, index); return 0; }
  load___fxstat();
  return real___fxstat(ver, fd, st);
}
int __fxstat64(int ver, int fd, struct stat64 *st) {
  int index = device_of_fd(fd);
  if (index >= 0) { fill_stat((struct stat *)st, index); return 0; }
  load___fxstat64();
  return real___fxstat64(ver, fd, st);
}
int stat(const char *path, struct stat *st) {
  int index = device_of_path(path);
  FAKE_OR(index, st, { load_stat(); return real_stat(path, st); });
}
int stat64(const char *path, struct stat64 *st) {
  int index = device_of_path(path);
  FAKE_OR(index, st, { load_stat64(); return real_stat64(path, st); });
}
int __xstat(int ver, const char *path, struct stat *st) {
  int index = device_of_path(path);
  FAKE_OR(index, st, { load___xstat(); return real___xstat(ver, path, st); });
}
int __xstat64(int ver, const char *path, struct stat64 *st) {
  int index = device_of_path(path);
  FAKE_OR(index, st, { load___xstat64(); return real___xstat64(ver, path, st); });
}
int fstatat(int dirfd, const char *path, struct stat *st, int flags) {
  int index = (path[0] == '\0' && (flags & AT_EMPTY_PATH)) ? device_of_fd(dirfd) : device_of_path(path);
  FAKE_OR(index, st, { load_fstatat(); return real_fstatat(dirfd, path, st, flags); });
}
int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags) {
  int index = (path[0] == '\0' && (flags & AT_EMPTY_PATH)) ? device_of_fd(dirfd) : device_of_path(path);
  FAKE_OR(index, st, { load_fstatat64(); return real_fstatat64(dirfd, path, st, flags); });
}

/* ---- libudev: enumeration and device lookups for our devices ---- */
struct udev;
struct fake_entry {
  uint64_t magic;
  struct fake_entry *next;
  char name[PATH_MAX];
};
struct fake_enum {
  uint64_t magic;
  int refs;
  int want_hidraw; /* 1 hidraw (or no subsystem filter), 0 another subsystem */
  struct fake_entry entries[MAX_DEVICES];
  struct fake_entry *first;
};
struct fake_device {
  uint64_t magic;
  int index;
  int is_parent; /* the "hid" bus device above the hidraw node */
  char syspath[PATH_MAX];
  char devnode[PATH_MAX];
  char uevent[512];
  char sysname[32];
  char hid_id[64];
  char hid_name[64];
  char hid_uniq[32];
};

static struct fake_device fake_devices[MAX_DEVICES];
static struct fake_device fake_parents[MAX_DEVICES];

static int is_fake(const void *p, uint64_t magic) {
  return p != NULL && *(const uint64_t *)p == magic;
}

static struct fake_device *device_object(int index, int parent) {
  const char *dir = fake_dir();
  struct fake_device *d = parent ? &fake_parents[index] : &fake_devices[index];
  if (!dir) return NULL;
  d->magic = MAGIC_DEVICE;
  d->index = index;
  d->is_parent = parent;
  snprintf(d->syspath, sizeof d->syspath, parent ? "%s/sys/hidraw%d/device" : "%s/sys/hidraw%d", dir, index);
  snprintf(d->devnode, sizeof d->devnode, "%s/hidraw%d", dir, index);
  snprintf(d->sysname, sizeof d->sysname, parent ? "0003:%04X:%04X.%04X" : "hidraw%d", parent ? VENDOR : index,
           PRODUCT, index + 1);
  if (!parent) snprintf(d->sysname, sizeof d->sysname, "hidraw%d", index);
  snprintf(d->hid_id, sizeof d->hid_id, "0003:%08X:%08X", VENDOR, PRODUCT);
  snprintf(d->hid_name, sizeof d->hid_name, "%s", NAME);
  snprintf(d->hid_uniq, sizeof d->hid_uniq, "BASTION%d", index);
  snprintf(d->uevent, sizeof d->uevent, "DRIVER=hid-generic\nHID_ID=%s\nHID_NAME=%s\nHID_PHYS=bastion-fake-hidraw/input0\nHID_UNIQ=%s\nMODALIAS=hid:b0003g0001v%08Xp%08X\n",
           d->hid_id, d->hid_name, d->hid_uniq, VENDOR, PRODUCT);
  return d;
}

static int device_of_syspath(const char *path) {
  const char *dir = fake_dir();
  size_t len;
  if (!dir || !path) return -1;
  len = strlen(dir);
  if (strncmp(path, dir, len) != 0 || strncmp(path + len, "/sys/hidraw", 11) != 0) return -1;
  const char *num = path + len + 11;
  if (num[0] < '0' || num[0] > '7' || num[1] != '\0') return -1;
  return device_exists(num[0] - '0') ? num[0] - '0' : -1;
}

REAL(int, udev_enumerate_add_match_subsystem, void *, const char *)
REAL(int, udev_enumerate_scan_devices, void *)
REAL(void *, udev_enumerate_get_list_entry, void *)
REAL(void *, udev_enumerate_unref, void *)
REAL(void *, udev_enumerate_ref, void *)
REAL(void *, udev_list_entry_get_next, void *)
REAL(const char *, udev_list_entry_get_name, void *)
REAL(const char *, udev_list_entry_get_value, void *)
REAL(void *, udev_device_new_from_syspath, struct udev *, const char *)
REAL(void *, udev_device_new_from_devnum, struct udev *, char, dev_t)
REAL(void *, udev_device_get_parent_with_subsystem_devtype, void *, const char *, const char *)
REAL(void *, udev_device_get_parent, void *)
REAL(const char *, udev_device_get_syspath, void *)
REAL(const char *, udev_device_get_devnode, void *)
REAL(const char *, udev_device_get_subsystem, void *)
REAL(const char *, udev_device_get_devtype, void *)
REAL(const char *, udev_device_get_sysname, void *)
REAL(const char *, udev_device_get_sysnum, void *)
REAL(const char *, udev_device_get_driver, void *)
REAL(dev_t, udev_device_get_devnum, void *)
REAL(const char *, udev_device_get_sysattr_value, void *, const char *)
REAL(const char *, udev_device_get_property_value, void *, const char *)
REAL(void *, udev_device_unref, void *)
REAL(void *, udev_device_ref, void *)

/* Every enumerator is ours: there are no real hidraw devices where this shim is used, and
 * other subsystems enumerate as empty (the shim is for FIDO tests only). */
void *udev_enumerate_new(struct udev *udev) {
  (void)udev;
  struct fake_enum *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->magic = MAGIC_ENUM;
  e->refs = 1;
  e->want_hidraw = 1;
  return e;
}
int udev_enumerate_add_match_subsystem(void *e, const char *subsystem) {
  if (!is_fake(e, MAGIC_ENUM)) { load_udev_enumerate_add_match_subsystem(); return real_udev_enumerate_add_match_subsystem ? real_udev_enumerate_add_match_subsystem(e, subsystem) : -EINVAL; }
  ((struct fake_enum *)e)->want_hidraw = subsystem != NULL && strcmp(subsystem, "hidraw") == 0;
  return 0;
}
int udev_enumerate_add_match_sysattr(void *e, const char *a, const char *v) { (void)e; (void)a; (void)v; return 0; }
int udev_enumerate_add_match_property(void *e, const char *a, const char *v) { (void)e; (void)a; (void)v; return 0; }
int udev_enumerate_scan_devices(void *ev) {
  if (!is_fake(ev, MAGIC_ENUM)) { load_udev_enumerate_scan_devices(); return real_udev_enumerate_scan_devices ? real_udev_enumerate_scan_devices(ev) : -EINVAL; }
  struct fake_enum *e = ev;
  struct fake_entry *prev = NULL;
  e->first = NULL;
  if (!e->want_hidraw || !fake_dir()) return 0;
  for (int i = 0; i < MAX_DEVICES; i++) {
    if (!device_exists(i)) continue;
    struct fake_entry *entry = &e->entries[i];
    entry->magic = MAGIC_ENTRY;
    entry->next = NULL;
    snprintf(entry->name, sizeof entry->name, "%s/sys/hidraw%d", fake_dir(), i);
    if (prev) prev->next = entry; else e->first = entry;
    prev = entry;
  }
  return 0;
}
void *udev_enumerate_get_list_entry(void *e) {
  if (!is_fake(e, MAGIC_ENUM)) { load_udev_enumerate_get_list_entry(); return real_udev_enumerate_get_list_entry ? real_udev_enumerate_get_list_entry(e) : NULL; }
  return ((struct fake_enum *)e)->first;
}
void *udev_enumerate_ref(void *e) {
  if (!is_fake(e, MAGIC_ENUM)) { load_udev_enumerate_ref(); return real_udev_enumerate_ref ? real_udev_enumerate_ref(e) : NULL; }
  ((struct fake_enum *)e)->refs++;
  return e;
}
void *udev_enumerate_unref(void *e) {
  if (!is_fake(e, MAGIC_ENUM)) { load_udev_enumerate_unref(); return real_udev_enumerate_unref ? real_udev_enumerate_unref(e) : NULL; }
  if (--((struct fake_enum *)e)->refs <= 0) {
    ((struct fake_enum *)e)->magic = 0;
    free(e);
  }
  return NULL;
}
void *udev_list_entry_get_next(void *entry) {
  if (!is_fake(entry, MAGIC_ENTRY)) { load_udev_list_entry_get_next(); return real_udev_list_entry_get_next ? real_udev_list_entry_get_next(entry) : NULL; }
  return ((struct fake_entry *)entry)->next;
}
const char *udev_list_entry_get_name(void *entry) {
  if (!is_fake(entry, MAGIC_ENTRY)) { load_udev_list_entry_get_name(); return real_udev_list_entry_get_name ? real_udev_list_entry_get_name(entry) : NULL; }
  return ((struct fake_entry *)entry)->name;
}
const char *udev_list_entry_get_value(void *entry) {
  if (!is_fake(entry, MAGIC_ENTRY)) { load_udev_list_entry_get_value(); return real_udev_list_entry_get_value ? real_udev_list_entry_get_value(entry) : NULL; }
  return NULL;
}
void *udev_device_new_from_syspath(struct udev *udev, const char *path) {
  int index = device_of_syspath(path);
  if (index >= 0) return device_object(index, 0);
  load_udev_device_new_from_syspath();
  return real_udev_device_new_from_syspath ? real_udev_device_new_from_syspath(udev, path) : NULL;
}
void *udev_device_new_from_devnum(struct udev *udev, char type, dev_t devnum) {
  if (type == 'c' && major(devnum) == FAKE_MAJOR && minor(devnum) < MAX_DEVICES && device_exists((int)minor(devnum)))
    return device_object((int)minor(devnum), 0);
  load_udev_device_new_from_devnum();
  return real_udev_device_new_from_devnum ? real_udev_device_new_from_devnum(udev, type, devnum) : NULL;
}

#define DEVICE_GETTER(ret, name, fake_expr, fallback)                              \
  ret name(void *dev) {                                                            \
    if (is_fake(dev, MAGIC_DEVICE)) {                                              \
      struct fake_device *d = dev;                                                 \
      (void)d;                                                                     \
      return fake_expr;                                                            \
    }                                                                              \
    load_##name();                                                                 \
    return real_##name ? real_##name(dev) : fallback;                              \
  }

DEVICE_GETTER(void *, udev_device_get_parent, d->is_parent ? NULL : device_object(d->index, 1), NULL)
DEVICE_GETTER(const char *, udev_device_get_syspath, d->syspath, NULL)
DEVICE_GETTER(const char *, udev_device_get_devnode, d->is_parent ? NULL : d->devnode, NULL)
DEVICE_GETTER(const char *, udev_device_get_subsystem, d->is_parent ? "hid" : "hidraw", NULL)
DEVICE_GETTER(const char *, udev_device_get_devtype, NULL, NULL)
DEVICE_GETTER(const char *, udev_device_get_sysname, d->sysname, NULL)
DEVICE_GETTER(const char *, udev_device_get_sysnum, d->is_parent ? NULL : d->sysname + 6, NULL)
DEVICE_GETTER(const char *, udev_device_get_driver, d->is_parent ? "hid-generic" : NULL, NULL)
DEVICE_GETTER(dev_t, udev_device_get_devnum, d->is_parent ? makedev(0, 0) : makedev(FAKE_MAJOR, d->index), makedev(0, 0))
DEVICE_GETTER(void *, udev_device_ref, dev, NULL)
DEVICE_GETTER(void *, udev_device_unref, NULL, NULL)

void *udev_device_get_parent_with_subsystem_devtype(void *dev, const char *subsystem, const char *devtype) {
  if (is_fake(dev, MAGIC_DEVICE)) {
    struct fake_device *d = dev;
    if (!d->is_parent && subsystem && strcmp(subsystem, "hid") == 0 && devtype == NULL) return device_object(d->index, 1);
    return NULL; /* no USB ancestors: like a uhid device */
  }
  load_udev_device_get_parent_with_subsystem_devtype();
  return real_udev_device_get_parent_with_subsystem_devtype ? real_udev_device_get_parent_with_subsystem_devtype(dev, subsystem, devtype) : NULL;
}

const char *udev_device_get_property_value(void *dev, const char *key) {
  if (is_fake(dev, MAGIC_DEVICE)) {
    struct fake_device *d = dev;
    if (!key) return NULL;
    if (d->is_parent && strcmp(key, "HID_ID") == 0) return d->hid_id;
    if (d->is_parent && strcmp(key, "HID_NAME") == 0) return d->hid_name;
    if (d->is_parent && strcmp(key, "HID_UNIQ") == 0) return d->hid_uniq;
    if (strcmp(key, "SUBSYSTEM") == 0) return d->is_parent ? "hid" : "hidraw";
    if (!d->is_parent && strcmp(key, "DEVNAME") == 0) return d->devnode;
    return NULL;
  }
  load_udev_device_get_property_value();
  return real_udev_device_get_property_value ? real_udev_device_get_property_value(dev, key) : NULL;
}

const char *udev_device_get_sysattr_value(void *dev, const char *attr) {
  if (is_fake(dev, MAGIC_DEVICE)) {
    struct fake_device *d = dev;
    if (attr && strcmp(attr, "uevent") == 0) return d->is_parent ? d->uevent : "MAJOR=511\n";
    return NULL;
  }
  load_udev_device_get_sysattr_value();
  return real_udev_device_get_sysattr_value ? real_udev_device_get_sysattr_value(dev, attr) : NULL;
}
