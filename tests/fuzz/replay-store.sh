#!/bin/sh
# Replay the host store fuzz corpus through the gcc-built harness (TAP).
exec "${top_builddir:-.}/tests/fuzz/fuzz_store" "${top_srcdir:-.}/tests/fuzz/corpus/store"
