# SPDX-License-Identifier: GPL-2.0-or-later
# selftests/http: unit tests of ktls-serve's HTTP part (userspace/serve/http*.c),
# linked with those objects alone: no sockets, no TLS, real files.
HTTP_SRCS := $(wildcard userspace/serve/http*.c)
HTTP_OBJS := $(HTTP_SRCS:%.c=$(BUILD)/%.o)
HTTP_TEST_SRCS := $(wildcard selftests/http/*.c)
HTTP_TEST_BINS := $(addprefix $(BUILD)/tests/,$(notdir $(HTTP_TEST_SRCS:.c=)))

$(HTTP_TEST_SRCS:%.c=$(BUILD)/%.o): CPPFLAGS += -Iuserspace/serve

$(HTTP_TEST_BINS): $(BUILD)/tests/%: $(BUILD)/selftests/http/%.o $(HTTP_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $^ -o $@

EXTRA_TARGETS += $(HTTP_TEST_BINS)
EXTRA_DEPS += $(HTTP_OBJS:.o=.d) $(HTTP_TEST_SRCS:%.c=$(BUILD)/%.d)
