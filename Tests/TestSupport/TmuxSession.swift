import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Drives a program in a detached tmux session, the way a user's terminal would: keys in, screen out.
/// Each session uses its own tmux server socket so tests never touch a user's tmux.
public final class TmuxSession: @unchecked Sendable {
    // @unchecked: immutable after init; tmux itself serialises the commands.
    public let socket: String
    public let name = "gwtop"

    public static var installed: Bool { (try? ProcessRunner.run("/usr/bin/env", ["tmux", "-V"]).status) == 0 }

    public init(command: String, width: Int, height: Int, environment: [String: String] = [:]) throws {
        socket = "gwtop-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let exports = environment.map { "export \($0.key)='\($0.value)'; " }.joined()
        // The shell stays after the program exits, so the test can see what the terminal looks like then
        // (for two minutes at most, should a session ever outlive its test).
        // Written to a file and run by bash, so no quoting layer expands `$?` too early.
        let scriptPath = TemporaryFiles.path("\(socket).sh")
        let script = """
            \(exports)\(command)
            echo "[exit $?]"
            echo "tty: $(stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo|isig)$' | tr '\\n' ' ')"
            sleep 120
            """
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", "bash --norc --noprofile \(scriptPath)"])
    }

    @discardableResult
    public func tmux(_ arguments: [String]) throws -> String {
        let output = try ProcessRunner.run("/usr/bin/env", ["tmux", "-L", socket, "-f", "/dev/null"] + arguments,
                                           environment: ["PATH": "/usr/bin:/bin", "TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"])
        guard output.status == 0 else { throw TmuxError("tmux \(arguments.first ?? ""): \(output.stderr)") }
        return output.stdout
    }

    public func send(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }

    public func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", name]) }

    public func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Polls the screen until `condition` holds on a screen that has finished drawing, and returns it;
    /// throws when `timeout` passes first, with the last screen in the error, so a step the dashboard
    /// never reached fails its test there (a wait whose result was ignored used to let the test go on as
    /// if it had).
    @discardableResult
    public func waitFor(_ what: String = "the condition", timeout: Double = 10, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        repeat {
            let current = try screen()
            // A frame can be captured half drawn (the header already new, the rows below not yet): the
            // screen counts once it holds still for one more look, 50 ms later.
            if condition(current), current == last { return current }
            last = current
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        throw TmuxError("waited \(timeout) s for \(what); the screen was:\n\(last)")
    }

    @discardableResult
    public func waitFor(_ text: String, timeout: Double = 10) throws -> String {
        try waitFor("\"\(text)\"", timeout: timeout) { $0.contains(text) }
    }

    /// The process tmux started in the pane (the shell that runs the command).
    public func panePID() throws -> Int32? {
        Int32(try tmux(["display-message", "-p", "-t", name, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Ends the session as a closed terminal would: the pane's processes see their terminal hang up and
    /// are left to act on it. `kill-server` alone answered success and left these servers running (tmux
    /// 3.3a: every session of a full test run was still there afterwards, its shell sleeping); killing
    /// the session first ends it, and the server with its last session.
    public func hangUp() {
        for _ in 0..<3 {
            _ = try? tmux(["kill-session", "-t", name])
            _ = try? tmux(["kill-server"])
            if (try? tmux(["has-session", "-t", name])) == nil { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Ends the pane's processes, then the session. The processes go first: the test runner's children
    /// inherit an ignored SIGHUP, so a hangup alone left each shell asleep for its two minutes.
    public func close() {
        if let pid = try? panePID(), pid > 1 { kill(-pid, SIGKILL) }
        hangUp()
    }

    deinit { close() }

    public struct TmuxError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
