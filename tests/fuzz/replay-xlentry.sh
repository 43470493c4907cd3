#!/bin/sh
# Replay the xlentry fuzz corpus through the gcc-built harness (TAP).
exec "${top_builddir:-.}/tests/fuzz/fuzz_xlentry" "${top_srcdir:-.}/tests/fuzz/corpus/xlentry"
