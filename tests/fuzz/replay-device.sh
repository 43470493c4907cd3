#!/bin/sh
# Replay the device fuzz corpus through the gcc-built harness (TAP).
exec "${top_builddir:-.}/tests/fuzz/fuzz_device" "${top_srcdir:-.}/tests/fuzz/corpus/device"
