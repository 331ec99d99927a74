import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Paths in the temporary directory that the test process removes when it exits. Servers' directories,
/// dashboard logs and tmux scripts are read by a test until its last assertion (and a failing test's
/// message may name them), so they cannot go at once; but no run should leave them behind: a full run
/// left about fifty of them in /tmp, every run.
public enum TemporaryFiles {
    private final class Registry: @unchecked Sendable {
        // @unchecked: `paths` is only touched under `lock`.
        let lock = NSLock()
        var paths: [String] = []
    }

    private static let registry: Registry = {
        // A C function pointer: it captures nothing and reaches the paths through the static.
        atexit { TemporaryFiles.removeAll() }
        return Registry()
    }()

    /// `<temporary directory>/<name>`, removed (file or directory) when the process exits.
    public static func path(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        register(path)
        return path
    }

    /// Removes `path` when the process exits.
    public static func register(_ path: String) {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        if !registry.paths.contains(path) { registry.paths.append(path) }
    }

    private static func removeAll() {
        registry.lock.lock()
        let paths = registry.paths
        registry.paths = []
        registry.lock.unlock()
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }
}
