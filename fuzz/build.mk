FUZZ_SRCS_hello := userspace/lib/hello.c
