#!/bin/sh
# Replay the xsconnect fuzz corpus through the gcc-built harness (TAP).
exec "${top_builddir:-.}/tests/fuzz/fuzz_xsconnect" "${top_srcdir:-.}/tests/fuzz/corpus/xsconnect"
