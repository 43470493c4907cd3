#!/bin/sh
# virtio-msg-decode: golden JSON for every message kind (hex and binary
# input), malformed input handling, exit codes.  TAP output.
src=${top_srcdir:-.}
tool=${top_builddir:-.}/virtio-msg-decode
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
ok() {  # ok <description> <command status>
    n=$((n + 1))
    if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fails=$((fails + 1)); fi
}

"$tool" --hex < "$src/tests/data/decode-all.hex" > "$tmp/out"; rc=$?
cmp -s "$tmp/out" "$src/tests/data/decode-all.expected"; ok "hex: golden JSON for every message kind" $?
[ "$rc" -eq 1 ]; ok "hex: exit 1 when some messages are malformed" $?

# Binary: the 30 seed messages back to back give the same first 30 lines.
cat "$src"/tests/fuzz/corpus/decode/seed-0* "$src"/tests/fuzz/corpus/decode/seed-1* \
    "$src"/tests/fuzz/corpus/decode/seed-2* > "$tmp/stream"
"$tool" < "$tmp/stream" > "$tmp/bout"; rc=$?
head -n 30 "$src/tests/data/decode-all.expected" | cmp -s - "$tmp/bout"; ok "binary: stream of 30 messages decodes as in hex" $?
[ "$rc" -eq 0 ]; ok "binary: exit 0 when all valid" $?

# Binary: a bad message in the middle is reported and decoding goes on.
{ cat "$src/tests/fuzz/corpus/decode/seed-00"; printf '\000\015\000\000\000\000\010\000'; \
  cat "$src/tests/fuzz/corpus/decode/seed-11"; } | "$tool" > "$tmp/mid"
sed -n 2p "$tmp/mid" | grep -q '"error":"unknown msg_id"' && \
    sed -n 3p "$tmp/mid" | grep -q '"name":"GET_DEVICE_STATUS"'
ok "binary: goes on after a malformed message" $?

# Binary: truncated tail is reported, no crash.
{ cat "$src/tests/fuzz/corpus/decode/seed-01"; printf '\001\002\000\000\000\000\040\000\001'; } \
    | "$tool" > "$tmp/trunc"
tail -n 1 "$tmp/trunc" | grep -q 'truncated message'; ok "binary: truncated tail reported" $?

printf '0002 0000 0000 0c00 03000000\n' | "$tool" --hex --max-size 8 | grep -q 'larger than the bus maximum'
ok "--max-size rejects larger messages" $?

"$tool" --bogus > /dev/null 2>&1; [ $? -eq 2 ]; ok "unknown option: exit 2" $?
"$tool" --max-size 3 > /dev/null 2>&1; [ $? -eq 2 ]; ok "bad --max-size: exit 2" $?
: | "$tool"; [ $? -eq 0 ]; ok "empty input: no output, exit 0" $?

echo "1..$n"
exit 0
