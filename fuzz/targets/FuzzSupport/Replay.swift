#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a fuzz target's executable does when it is built without libFuzzer (a plain
/// `swift build`): runs the fuzz function once on each file named on the command line, or on
/// each file in a named folder (a corpus). A crash input found by libFuzzer can so be replayed
/// under a debugger, and the targets stay part of the normal build.
public func replayInputs(_ arguments: [String], _ body: (FuzzInput) -> Void) -> Never {
    exit(replay(arguments, body))
}

func replay(_ arguments: [String], _ body: (FuzzInput) -> Void) -> Int32 {
    let paths = Array(arguments.dropFirst())
    guard !paths.isEmpty else {
        print("usage: \(arguments.first ?? "fuzz-target") FILE|FOLDER...")
        print("Runs the fuzz function on each input; build with scripts/fuzz.sh to fuzz with libFuzzer.")
        return 2
    }
    var count = 0
    for path in paths {
        for file in filesIn(path) {
            guard let bytes = readFile(file) else {
                print("cannot read \(file)")
                return 1
            }
            body(FuzzInput(bytes))
            count += 1
        }
    }
    print("ran \(count) input(s), no invariant violated")
    return 0
}

private func filesIn(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [path] }
    defer { closedir(directory) }
    var files: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name.hasPrefix(".") { continue }
        files.append(path + "/" + name)
    }
    return files.sorted()
}

private func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count == 0 { break }
        bytes += chunk[0..<count]
    }
    return bytes
}
