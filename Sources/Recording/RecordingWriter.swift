import Foundation
import MonitorModel

/// Appends one record per poll to a recording file. Every record goes out in a single write(2) as soon
/// as the poll ends (no user-space buffering), so a recorder killed with SIGKILL loses at most the
/// record it was writing. An existing recording is appended to; any other existing file is refused.
public final class RecordingWriter: @unchecked Sendable {
    // @unchecked: the descriptor is only used under `lock`.
    private let lock = NSLock()
    private var descriptor: Int32
    public let path: String
    public private(set) var recordsWritten = 0
    public private(set) var bytesWritten = 0

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(path: String) throws {
        self.path = path
        // 0600: a recording holds the whole mesh's topology and traffic, not for every local user.
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw Failure(description: "cannot open recording \(path) for writing: \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            close(fd)
            throw Failure(description: "cannot stat recording \(path): \(String(cString: strerror(errno)))")
        }
        if status.st_size == 0 {
            try write(RecordingFormat.fileHeader())
        } else {
            // Appending to something that is not a recording would ruin both.
            let existing = FileHandle(forReadingAtPath: path)
            let head = (try? existing?.read(upToCount: RecordingFormat.fileHeaderSize)) ?? nil
            try? existing?.close()
            guard let head, head.count == RecordingFormat.fileHeaderSize, Array(head.prefix(8)) == RecordingFormat.fileMagic,
                head.readLittleEndian(at: 8) as UInt32 == RecordingFormat.version
            else {
                close(fd)
                throw Failure(description: "\(path) exists and is not a gwtop recording (version \(RecordingFormat.version)); refusing to append to it")
            }
        }
    }

    deinit { close(descriptor) }

    /// Compresses and appends one poll; returns the bytes written.
    @discardableResult
    public func append(_ poll: RecordedPoll) throws -> Int {
        let frame = try RecordingFormat.frame(payload: try poll.encodedPayload(), timeNanoseconds: poll.finishedAt.nanosecondsSince1970)
        try lock.withLock { try write(frame) }
        lock.withLock {
            recordsWritten += 1
            bytesWritten += frame.count
        }
        return frame.count
    }

    private func write(_ data: Data) throws {
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "cannot write to recording \(path): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }
}
