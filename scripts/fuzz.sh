#!/usr/bin/env bash
# Runs the libFuzzer targets in fuzz/targets (see fuzz/README.md).
#
#   bash scripts/fuzz.sh TARGET SECONDS    build (if needed) and fuzz one target
#   bash scripts/fuzz.sh all SECONDS       each target in turn, SECONDS each
#   bash scripts/fuzz.sh list              the target names
#
# Each run starts from the committed seeds in fuzz/corpus/TARGET, copied to a temporary
# folder that also receives what the run discovers, so the committed corpus never changes.
# A crash, leak, timeout or out-of-memory stops the run: the input is kept as
# fuzz/findings/TARGET/crash-… (git-ignored, like the last run's log, last-run.log there),
# the script prints how to replay it, and exits non-zero. Environment: FUZZ_SCRATCH (build folder, default .build-fuzz), FUZZ_CONFIG
# (release or debug, default release), FUZZ_KEEP_CORPUS=1 keeps the grown corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(FuzzSMTPCommand FuzzMessageContent FuzzPOP3Command FuzzSMTPClient FuzzSASL FuzzCommandFramer FuzzConfig FuzzPKIReaders FuzzDNSMessage FuzzDKIMSignature FuzzSPFRecord FuzzIMAPCommand FuzzModifiedUTF7 FuzzUIDList FuzzSubscriptions FuzzMIMEMessage)
scratch="${FUZZ_SCRATCH:-.build-fuzz}"
config="${FUZZ_CONFIG:-release}"

usage() {
    echo "usage: $0 TARGET|all SECONDS    (targets: ${targets[*]})" >&2
    exit 2
}

build() {
    # -sanitize=fuzzer adds coverage instrumentation and links libFuzzer (shipped in the Swift
    # toolchain's clang runtime); -DFUZZING makes each target's @main start libFuzzer.
    swift build -c "$config" --scratch-path "$scratch" --product "$1" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 \
        | grep -v "Cannot export local symbol" || true
    test -x "$scratch/$config/$1" || { echo "fuzz.sh: building $1 failed" >&2; return 1; }
}

# Extra libFuzzer flags per target. FuzzConfig: TOMLKit 0.6.0 never frees a parsed document
# (fuzz/lsan.supp), so one process outgrows -rss_limit_mb within minutes; fork mode runs the
# fuzzing in child processes that are replaced as they go, and still stops at a crash.
extra_flags() {
    case "$1" in
    FuzzConfig) echo "-fork=1" ;;
    esac
}

run() {
    local target=$1 seconds=$2
    local work findings status
    work=$(mktemp -d "${TMPDIR:-/tmp}/tsubame-fuzz-$target.XXXXXX")
    findings="fuzz/findings/$target"
    mkdir -p "$work/corpus" "$findings"
    if [ -d "fuzz/corpus/$target" ]; then cp -R "fuzz/corpus/$target/." "$work/corpus/"; fi
    echo "== $target: ${seconds}s from $(find "$work/corpus" -type f | wc -l) seed(s)"
    status=0
    # Swift's own crash backtracer would compete with AddressSanitizer's report: off.
    # One process (libFuzzer's default; -jobs/-workers would fork more). LeakSanitizer is on
    # by default with AddressSanitizer on Linux; fuzz/lsan.supp names a dependency's leaks.
    SWIFT_BACKTRACE=enable=no LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp" \
        "$scratch/$config/$target" "$work/corpus" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=4096 \
        -print_final_stats=1 -artifact_prefix="$findings/" $(extra_flags "$target") \
        >"$work/log.txt" 2>&1 || status=$?
    cp "$work/log.txt" "$findings/last-run.log"
    # The final stats: "#N DONE cov: ft: corp: exec/s:" (fork mode: its last "#N: cov: ..." line).
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$work/log.txt" \
        || grep -E '^#[0-9]+: cov:' "$work/log.txt" | tail -n 1 || true
    if [ "$status" -ne 0 ]; then
        echo "== $target FAILED (libFuzzer exit status $status); the end of its log:" >&2
        tail -n 60 "$work/log.txt" >&2
        echo "== replay: $scratch/$config/$target $findings/<crash file>  (or .build/debug/$target FILE, plain build)" >&2
        echo "== log and corpus kept in $work" >&2
        return "$status"
    fi
    if [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ]; then
        echo "== corpus kept in $work/corpus"
    else
        rm -rf "$work"
    fi
    echo "== $target: no crash, leak or timeout in ${seconds}s"
}

[ $# -ge 1 ] || usage
if [ "$1" = list ]; then printf '%s\n' "${targets[@]}"; exit 0; fi
[ $# -eq 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || usage

if [ "$1" = all ]; then
    selected=("${targets[@]}")
else
    [[ " ${targets[*]} " == *" $1 "* ]] || usage
    selected=("$1")
fi
for target in "${selected[@]}"; do build "$target"; done
failed=0
for target in "${selected[@]}"; do
    run "$target" "$2" || failed=1
done
exit "$failed"
