#!/bin/sh
# Replay the ring fuzz corpus through the gcc-built harness (TAP).
exec "${top_builddir:-.}/tests/fuzz/fuzz_ring" "${top_srcdir:-.}/tests/fuzz/corpus/ring"
