import Foundation
import Logging
import TerminalUI
import Topology

/// Without the dashboard (stdout not a terminal, `--plain`, `--format json`): prints the report after
/// every poll (clearing the screen first on a terminal), until a signal or a closed stdout.
struct LiveTextMode {
    let session: MonitorSession
    let interval: Double
    let logger: Logger
    /// The report in the pieces it is made in (see `GwtopCommand.reportPieces`), for the terminal's size
    /// when stdout is one.
    let render: @Sendable (MonitorSession.Result, [MeshEvent], (rows: Int, columns: Int)?) -> [[UInt8]]

    func run() async -> Int32 {
        let interactive = isatty(STDOUT_FILENO) == 1
        let stop = StopSignal()
        let pollLoop = Task {
            while !Task.isCancelled {
                let started = ContinuousClock.now
                let result = await session.pollOnce()
                let screen = interactive ? terminalSize() : nil
                var pieces = render(result, await session.events, screen)
                if interactive {
                    var frame = String(decoding: pieces.joined(), as: UTF8.self)
                    if let screen { frame = PlainFrame.fit(frame, rows: screen.rows, columns: screen.columns) }
                    // Home, clear screen, then the frame: one write, so the terminal never shows half a frame.
                    pieces = [Array(("\u{1B}[H\u{1B}[2J" + frame).utf8)]
                } else {
                    // A pipe's reader gets the report as it was made, then its newline: a 250-server JSON
                    // report is 35 MB, and joining it, every poll, was a copy of all of it twice.
                    pieces.append([0x0A])
                }
                if !pieces.allSatisfy({ Self.writeAll($0, to: STDOUT_FILENO) }) {
                    // The reader went away (`gwtop --plain | head`): a normal end, not a crash.
                    stop.stopForClosedOutput()
                    return
                }
                let next = started + .milliseconds(Int(interval * 1000))
                while !Task.isCancelled, ContinuousClock.now < next, !session.earlyPollWanted() {
                    try? await Task.sleep(for: min(.milliseconds(50), next - ContinuousClock.now))
                }
            }
        }
        let signal = await stop.wait()
        pollLoop.cancel()
        logger.info("stopping", metadata: ["signal": "\(signal)"])
        return 0
    }

    /// The whole text, retrying short writes and EINTR; false on any other error (a reader that has gone).
    static func writeAll(_ text: String, to descriptor: Int32) -> Bool { writeAll(Array(text.utf8), to: descriptor) }

    /// write(2) directly: FileHandle traps on EPIPE, and a closed pipe is an ordinary way for a reader
    /// to say it has seen enough.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var bytes = bytes[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            bytes = bytes.dropFirst(written)
        }
        return true
    }

    func terminalSize() -> (rows: Int, columns: Int)? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return nil }
        return (Int(size.ws_row), Int(size.ws_col))
    }
}
