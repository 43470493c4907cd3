#!/bin/sh
# Replay the decode fuzz corpus through the gcc-built harness (TAP).
exec "${top_builddir:-.}/tests/fuzz/fuzz_decode" "${top_srcdir:-.}/tests/fuzz/corpus/decode"
