#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fuzz function of this executable; set once by `runFuzzTarget` before any input runs.
nonisolated(unsafe) private var currentTarget: ((FuzzInput) -> Void)?

#if FUZZING
/// libFuzzer's entry point, one per executable: every target links this module once.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    currentTarget?(FuzzInput(data, size))
    return 0
}
#endif

/// What each target's `main` does. `-sanitize=fuzzer` links libFuzzer, whose own main would call
/// `LLVMFuzzerTestOneInput`, but SwiftPM points an executable's main at the module's `@main` (it
/// renames entry points so that tests can link executable modules), so under FUZZING this starts
/// libFuzzer's driver itself. A plain build (no FUZZING) replays the files named on the command
/// line through the same function.
public func runFuzzTarget(_ target: @escaping (FuzzInput) -> Void) -> Never {
    currentTarget = target
    #if FUZZING
    runLibFuzzer(fuzzTestOneInput)
    #else
    replayInputs(CommandLine.arguments, target)
    #endif
}
