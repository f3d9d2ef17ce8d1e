# SPDX-License-Identifier: GPL-2.0-or-later
# selftests/http: unit tests of ktls-serve's HTTP part (userspace/serve/http*.c),
# linked with those objects alone: no sockets, no TLS, real files.
HTTP_SRCS := $(wildcard userspace/serve/http*.c)
HTTP_OBJS := $(HTTP_SRCS:%.c=$(BUILD)/%.o)
HTTP_TEST_SRCS := $(wildcard selftests/http/*.c)
HTTP_TEST_BINS := $(addprefix $(BUILD)/tests/,$(notdir $(HTTP_TEST_SRCS:.c=)))

# A pattern rule, not an explicit one: this file is read before the Makefile's
# all:, and an explicit target here would become the default goal of "make".
$(BUILD)/selftests/http/%.o: CPPFLAGS += -Iuserspace/serve

$(BUILD)/tests/%: $(BUILD)/selftests/http/%.o $(HTTP_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $^ -o $@

EXTRA_TARGETS += $(HTTP_TEST_BINS)
EXTRA_DEPS += $(HTTP_OBJS:.o=.d) $(HTTP_TEST_SRCS:%.c=$(BUILD)/%.d)
