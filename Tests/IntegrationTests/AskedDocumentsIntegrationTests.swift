import Foundation
import TestSupport
import Testing

/// What the gwtop binary asks a server for, by mode: the per-account interest lists (`accs=1`) only
/// when something will show them. A server answering with recorded documents lists the paths asked.
@Suite(.serialized) struct AskedDocumentsIntegrationTests {
    static let withAccounts: Set<String> = ["/varz", "/gatewayz?accs=1", "/routez", "/healthz"]
    static let withoutAccounts: Set<String> = ["/varz", "/gatewayz", "/routez", "/healthz"]

    /// The paths one run asked, with its output.
    func run(_ arguments: [String]) throws -> (paths: [String], output: ProcessRunner.Output) {
        let server = try LoopbackHTTPServer.recorded()
        defer { server.stop() }
        let output = try GwtopBinary.run(arguments + ["--timeout", "2", "--interval", "0.2", server.url])
        return (server.requestPaths, output)
    }

    @Test func checkTheTextReportAndHeadlessNeverAskForAccounts() throws {
        for (mode, printed) in [
            (["--check"], "GWTOP OK - 3 clusters, 1/1 endpoints up"), (["--once"], "e1"), (["--once", "--format", "text"], "e1"),
            (["--check", "--format", "json"], "GWTOP OK"),
        ] {
            let (paths, output) = try run(mode)
            #expect(output.stdout.contains(printed), "\(mode): \(output.stdout) \(output.stderr)")
            // A full poll, then a frequent one.
            #expect(Set(paths) == Self.withoutAccounts, "\(mode): \(paths)")
            #expect(paths.filter { $0 == "/gatewayz" }.count == 2, "\(mode): \(paths)")
        }
        // Status lines only, on stderr.
        let (paths, output) = try run(["--headless", "--duration", "1s", "--format", "json"])
        #expect(output.stderr.contains(" poll 1 "), "\(output.stderr)")
        #expect(Set(paths) == Self.withoutAccounts, "\(paths)")
    }

    @Test func theJSONReportAsksForAccountsAndShowsThem() throws {
        let (paths, output) = try run(["--once", "--format", "json"])
        #expect(Set(paths) == Self.withAccounts.union(["/gatewayz"]), "\(paths)")
        #expect(output.stdout.contains(#""interest_mode""#), "the accounts are in the report")
    }

    /// The dashboard shows accounts in a connection's detail pane only: it asks them of the server whose
    /// connection the cursor is on, at every poll, and of no other.
    @Test func theDashboardAsksTheSelectedServersAccountsOnly() throws {
        let e1 = try LoopbackHTTPServer.recorded("e1"), e2 = try LoopbackHTTPServer.recorded("e2")
        defer { e1.stop(); e2.stop() }
        let session = try TmuxSession(
            command: "\(GwtopBinary.path) --log \(TemporaryFiles.path("gwtop-asked-\(getpid()).log")) --interval 0.3 --timeout 2 \(e1.url) \(e2.url)",
            width: 120, height: 40)
        defer { session.close() }
        func accountsAsked(_ server: LoopbackHTTPServer) -> Int { server.requestPaths.filter { $0 == "/gatewayz?accs=1" }.count }
        func askedWithout(_ server: LoopbackHTTPServer) -> Int { server.requestPaths.filter { $0 == "/gatewayz" }.count }
        _ = try session.waitFor("e2")
        // The first row is a cluster (central, whose c1 is seen at the far end of east's connections; then
        // c1, east, e1, e1's connections): nobody's accounts, poll after poll.
        #expect(waitUntil(within: 10) { askedWithout(e1) >= 3 })
        #expect(accountsAsked(e1) == 0 && accountsAsked(e2) == 0, "\(e1.requestPaths)")

        // On e1's row: still nobody's (a server row shows no accounts).
        try session.send("j", "j", "j")
        var without = askedWithout(e1)
        #expect(waitUntil(within: 10) { askedWithout(e1) >= without + 3 })
        #expect(accountsAsked(e1) == 0, "\(e1.requestPaths)")

        // On e1's first connection, then into it: e1's accounts at every poll, and on screen.
        try session.send("j")
        #expect(waitUntil(within: 10) { accountsAsked(e1) >= 3 }, "\(e1.requestPaths)")
        try session.send("Enter")
        let screen = try session.waitFor("the accounts table", timeout: 10) { $0.contains("ACCOUNT") && $0.contains("MODE") }
        #expect(screen.contains("east │ e1 │") && screen.contains("Accounts (interest)") && !screen.contains("not asked yet"), "\(screen)")
        #expect(accountsAsked(e2) == 0, "\(e2.requestPaths)")

        // Back on the cluster row: once two polls without have come (the selection has been taken), no more.
        try session.send("Escape", "k", "k", "k", "k")
        without = askedWithout(e1)
        #expect(waitUntil(within: 10) { askedWithout(e1) >= without + 2 })
        let asked = accountsAsked(e1)
        without = askedWithout(e1)
        #expect(waitUntil(within: 10) { askedWithout(e1) >= without + 3 })
        #expect(accountsAsked(e1) == asked, "\(e1.requestPaths)")
        #expect(accountsAsked(e2) == 0)
    }

    @Test func aRecordingAsksForAccountsWhateverIsPrinted() throws {
        let path = TemporaryFiles.path("gwtop-asked-\(getpid()).gwtoprec")
        let (paths, output) = try run(["--check", "--record", path])
        #expect(FileManager.default.fileExists(atPath: path), "\(output.stderr)")
        #expect(Set(paths) == Self.withAccounts.union(["/gatewayz"]), "\(paths)")
    }
}
