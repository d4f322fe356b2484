/* Frame codec of the helper wire protocol (PROTOCOL.md), shared by the helper and the fuzz target.
 * Pure functions on caller buffers: no I/O, no allocation. */
#ifndef BASTION_FRAME_H
#define BASTION_FRAME_H
#include <stddef.h>

#define FRAME_HEADER 4           /* u32 big-endian length (type byte + payload) */
#define FRAME_MAX_PAYLOAD 8192
#define FRAME_MAX_ANSWER 512     /* PAM_MAX_RESP_SIZE */
#define FRAME_MAX_SERVICE 64
#define FRAME_MAX_USER 120       /* hex-encoded into a rate-limit file name: must fit NAME_MAX */

enum frame_type {
  FT_START = 1, FT_ECHO_OFF, FT_ECHO_ON, FT_INFO, FT_ERROR, FT_ANSWER, FT_CANCEL, FT_RESULT
};

enum frame_status {
  FRAME_OK = 0,
  FRAME_NEED_MORE = 1,   /* not an error: fewer bytes than the frame needs */
  FRAME_EMPTY = -1,      /* length 0: no type byte */
  FRAME_TOO_LARGE = -2,  /* length > 1 + FRAME_MAX_PAYLOAD */
  FRAME_UNKNOWN_TYPE = -3,
  FRAME_BAD_PAYLOAD = -4 /* frame_start / frame_answer: payload not acceptable */
};

struct frame {
  unsigned type;
  const unsigned char *payload; /* points into the decoded buffer */
  size_t len;
};

/* Decodes the frame at the start of buf[0..avail). On FRAME_OK fills *f and sets *used to the
 * frame's total size; on FRAME_NEED_MORE with avail >= FRAME_HEADER, *used is the size the frame
 * will have. Only the 4 length bytes are needed to reject a bad length. */
int frame_decode(const unsigned char *buf, size_t avail, struct frame *f, size_t *used);

/* START payload "service\0user": exactly one NUL, both parts non-empty, within the limits above,
 * printable ASCII for the service, no control bytes in the user, which must be valid UTF-8. Copies both NUL-terminated
 * into service[FRAME_MAX_SERVICE + 1] and user[FRAME_MAX_USER + 1]. */
int frame_start(const struct frame *f, char *service, char *user);

/* ANSWER payload: at most FRAME_MAX_ANSWER bytes, no NUL. */
int frame_answer(const struct frame *f);

/* Writes a frame of `type` carrying payload[0..len) into out (room for FRAME_HEADER + 1 + len);
 * returns its size, or 0 if len is over FRAME_MAX_PAYLOAD. */
size_t frame_encode(unsigned char *out, unsigned type, const void *payload, size_t len);

#endif
