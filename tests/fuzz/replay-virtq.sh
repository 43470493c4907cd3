#!/bin/sh
# Replay the virtq fuzz corpus through the gcc-built harness (TAP).
exec "${top_builddir:-.}/tests/fuzz/fuzz_virtq" "${top_srcdir:-.}/tests/fuzz/corpus/virtq"
