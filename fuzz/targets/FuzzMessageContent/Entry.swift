import FuzzSupport

// -sanitize=fuzzer links libFuzzer, whose own main calls LLVMFuzzerTestOneInput. SwiftPM points
// an executable's main at the module's @main (it renames entry points so that tests can link
// executable modules), so under FUZZING @main starts libFuzzer's driver itself. A plain build
// (no FUZZING) replays the files named on the command line through the same function.
#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzMessageContent(FuzzInput(data, size))
    return 0
}
#endif

@main enum Entry {
    static func main() {
        #if FUZZING
        runLibFuzzer(fuzzTestOneInput)
        #else
        replayInputs(CommandLine.arguments, fuzzMessageContent)
        #endif
    }
}
