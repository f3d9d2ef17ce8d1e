// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handoff request decoder (userspace/ktlsd/handoff_request.c) on
 * arbitrary bytes and control buffers. Input: 2 bytes control length
 * (little-endian, capped at 512), 1 byte of flags (bit 0 MSG_TRUNC, bit 1
 * MSG_CTRUNC), the control buffer, then the request bytes. The fd numbers
 * in it are made up: the decoder must never use or close them, and this
 * target never does either.
 */
#include <assert.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "ktlsd/handoff_request.h"

#define MAX_CONTROL 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union {
		unsigned char buf[MAX_CONTROL];
		struct cmsghdr align;
	} control;
	struct handoff_request r;
	size_t control_len;
	int flags = 0, ret;
	char why[256];

	if (size < 3)
		return 0;
	control_len = (size_t)(data[0] | data[1] << 8) % (MAX_CONTROL + 1);
	if (data[2] & 1)
		flags |= MSG_TRUNC;
	if (data[2] & 2)
		flags |= MSG_CTRUNC;
	data += 3;
	size -= 3;
	if (control_len > size)
		control_len = size;
	memcpy(control.buf, data, control_len);
	data += control_len;
	size -= control_len;

	handoff_request_fds(control_len ? control.buf : NULL, control_len, &r);
	assert(r.nr_fds >= 0 && r.nr_fds <= HANDOFF_REQUEST_MAX_FDS);
	assert(r.nr_fds <= r.nr_named);
	ret = handoff_request_decode(data, size, flags, &r, why, sizeof(why));
	assert(memchr(why, '\0', sizeof(why)) || !ret);
	if (!ret) {
		assert(size == sizeof(r.req));
		assert(r.nr_fds == 1 && r.fds[0] >= 0);
		assert(r.req.role == KTLS_HANDOFF_WIRE_CLIENT ||
		       r.req.role == KTLS_HANDOFF_WIRE_SERVER);
		assert(memchr(r.req.server_name, '\0',
			      sizeof(r.req.server_name)));
		assert(memchr(r.req.alpn, '\0', sizeof(r.req.alpn)));
	}
	return 0;
}
