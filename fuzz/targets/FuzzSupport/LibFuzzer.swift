#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if FUZZING
import CLibFuzzer

/// Runs libFuzzer with this process's arguments, calling `callback` for each input, and exits
/// with libFuzzer's status. SwiftPM links every executable with the module's own main (it
/// renames it so tests can link the module), so a target cannot leave main to libFuzzer and
/// calls its driver from there instead.
public func runLibFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = Optional(CommandLine.unsafeArgv)
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}
#endif
