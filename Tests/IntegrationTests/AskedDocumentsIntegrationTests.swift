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

    @Test func aRecordingAsksForAccountsWhateverIsPrinted() throws {
        let path = TemporaryFiles.path("gwtop-asked-\(getpid()).gwtoprec")
        let (paths, output) = try run(["--check", "--record", path])
        #expect(FileManager.default.fileExists(atPath: path), "\(output.stderr)")
        #expect(Set(paths) == Self.withAccounts.union(["/gatewayz"]), "\(paths)")
    }
}
