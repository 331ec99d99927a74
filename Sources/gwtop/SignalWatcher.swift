import Foundation

/// SIGINT, SIGTERM and SIGHUP (the SSH link dropped) become events instead of an abrupt exit, so every
/// mode can end cleanly (and the dashboard can restore the terminal). SIGPIPE is ignored: a closed
/// stdout is handled where it is written.
final class SignalWatcher: @unchecked Sendable {
    // @unchecked: the sources are created in init and only kept alive afterwards.
    private var sources: [any DispatchSourceSignal] = []

    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        signal(SIGPIPE, SIG_IGN)
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
    }

    deinit { sources.forEach { $0.cancel() } }
}

/// A signal (or another reason to stop) as something to await.
final class StopSignal: Sendable {
    private let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    private let watcher: SignalWatcher

    init() {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        self.continuation = continuation
        self.watcher = SignalWatcher { continuation.yield($0) }
    }

    /// Ends the wait as if a signal had arrived (used when stdout is gone).
    func stopForClosedOutput() { continuation.yield(SIGPIPE) }

    /// Ends the wait for a reason of the program's own (a --duration that ran out).
    func stopNow() { continuation.yield(0) }

    func wait() async -> Int32 {
        for await number in stream { return number }
        return 0
    }
}
