/*
 * Unit test of the fake-hidraw shim, built with the shim's source under ASan+UBSan
 * (make test). One process plays both sides: it listens on <dir>/hidraw0.sock, opens
 * <dir>/hidraw0 through the shim and checks every answer a host stack relies on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/hidraw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

/* The shim's libudev answers, declared as the shim defines them. */
void *udev_enumerate_new(void *udev);
int udev_enumerate_add_match_subsystem(void *e, const char *subsystem);
int udev_enumerate_scan_devices(void *e);
void *udev_enumerate_get_list_entry(void *e);
void *udev_enumerate_unref(void *e);
void *udev_list_entry_get_next(void *entry);
const char *udev_list_entry_get_name(void *entry);
void *udev_device_new_from_syspath(void *udev, const char *path);
void *udev_device_new_from_devnum(void *udev, char type, dev_t devnum);
void *udev_device_get_parent_with_subsystem_devtype(void *dev, const char *subsystem, const char *devtype);
const char *udev_device_get_devnode(void *dev);
const char *udev_device_get_syspath(void *dev);
const char *udev_device_get_sysattr_value(void *dev, const char *attr);
const char *udev_device_get_sysnum(void *dev);
void *udev_device_unref(void *dev);

static int failures;
#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
      failures++;                                                          \
    }                                                                      \
  } while (0)

int main(void) {
  char dir[] = "/tmp/fake-hidraw-test-XXXXXX";
  char node[256], sock[256], syspath[256], buf[128];
  struct sockaddr_un addr;
  struct stat st;
  CHECK(mkdtemp(dir) != NULL);
  setenv("BASTION_FAKE_HIDRAW_DIR", dir, 1);
  snprintf(node, sizeof node, "%s/hidraw0", dir);
  snprintf(sock, sizeof sock, "%s/hidraw0.sock", dir);
  snprintf(syspath, sizeof syspath, "%s/sys/hidraw0", dir);

  /* No socket yet: the device does not exist. */
  CHECK(open(node, O_RDWR) == -1 && errno == ENOENT);
  CHECK(stat(node, &st) == -1 && errno == ENOENT);

  int server = socket(AF_UNIX, SOCK_STREAM, 0);
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  CHECK(strlen(sock) < sizeof addr.sun_path);
  memcpy(addr.sun_path, sock, strlen(sock) + 1);
  CHECK(bind(server, (struct sockaddr *)&addr, sizeof addr) == 0);
  CHECK(listen(server, 4) == 0);

  /* stat/fstat: a character device (511, 0). */
  CHECK(stat(node, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 511 && minor(st.st_rdev) == 0);
  int fd = open(node, O_RDWR | O_CLOEXEC);
  CHECK(fd >= 0);
  int peer = accept(server, NULL, NULL);
  CHECK(peer >= 0);
  CHECK(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode));
  CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);

  /* The hidraw ioctls. */
  int size = 0;
  CHECK(ioctl(fd, HIDIOCGRDESCSIZE, &size) == 0 && size == 34);
  struct hidraw_report_descriptor desc;
  memset(&desc, 0, sizeof desc);
  desc.size = (unsigned)size;
  CHECK(ioctl(fd, HIDIOCGRDESC, &desc) == 0 && desc.value[0] == 0x06 && desc.value[1] == 0xd0 && desc.value[2] == 0xf1);
  struct hidraw_devinfo info;
  CHECK(ioctl(fd, HIDIOCGRAWINFO, &info) == 0 && info.bustype == 3 && (unsigned short)info.vendor == 0x1209);
  char name[8];
  CHECK(ioctl(fd, HIDIOCGRAWNAME(sizeof name), name) > 0 && name[sizeof name - 1] == '\0' && strncmp(name, "Bastion", 7) == 0);
  CHECK(ioctl(fd, HIDIOCSFEATURE(4), buf) == -1 && errno == EINVAL);
  CHECK(ioctl(fd, TCGETS, buf) == -1 && errno == ENOTTY);

  /* write: 65 bytes with report id 0 become one 64-byte record. */
  unsigned char out[65];
  for (int i = 0; i < 65; i++) out[i] = (unsigned char)i;
  CHECK(write(fd, out, sizeof out) == 65);
  unsigned char got[64];
  CHECK(recv(peer, got, 64, MSG_WAITALL) == 64 && got[0] == 1 && got[63] == 64);

  /* read: one 64-byte record per read, even when it arrives in pieces or two at once. */
  unsigned char rec[128];
  for (int i = 0; i < 128; i++) rec[i] = (unsigned char)(200 - i);
  CHECK(send(peer, rec, 10, 0) == 10);
  CHECK(send(peer, rec + 10, 118, 0) == 118);
  CHECK(read(fd, buf, sizeof buf) == 64 && (unsigned char)buf[0] == 200 && (unsigned char)buf[63] == 137);
  CHECK(read(fd, buf, 16) == 16 && (unsigned char)buf[0] == 136);

  /* libudev: enumeration of subsystem hidraw finds exactly our device. */
  void *e = udev_enumerate_new(NULL);
  CHECK(udev_enumerate_add_match_subsystem(e, "hidraw") == 0);
  CHECK(udev_enumerate_scan_devices(e) == 0);
  void *entry = udev_enumerate_get_list_entry(e);
  CHECK(entry != NULL && strcmp(udev_list_entry_get_name(entry), syspath) == 0);
  CHECK(udev_list_entry_get_next(entry) == NULL);
  void *dev = udev_device_new_from_syspath(NULL, syspath);
  CHECK(dev != NULL && strcmp(udev_device_get_devnode(dev), node) == 0);
  CHECK(strcmp(udev_device_get_sysnum(dev), "0") == 0);
  void *parent = udev_device_get_parent_with_subsystem_devtype(dev, "hid", NULL);
  CHECK(parent != NULL && strstr(udev_device_get_sysattr_value(parent, "uevent"), "HID_ID=0003:00001209:0000B457") != NULL);
  CHECK(udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device") == NULL);
  CHECK(udev_device_new_from_devnum(NULL, 'c', makedev(511, 0)) != NULL);
  udev_device_unref(dev);
  udev_enumerate_unref(e);
  e = udev_enumerate_new(NULL);
  udev_enumerate_add_match_subsystem(e, "usb");
  udev_enumerate_scan_devices(e);
  CHECK(udev_enumerate_get_list_entry(e) == NULL);
  udev_enumerate_unref(e);

  /* The device goes away: reads fail with EIO, writes fail, new opens fail. */
  close(peer);
  CHECK(read(fd, buf, 64) == -1 && errno == EIO);
  CHECK(write(fd, out, sizeof out) == -1);
  CHECK(close(fd) == 0);
  close(server);
  unlink(sock);
  CHECK(open(node, O_RDWR) == -1 && errno == ENOENT);

  /* Other paths are untouched. */
  int null = open("/dev/null", O_RDONLY);
  CHECK(null >= 0 && read(null, buf, 8) == 0 && fstat(null, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1);
  close(null);
  rmdir(dir);

  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("fake_hidraw: all checks passed\n");
  return 0;
}
