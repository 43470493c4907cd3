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
check_PROGRAMS += tests/check_codec tests/check_transport tests/check_virtq tests/check_virtq_packed \
	tests/check_checklist tests/check_grant_pool tests/check_page_index \
	tests/check_poll_window tests/check_msg_ring
TESTS += tests/check_codec tests/check_transport tests/check_virtq tests/check_virtq_packed \
	tests/check_checklist tests/check_grant_pool tests/check_page_index \
	tests/check_poll_window tests/check_msg_ring

tests_check_grant_pool_SOURCES = tests/check_grant_pool.c $(HARNESS)
tests_check_grant_pool_CFLAGS = $(TEST_CFLAGS)
tests_check_grant_pool_LDADD = $(TEST_LIBS)
tests_check_page_index_SOURCES = tests/check_page_index.c $(HARNESS)
tests_check_page_index_CFLAGS = $(TEST_CFLAGS)
tests_check_page_index_LDADD = $(TEST_LIBS)
tests_check_poll_window_SOURCES = tests/check_poll_window.c lib/poll_window.c $(HARNESS)
tests_check_poll_window_CFLAGS = $(TEST_CFLAGS)
tests_check_poll_window_LDADD = $(TEST_LIBS)
tests_check_msg_ring_SOURCES = tests/check_msg_ring.c $(HARNESS)
tests_check_msg_ring_CFLAGS = $(TEST_CFLAGS)
tests_check_msg_ring_LDADD = $(TEST_LIBS)
tests_check_codec_SOURCES = tests/check_codec.c $(HARNESS)
tests_check_codec_CFLAGS = $(TEST_CFLAGS)
tests_check_codec_LDADD = $(TEST_LIBS)

tests_check_transport_SOURCES = tests/check_transport.c $(HARNESS)
tests_check_transport_CFLAGS = $(TEST_CFLAGS)
tests_check_transport_LDADD = $(TEST_LIBS)

tests_check_checklist_SOURCES = tests/check_checklist.c $(HARNESS)
tests_check_checklist_CFLAGS = $(TEST_CFLAGS)
tests_check_checklist_LDADD = $(TEST_LIBS)

tests_check_virtq_SOURCES = tests/check_virtq.c $(HARNESS)
tests_check_virtq_CFLAGS = $(TEST_CFLAGS)
tests_check_virtq_LDADD = $(TEST_LIBS)
tests_check_virtq_packed_SOURCES = tests/check_virtq_packed.c $(HARNESS)
tests_check_virtq_packed_CFLAGS = $(TEST_CFLAGS)
tests_check_virtq_packed_LDADD = $(TEST_LIBS)
endif

# Fuzz harnesses: built with gcc as corpus replayers for make check;
# `make fuzz` builds them with libFuzzer and fuzzes for FUZZ_SECONDS each.
FUZZ_NAMES = decode virtq device ring xlentry store
FUZZ_COMMON = tests/fuzz/replay_main.c tests/fuzz/fuzz.h
check_PROGRAMS += tests/fuzz/fuzz_decode tests/fuzz/fuzz_virtq tests/fuzz/fuzz_device \
	tests/fuzz/fuzz_ring tests/fuzz/fuzz_xlentry tests/fuzz/fuzz_store
TESTS += tests/fuzz/replay-decode.sh tests/fuzz/replay-virtq.sh tests/fuzz/replay-device.sh \
	tests/fuzz/replay-ring.sh tests/fuzz/replay-xlentry.sh tests/fuzz/replay-store.sh
