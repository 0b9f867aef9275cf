#ifndef C_LIBFUZZER_H
#define C_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for programs that have their own main (LLVM 12 and later). Defined by the
/// libFuzzer runtime that `-sanitize=fuzzer` links; referenced only in builds made with
/// -DFUZZING (scripts/fuzz.sh), so a plain build never needs it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
