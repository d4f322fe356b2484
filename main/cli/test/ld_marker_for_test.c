/* Test-only shared object: its constructor creates the file MARKER_PATH (set with -D when the
 * test builds it). Loaded through LD_PRELOAD / LD_LIBRARY_PATH / LD_AUDIT, the marker proves the
 * loader applied the variable to a program. la_version makes it a valid audit library too. */
#include <fcntl.h>
#include <unistd.h>

__attribute__((constructor)) static void mark(void) {
  int fd = open(MARKER_PATH, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
}

unsigned int la_version(unsigned int version) { return version; }