tests_fuzz_fuzz_decode_SOURCES = tests/fuzz/fuzz_decode.c tools/msg_json.c $(FUZZ_COMMON)
tests_fuzz_fuzz_decode_LDADD = libvirtio-msg.la
tests_fuzz_fuzz_virtq_SOURCES = tests/fuzz/fuzz_virtq.c $(FUZZ_COMMON)
tests_fuzz_fuzz_virtq_LDADD = libvirtio-msg.la
tests_fuzz_fuzz_device_SOURCES = tests/fuzz/fuzz_device.c $(FUZZ_COMMON)
tests_fuzz_fuzz_device_LDADD = libvirtio-msg.la
tests_fuzz_fuzz_store_SOURCES = tests/fuzz/fuzz_store.c $(FUZZ_COMMON)
tests_fuzz_fuzz_store_LDADD = libvirtio-msg.la
tests_fuzz_fuzz_ring_SOURCES = tests/fuzz/fuzz_ring.c $(FUZZ_COMMON)
tests_fuzz_fuzz_ring_LDADD = libvirtio-msg.la
tests_fuzz_fuzz_xlentry_SOURCES = tests/fuzz/fuzz_xlentry.c tools/xl_entry.c tools/xl_entry.h $(FUZZ_COMMON)
# The backend's reading of xenstore, the Xen libraries replaced by fakes.
if HAVE_XEN
check_PROGRAMS += tests/fuzz/fuzz_xsconnect
TESTS += tests/fuzz/replay-xsconnect.sh
tests_fuzz_fuzz_xsconnect_SOURCES = tests/fuzz/fuzz_xsconnect.c tests/fake_xen.c tests/fake_xen.h \
	bus/xen/xen_be.c bus/xen/xs_util.c $(FUZZ_COMMON)
tests_fuzz_fuzz_xsconnect_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bus/xen $(XEN_CFLAGS)
tests_fuzz_fuzz_xsconnect_LDADD = libvirtio-msg.la
endif
# The Xen backend's grant copy and batch map, against fake grants.
if HAVE_XEN
check_PROGRAMS += tests/check_xen_dma
TESTS += tests/check_xen_dma
tests_check_xen_dma_SOURCES = tests/check_xen_dma.c tests/fake_xen.c tests/fake_xen.h \
	bus/xen/xen_be.c bus/xen/xs_util.c $(HARNESS)
tests_check_xen_dma_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bus/xen $(XEN_CFLAGS)
tests_check_xen_dma_CFLAGS = $(TEST_CFLAGS)
tests_check_xen_dma_LDADD = $(TEST_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz_xsconnect.c tests/fuzz/replay-xsconnect.sh tests/check_xen_dma.c \
	tests/fake_xen.c tests/fake_xen.h
EXTRA_DIST += tests/fuzz/replay-decode.sh tests/fuzz/replay-virtq.sh \
	tests/fuzz/replay-device.sh tests/fuzz/replay-ring.sh tests/fuzz/replay-xlentry.sh \
	tests/fuzz/replay-store.sh tests/fuzz/run-libfuzzer.sh tools/xl_entry.c tools/xl_entry.h \
	tests/fuzz/make-seeds.py tests/fuzz/corpus

fuzz:
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} $(SHELL) $(top_srcdir)/tests/fuzz/run-libfuzzer.sh
.PHONY: fuzz

TESTS += tests/test-decode-tool.sh
EXTRA_DIST += tests/test-decode-tool.sh tests/data

# End-to-end tests on the host bus (real processes).
check_PROGRAMS += tests/integration/unix-chat tests/integration/attack
tests_integration_attack_SOURCES = tests/integration/attack.c
tests_integration_attack_CPPFLAGS = $(AM_CPPFLAGS) $(XEN_CFLAGS)
tests_integration_attack_LDADD = $(XEN_LIB) libvirtio-msg.la $(XEN_LIBS)
tests_integration_unix_chat_SOURCES = tests/integration/unix-chat.c
TESTS += tests/integration/host-e2e.sh
EXTRA_DIST += tests/integration/host-e2e.sh
TESTS += tests/integration/hotplug.sh
EXTRA_DIST += tests/integration/hotplug.sh
TESTS += tests/integration/net.sh
EXTRA_DIST += tests/integration/net.sh tests/integration/tap.sh
TESTS += tests/integration/restart.sh tests/integration/kill-frontend.sh tests/integration/blk-mq.sh \
	tests/integration/hostile.sh tests/integration/store.sh tests/integration/backend-variants.sh tests/integration/polling.sh \
	tests/integration/blk-batch.sh tests/integration/fleet.sh tests/integration/packed.sh
EXTRA_DIST += tests/integration/restart.sh tests/integration/kill-frontend.sh tests/integration/blk-mq.sh \
	tests/integration/hostile.sh tests/integration/store.sh tests/integration/backend-variants.sh tests/integration/polling.sh \
	tests/integration/blk-batch.sh tests/integration/fleet.sh tests/integration/packed.sh
if HAVE_XEN
TESTS += tests/integration/xl-config.sh
endif
EXTRA_DIST += tests/integration/xl-config.sh
