# Tests: Check programs speak TAP so every unit test is counted.
# --ignore-exit: a failing unit is counted once (as FAIL); a crash still
# shows up as ERROR through the missing test plan.
AM_LOG_DRIVER_FLAGS = --ignore-exit
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
AM_TESTS_ENVIRONMENT = CK_TAP_LOG_FILE_NAME=-; CK_DEFAULT_TIMEOUT=30; \
	top_srcdir='$(top_srcdir)'; top_builddir='$(top_builddir)'; \
	export CK_TAP_LOG_FILE_NAME CK_DEFAULT_TIMEOUT top_srcdir top_builddir;

TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_LIBS = libvirtio-msg.la $(CHECK_LIBS)
HARNESS = tests/harness.c tests/harness.h

if HAVE_CHECK
check_PROGRAMS += tests/check_codec tests/check_transport tests/check_virtq
TESTS += tests/check_codec tests/check_transport tests/check_virtq

tests_check_codec_SOURCES = tests/check_codec.c $(HARNESS)
tests_check_codec_CFLAGS = $(TEST_CFLAGS)
tests_check_codec_LDADD = $(TEST_LIBS)

tests_check_transport_SOURCES = tests/check_transport.c $(HARNESS)
tests_check_transport_CFLAGS = $(TEST_CFLAGS)
tests_check_transport_LDADD = $(TEST_LIBS)

tests_check_virtq_SOURCES = tests/check_virtq.c $(HARNESS)
tests_check_virtq_CFLAGS = $(TEST_CFLAGS)
tests_check_virtq_LDADD = $(TEST_LIBS)
endif
