/* libFuzzer target for the frame codec (frame.c): decodes a byte stream frame by frame as the
 * helper would, validates START and ANSWER payloads, and checks decode(encode(x)) == x. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

static unsigned char scratch[FRAME_HEADER + 1 + FRAME_MAX_PAYLOAD];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t off = 0;
  while (off < size) {
    struct frame f;
    size_t used = 0;
    int st = frame_decode(data + off, size - off, &f, &used);
    if (st == FRAME_NEED_MORE) {
      if (size - off >= FRAME_HEADER &&
          (used <= size - off || used > FRAME_HEADER + 1 + FRAME_MAX_PAYLOAD))
        abort(); /* the announced size must be what is missing, and bounded */
      break;
    }
    if (st != FRAME_OK) break;
    if (used < FRAME_HEADER + 1 || used > size - off || f.len != used - FRAME_HEADER - 1) abort();
    char service[FRAME_MAX_SERVICE + 1], user[FRAME_MAX_USER + 1];
    if (frame_start(&f, service, user) == FRAME_OK &&
        (strlen(service) + 1 + strlen(user) != f.len || service[0] == '\0' || user[0] == '\0'))
      abort();
    if (frame_answer(&f) == FRAME_OK && (f.len > FRAME_MAX_ANSWER || memchr(f.payload, 0, f.len)))
      abort();
    /* round trip */
    size_t n = frame_encode(scratch, f.type, f.payload, f.len);
    struct frame g;
    size_t used2 = 0;
    if (n != used || frame_decode(scratch, n, &g, &used2) != FRAME_OK || used2 != n ||
        g.type != f.type || g.len != f.len || memcmp(g.payload, f.payload, f.len) != 0)
      abort();
    off += used;
  }
  return 0;
}
