import Foundation

/// The files this process holds open, read from /proc/self/fd (Linux only; elsewhere the list is
/// empty and `areVisible` is false). Tests run in parallel in one process, so they look only at
/// descriptors whose file lies in their own temporary folder.
enum OpenDescriptors {
    struct Entry {
        var descriptor: Int32
        var path: String
    }

    static var areVisible: Bool { FileManager.default.fileExists(atPath: "/proc/self/fd") }

    /// Open descriptors whose file lies under `folder`.
    static func under(_ folder: String) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { name in
            guard let descriptor = Int32(name),
                  let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)"),
                  path.hasPrefix(folder + "/")
            else { return nil }
            return Entry(descriptor: descriptor, path: path)
        }
    }
}
