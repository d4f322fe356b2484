/* Frame codec: see frame.h and PROTOCOL.md. Fuzzed by test/fuzz-frames.c. */
#include "frame.h"
#include <string.h>

int frame_decode(const unsigned char *buf, size_t avail, struct frame *f, size_t *used) {
  if (avail < FRAME_HEADER) return FRAME_NEED_MORE;
  unsigned long len = (unsigned long)buf[0] << 24 | (unsigned long)buf[1] << 16 |
                      (unsigned long)buf[2] << 8 | (unsigned long)buf[3];
  if (len == 0) return FRAME_EMPTY;
  if (len > 1 + FRAME_MAX_PAYLOAD) return FRAME_TOO_LARGE;
  *used = FRAME_HEADER + len;
  if (avail - FRAME_HEADER < len) return FRAME_NEED_MORE;
  unsigned type = buf[FRAME_HEADER];
  if (type < FT_START || type > FT_RESULT) return FRAME_UNKNOWN_TYPE;
  f->type = type;
  f->payload = buf + FRAME_HEADER + 1;
  f->len = len - 1;
  return FRAME_OK;
}

/* Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
static int valid_utf8(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned c = p[i];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || n - i < len) return 0;
    unsigned long cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (p[i + k] & 0x3F);
    }
    static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += len;
  }
  return 1;
}

int frame_start(const struct frame *f, char *service, char *user) {
  if (f->type != FT_START) return FRAME_BAD_PAYLOAD;
  const unsigned char *nul = memchr(f->payload, 0, f->len);
  if (nul == NULL) return FRAME_BAD_PAYLOAD;
  size_t slen = (size_t)(nul - f->payload), ulen = f->len - slen - 1;
  if (slen == 0 || slen > FRAME_MAX_SERVICE || ulen == 0 || ulen > FRAME_MAX_USER)
    return FRAME_BAD_PAYLOAD;
  for (size_t i = 0; i < slen; i++)
    if (f->payload[i] <= 0x20 || f->payload[i] >= 0x7f) return FRAME_BAD_PAYLOAD;
  for (size_t i = slen + 1; i < f->len; i++)
    if (f->payload[i] < 0x20 || f->payload[i] == 0x7f) return FRAME_BAD_PAYLOAD; /* incl. NUL */
  /* One account, one spelling: bytes that are not UTF-8 would reach modules (and Node, which
   * reads them as U+FFFD) as a name other than the one the rate limit and caches key on. */
  if (!valid_utf8(nul + 1, ulen)) return FRAME_BAD_PAYLOAD;
  memcpy(service, f->payload, slen);
  service[slen] = '\0';
  memcpy(user, nul + 1, ulen);
  user[ulen] = '\0';
  return FRAME_OK;
}

int frame_answer(const struct frame *f) {
  if (f->type != FT_ANSWER || f->len > FRAME_MAX_ANSWER) return FRAME_BAD_PAYLOAD;
  return memchr(f->payload, 0, f->len) == NULL ? FRAME_OK : FRAME_BAD_PAYLOAD;
}

size_t frame_encode(unsigned char *out, unsigned type, const void *payload, size_t len) {
  if (len > FRAME_MAX_PAYLOAD) return 0;
  size_t n = len + 1;
  out[0] = (unsigned char)(n >> 24);
  out[1] = (unsigned char)(n >> 16);
  out[2] = (unsigned char)(n >> 8);
  out[3] = (unsigned char)n;
  out[4] = (unsigned char)type;
  if (len > 0) memcpy(out + FRAME_HEADER + 1, payload, len);
  return FRAME_HEADER + n;
}
