import Foundation
import Logging

/// Until the curses dashboard lands: redraws the text report after every poll (clearing the screen
/// when stdout is a terminal), until SIGINT or SIGTERM.
struct LiveTextMode {
    let session: MonitorSession
    let interval: Double
    let logger: Logger
    let render: @Sendable (MonitorSession.Result) -> String

    func run() async -> Int32 {
        let interactive = isatty(STDOUT_FILENO) == 1
        let stop = StopSignal()
        let pollLoop = Task {
            while !Task.isCancelled {
                let started = ContinuousClock.now
                let result = await session.pollOnce()
                var frame = render(result)
                if interactive, let rows = terminalRows() {
                    frame = Self.fit(frame, rows: rows)
                }
                if interactive {
                    // Home, clear screen, then the frame: one write, so the terminal never shows half a frame.
                    FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + frame).utf8))
                } else {
                    FileHandle.standardOutput.write(Data((frame + "\n").utf8))
                }
                let remaining = Duration.milliseconds(Int(interval * 1000)) - (ContinuousClock.now - started)
                if remaining > .zero { try? await Task.sleep(for: remaining) }
            }
        }
        let signal = await stop.wait()
        pollLoop.cancel()
        logger.info("stopping", metadata: ["signal": "\(signal)"])
        return 0
    }

    /// Keeps the top of the frame (the summary stays visible) and says how much was cut.
    static func fit(_ frame: String, rows: Int) -> String {
        var lines = frame.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.count > rows, rows > 2 else { return frame }
        let kept = lines.prefix(rows - 1)
        return kept.joined(separator: "\n") + "\n… \(lines.count - kept.count) more lines (enlarge the window, or use --once)"
    }

    func terminalRows() -> Int? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return nil }
        return Int(size.ws_row)
    }
}

/// Turns SIGINT / SIGTERM / SIGHUP into an awaitable event instead of an abrupt process exit.
/// @unchecked: the signal sources are created in init and only kept alive afterwards, never mutated.
final class StopSignal: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation

    init() {
        (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let continuation = self.continuation
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func wait() async -> Int32 {
        for await number in stream { return number }
        return 0
    }
}
