import Foundation
import Logging
import MonitorModel

/// Appends log lines to a file. gwtop never logs to stdout or stderr on its own: stdout carries the
/// report (or, later, the screen) and must stay clean.
struct FileLogHandler: LogHandler {
    /// One shared handle; FileHandle writes are atomic per call, which is all ordering we need.
    /// @unchecked: FileHandle is thread-safe for `write`, and the handle is never reassigned.
    final class Sink: @unchecked Sendable {
        let handle: FileHandle
        init(path: String) throws {
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw CLIError("cannot create log file \(path)")
                }
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw CLIError("cannot open log file \(path)") }
            handle.seekToEndOfFile()
            self.handle = handle
        }
        func write(_ line: String) { handle.write(Data(line.utf8)) }
    }

    let label: String
    let sink: Sink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let metadataText = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
        let time = MonitorTime.now.rfc3339
        sink.write("\(time) \(event.level) \(label): \(event.message)\(metadataText)\n")
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
