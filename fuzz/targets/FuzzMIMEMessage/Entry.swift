import FuzzSupport

// See runFuzzTarget: libFuzzer's driver under FUZZING, a replay of files otherwise.
@main enum Entry {
    static func main() {
        runFuzzTarget(fuzzMIMEMessage)
    }
}
