import Foundation
import MonitorModel
import Recording
import TestSupport
import Testing

/// Recording a real supercluster through an incident, then replaying it: the replay must tell the
/// story the servers lived through.
@Suite(.serialized, .enabled(if: LocalSupercluster.shouldRun, "nats-server binaries not installed (CI=true never skips)"))
struct RecordReplayIntegrationTests {
    static func temporaryRecording(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-it-\(name)-\(getpid()).gwtoprec").path
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    static func json(_ output: ProcessRunner.Output) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)\(output.stderr)")
    }

    /// Per server and connection: the accounts (name and interest mode) a report shows, and each server's
    /// version, so a view built from a frequent poll can be compared with one built from a full one.
    static func carriedFacts(_ report: [String: Any]) -> [String: String] {
        var facts: [String: String] = [:]
        for cluster in report["clusters"] as? [[String: Any]] ?? [] {
            for server in cluster["servers"] as? [[String: Any]] ?? [] {
                let name = server["name"] as? String ?? "?"
                facts[name] = "version \(server["version"] as? String ?? "none")"
                for direction in ["outbound", "inbound"] {
                    for link in server[direction] as? [[String: Any]] ?? [] {
                        let accounts = (link["accounts"] as? [[String: Any]] ?? []).map {
                            "\($0["name"] as? String ?? "?")=\($0["interest_mode"] as? String ?? "?")"
                        }
                        let key = "\(name) \(direction) \(link["remote_cluster"] as? String ?? "?") gid:\(link["gid"] as? Int ?? -1)"
                        facts[key] = "\(link["remote_name"] as? String ?? "unnamed") " + accounts.sorted().joined(separator: ",")
                    }
                }
            }
        }
        return facts
    }

    /// Between full polls gwtop asks each server only `/gatewayz` (no accounts): on both
    /// server versions that really is a smaller answer without accounts, and what gwtop shows from it
    /// (versions, remote names, each connection's accounts) is what a full poll shows.
    @Test func pollsBetweenFullOnesAskLessAndShowTheSame() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 23400)
        defer { cluster.stop() }
        let path = Self.temporaryRecording("frequent")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A full poll every 4th (2 s at 0.5 s).
        let recorded = try GwtopBinary.run(
            ["--headless", "--record", path, "--interval", "0.5", "--full-every", "2", "--timeout", "1", "--duration", "5s"] + cluster.monitorURLs)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        // From poll 2 on: at poll 1 the freshly started mesh's connections are too young to count.
        #expect(recorded.stderr.split(separator: "\n").filter { $0.contains(" poll ") }.dropFirst().allSatisfy {
            $0.contains("5/5 endpoints up") && $0.contains("10/10 links")
        }, "\(recorded.stderr)")

        let recording = try Recording(path: path)
        let polls = try (0..<recording.count).map { try recording.poll(at: $0) }
        #expect(polls.count >= 8)
        // Full about every 2 s by the clock: [true, false, false, false, true] when each poll takes under
        // 0.5 s; a slow first poll moves the next full one a poll earlier.
        let fullness = polls.map(\.isFull)
        #expect(fullness.prefix(3) == [true, false, false] && fullness.dropFirst(3).prefix(2).contains(true), "\(fullness)")
        for poll in polls where !poll.isFull {
            // Each endpoint was asked `/gatewayz` alone (with `/healthz` while it says it is not well, as a
            // server not yet ready at a full poll would), or (a connection new since the full poll) everything.
            let frequent = poll.endpoints.filter { [[.gatewayzLinks], [.gatewayzLinks, .healthz]].contains($0.responses.map(\.kind)) }
            #expect(frequent.count + poll.endpoints.filter { $0.responses.map(\.kind) == [.varz, .gatewayz, .routez, .healthz] }.count == 5)
            #expect(frequent.count >= 4, "poll \(poll.sequence)")
            for endpoint in frequent {
                let body = String(decoding: endpoint.responses[0].body, as: UTF8.self)
                #expect(body.contains("outbound_gateways") && !body.contains("\"accounts\""), "no accounts unless asked")
            }
        }
        // Both versions (e1 runs 2.15.1, e2 2.9.10) answer /gatewayz without accounts in fewer bytes.
        for name in ["e1", "e2"] {
            let url = cluster.server(name).monitor_url
            func size(_ poll: RecordedPoll) -> Int? {
                poll.endpoints.first { $0.endpoint.displayURL == url }?.responses.first { $0.kind == .gatewayz || $0.kind == .gatewayzLinks }?.body.count
            }
            let full = try #require(size(polls[0]))
            let frequent = try #require(size(polls[1]))
            #expect(frequent < full, "\(name): \(frequent) bytes against \(full)")
        }

        // The last full poll and the last poll (a frequent one) show the same versions, names and accounts.
        let lastFull = try #require(polls.lastIndex { $0.isFull })
        let last = polls.count - 1
        #expect(!polls[last].isFull || last > lastFull)
        func replay(at index: Int) throws -> [String: Any] {
            let time = recording.time(at: index).rfc3339Nanoseconds
            let output = try GwtopBinary.run(["--replay", path, "--once", "--format", "json", "--at", time])
            #expect(output.status == 0, "\(output.stderr)")
            return try Self.json(output)
        }
        let atFull = Self.carriedFacts(try replay(at: lastFull))
        let atFrequent = Self.carriedFacts(try replay(at: polls.lastIndex { !$0.isFull } ?? last))
        #expect(atFull.count == 5 + 20, "5 servers, 10 outbound and 10 inbound connections: \(atFull.keys.sorted())")
        #expect(atFrequent == atFull)
        #expect(atFull.values.allSatisfy { !$0.contains("version none") && !$0.hasPrefix("unnamed") })
        #expect(atFull.filter { $0.key.contains("gid:") }.values.contains { $0.contains("=") }, "some connection has accounts: \(atFull)")

        // Live: --once is a full poll then a frequent one; it shows what two full polls show. Two runs a
        // moment apart, so up to three tries: an account's interest mode may switch between them (a
        // difference that is gwtop's shows every time).
        var once: [String: String] = [:], everything: [String: String] = ["": "not run"]
        for _ in 0..<3 where once != everything {
            once = Self.carriedFacts(try Self.json(try GwtopBinary.run(["--once", "--format", "json", "--timeout", "1"] + cluster.monitorURLs)))
            everything = Self.carriedFacts(try Self.json(try GwtopBinary.run(
                ["--once", "--format", "json", "--timeout", "1", "--full-every", "0"] + cluster.monitorURLs)))
        }
        #expect(once == everything)
    }

    @Test func recordedKillAndRestartReplaysAsEvents() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 22600, traffic: true)
        defer { cluster.stop() }
        let path = Self.temporaryRecording("incident")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let e2 = cluster.server("e2")
        // Full polls 60 s apart: what is carried between them (a restarting server's "not ready" health
        // answer, once) would outlast the wait for recovery below.
        let recorder = try GwtopBinary.start(
            ["--headless", "--record", path, "--interval", "0.5", "--timeout", "1", "--full-every", "60"] + cluster.monitorURLs)
        var recorderOutput: ProcessRunner.Output?
        defer { if recorderOutput == nil { recorder.signal(SIGKILL); _ = recorder.wait() } }

        // Waiting on what the recorder says it has seen, not for long enough: a slow machine only waits longer.
        #expect(recorder.waitForStandardErrorLine(after: 0, within: 20) { $0.contains("5/5 endpoints up") }, "\(recorder.standardError)")
        Thread.sleep(forTimeInterval: 2)
        try cluster.kill("e2")
        #expect(recorder.waitForStandardErrorLine(after: 0, within: 20) { $0.contains("4/5 endpoints up") }, "\(recorder.standardError)")
        Thread.sleep(forTimeInterval: 2)
        try cluster.restart("e2")
        // Recovered as the recorder itself saw it. (A fresh --check, as this test once asked, has no history:
        // it could say OK while the recorder still showed what its history held, a carried answer or a
        // reconnect between its last two polls.)
        let restartedAt = recorder.standardErrorLines.count
        let recovered = recorder.waitForStandardErrorLine(after: restartedAt, within: 30) {
            $0.contains("5/5 endpoints up  10/10 links  0 critical 0 warning")
        }
        #expect(recovered, "the mesh re-formed after the restart: \(recorder.standardError.suffix(3000))")
        Thread.sleep(forTimeInterval: 1)
        recorder.signal(SIGINT)
        recorderOutput = recorder.wait(upTo: 10)
        let output = try #require(recorderOutput, "the recorder ends on SIGINT")
        #expect(output.status == 0, "\(output.stderr)")
        let statusLines = output.stderr.split(separator: "\n").filter { $0.contains(" poll ") && $0.contains("endpoints up") }
        #expect(statusLines.count >= 10, "one status line per poll: \(output.stderr)")
        #expect(statusLines.contains { $0.contains("4/5 endpoints up") }, "the outage shows in the status lines")
        // The replay ends where the recorder did: the status of its last poll (OK unless something
        // happened in the last second, which the replay must then show too).
        let lastLine = try #require(statusLines.last)
        let expectedStatus = lastLine.contains(" 0 critical 0 warning") ? "OK" : lastLine.contains(" 0 critical") ? "WARNING" : "CRITICAL"
        let expectedCheckExit: Int32 = expectedStatus == "OK" ? 0 : expectedStatus == "WARNING" ? 1 : 2

        // The whole night's story, in order.
        let replay = try GwtopBinary.run(["--replay", path, "--once", "--format", "json"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stderr.isEmpty, "a recording ended by SIGINT is whole: \(replay.stderr)")
        let report = try Self.json(replay)
        let timeline = try #require(report["events"] as? [[String: Any]])
        func events(_ kind: String) -> [[String: Any]] { timeline.filter { $0["kind"] as? String == kind } }
        let down = try #require(events("endpoint_down").first { $0["url"] as? String == e2.monitor_url }, "\(timeline)")
        let up = try #require(events("endpoint_up").first { $0["url"] as? String == e2.monitor_url }, "\(timeline)")
        #expect(events("server_restarted").contains { $0["server"] as? String == "e2" }, "\(timeline)")
        #expect(events("problem_raised").contains { ($0["message"] as? String ?? "").contains("endpoint_unreachable") })
        #expect(events("problem_cleared").contains { ($0["message"] as? String ?? "").contains("endpoint_unreachable") })
        // Every other cluster lost e2's inbound gateway and got a new one from the restarted e2.
        let lost = events("gateway_disconnected").filter { $0["remote_cluster"] as? String == "east" && $0["direction"] as? String == "inbound" }
        let regained = events("gateway_connected").filter { $0["remote_cluster"] as? String == "east" && $0["direction"] as? String == "inbound" }
        #expect(!lost.isEmpty && !regained.isEmpty, "\(timeline)")
        #expect((lost + regained).allSatisfy { $0["gid"] as? Int != nil && $0["time"] is String })
        let downTime = try #require(down["time"] as? String)
        let upTime = try #require(up["time"] as? String)
        #expect(downTime < upTime)
        #expect(report["status"] as? String == expectedStatus, "the replay ends as the recorder did: \(report["problems"] ?? "no problems")\n\(output.stderr.suffix(2000))")

        // --check and --at: unreachable at the outage, fine at the end.
        let atOutage = try GwtopBinary.run(["--replay", path, "--check", "--at", downTime])
        #expect(atOutage.status == 2, "\(atOutage.stdout)")
        #expect(atOutage.stdout.contains("endpoint_unreachable"))
        #expect(try GwtopBinary.run(["--replay", path, "--check"]).status == expectedCheckExit)
        let text = try GwtopBinary.run(["--replay", path, "--once", "--at", "+1s"])
        #expect(text.status == 0 && text.stdout.contains("5/5 endpoints up"), "\(text.stdout)")
        #expect(!text.stdout.contains("endpoint_down"), "nothing had happened one second in")
        let beyond = try GwtopBinary.run(["--replay", path, "--once", "--at", "+2h"])
        #expect(beyond.status != 0 && beyond.stderr.contains("outside the recording"), "\(beyond.stderr)")
    }

    /// A recorder killed with SIGKILL leaves a file that replays up to its last complete record.
    @Test func recorderKilledWithSIGKILLLeavesAReplayableFile() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 22800)
        defer { cluster.stop() }
        let path = Self.temporaryRecording("sigkill")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try GwtopBinary.start(["--headless", "--record", path, "--interval", "0.2"] + cluster.monitorURLs)
        Thread.sleep(forTimeInterval: 2.5)
        recorder.signal(SIGKILL)
        let output = recorder.wait()
        #expect(output.status == 128 + SIGKILL)
        let polls = output.stderr.split(separator: "\n").filter { $0.contains(" poll ") }.count
        let replay = try GwtopBinary.run(["--replay", path, "--once", "--format", "json"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let report = try Self.json(replay)
        #expect((report["clusters"] as? [[String: Any]])?.isEmpty == false)
        // Every poll the recorder announced is in the file (it announces after writing).
        let recorded = try GwtopBinary.run(["--replay", path, "--once"]).stdout
        let sequence = recorded.split(separator: "\n").first.flatMap { $0.split(separator: "#").last }.flatMap { Int($0) }
        #expect(sequence != nil && sequence! >= polls, "replayed up to poll \(String(describing: sequence)), recorder announced \(polls)")
        // Cut the file inside its last record, as a kill mid-write would: the replay warns and goes on.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count - 7).write(to: URL(fileURLWithPath: path))
        let torn = try GwtopBinary.run(["--replay", path, "--once", "--format", "json"])
        #expect(torn.status == 0, "\(torn.stderr)")
        #expect(torn.stderr.contains("warning:") && torn.stderr.contains("incomplete record"), "\(torn.stderr)")
    }

    @Test func replayArgumentsAndBadFilesAreClearErrors() throws {
        let notRecording = Self.temporaryRecording("not")
        defer { try? FileManager.default.removeItem(atPath: notRecording) }
        try "hello".write(toFile: notRecording, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--replay", "/nonexistent/x.gwtoprec", "--once"], "cannot read recording /nonexistent/x.gwtoprec"),
            (["--replay", notRecording, "--once"], "is not a gwtop recording: it does not start with a gwtop recording header"),
            (["--replay", notRecording, "http://127.0.0.1:1"], "--replay shows a recording and takes no URLs"),
            (["--at", "+5s", "--once", "http://127.0.0.1:1"], "--at needs --replay FILE"),
            (["--headless", "--once", "http://127.0.0.1:1"], "--headless cannot be combined with --once"),
            (["--duration", "5s", "http://127.0.0.1:1"], "--duration applies to --headless"),
            (["--headless", "--duration", "soon", "http://127.0.0.1:1"], "--duration \"soon\" is not a duration"),
            (["--headless", "--record", notRecording, "--duration", "1s", "http://127.0.0.1:1"], "is not a gwtop recording (version 1); refusing to append"),
            (["--headless", "--record", "/nonexistent/dir/r.gwtoprec", "--duration", "1s", "http://127.0.0.1:1"], "cannot open recording /nonexistent/dir/r.gwtoprec"),
            (["--demo", "--replay", notRecording], "--replay and --demo cannot be combined"),
            (["--history", "soon", "--once", "http://127.0.0.1:1"], "--history \"soon\" is not a duration"),
            (["--headless", "--duration", "0", "http://127.0.0.1:1"], "--duration must be positive, got 0"),
            (["--headless", "--record", "", "http://127.0.0.1:1"], "--record needs a file name"),
            (["--replay", DemoRecordingTests.demoPath, "--once", "--at", "banana"], "--at: time \"banana\" is neither RFC 3339"),
            (["--replay", DemoRecordingTests.demoPath, "--once", "--at", "+99999999999999999999y"], "is too far from the recording"),
            // Not a terminal (the test captures stdout): the dashboard cannot open, and says what to use.
            (["--replay", DemoRecordingTests.demoPath], "replaying in the dashboard needs a terminal"),
        ]
        for (arguments, message) in cases {
            let output = try GwtopBinary.run(arguments)
            #expect(output.status != 0, "\(arguments)")
            #expect(output.stderr.contains(message), "\(arguments): \(output.stderr)")
        }
        #expect(try String(contentsOfFile: notRecording, encoding: .utf8) == "hello", "a refused --record leaves the file alone")
        let check = try GwtopBinary.run(["--replay", notRecording, "--check"])
        #expect(check.status == 3 && check.stdout.hasPrefix("GWTOP UNKNOWN - "), "\(check.stdout)")
    }

    @Test func headlessStopsAfterItsDurationWithOneLinePerPoll() throws {
        let path = Self.temporaryRecording("duration")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let started = Date()
        let output = try GwtopBinary.run(["--headless", "--record", path, "--duration", "2s", "--interval", "0.5", "--timeout", "0.3", "http://127.0.0.1:1"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(elapsed < 4, "\(elapsed)s")
        let lines = output.stderr.split(separator: "\n")
        #expect((3...6).contains(lines.count), "\(output.stderr)")
        #expect(lines.allSatisfy { $0.contains("0/1 endpoints up") && $0.contains("recorded ") })
        #expect(output.stdout.isEmpty, "headless writes nothing to stdout")
        let replay = try GwtopBinary.run(["--replay", path, "--check"])
        #expect(replay.status == 2 && replay.stdout.contains("connection refused"), "\(replay.stdout)")
    }
}

/// The committed demo: a real incident that must keep replaying with every event it was captured for.
@Suite struct DemoRecordingTests {
    static var demoPath: String { Fixtures.repositoryRoot.appendingPathComponent("Demo/incident.gwtoprec").path }

    @Test func demoRecordingTellsTheWholeIncident() throws {
        let output = try GwtopBinary.run(["--replay", Self.demoPath, "--once", "--format", "json"])
        #expect(output.status == 0 && output.stderr.isEmpty, "\(output.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let events = try #require(report["events"] as? [[String: Any]])
        func count(_ kind: String, _ filter: ([String: Any]) -> Bool = { _ in true }) -> Int {
            events.filter { $0["kind"] as? String == kind && filter($0) }.count
        }
        #expect(count("gateway_reconnected") { $0["server"] as? String == "c1" && $0["remote_cluster"] as? String == "west" } >= 3, "the flapping gateway")
        #expect(count("endpoint_down") { $0["server"] as? String == "w2" } == 1)
        #expect(count("server_restarted") { $0["server"] as? String == "w2" } == 1)
        #expect(count("endpoint_up") { $0["server"] as? String == "w2" } == 1)
        #expect(count("problem_raised") { ($0["message"] as? String ?? "").contains("high_rtt") } >= 1, "the slow link")
        // Both server versions are in it.
        let versions = Set(((report["clusters"] as? [[String: Any]]) ?? []).flatMap { ($0["servers"] as? [[String: Any]]) ?? [] }.compactMap { $0["version"] as? String })
        #expect(versions == ["2.15.1", "2.9.10"])
        let slow = try GwtopBinary.run(["--replay", Self.demoPath, "--check", "--at", "+150s"])
        #expect(slow.status == 1 && slow.stdout.contains("high_rtt"), "\(slow.stdout)")
    }

    @Test(.enabled(if: TmuxSession.installed || ProcessInfo.processInfo.environment["CI"] == "true", "tmux not installed"))
    func demoOpensTheReplayDashboard() throws {
        let session = try TmuxSession(command: "\(GwtopBinary.path) --demo", width: 80, height: 24)
        defer { session.close() }
        let screen = try session.waitFor("REPLAY")
        #expect(screen.contains("×2"), "the demo plays at double speed: \(screen)")
        try session.send("q")
        #expect(try session.waitFor("tty:").contains("[exit 0]"))
    }
}

@Suite struct RecorderEdgeTests {
    /// SIGINT while a poll waits on a slow endpoint: the poll finishes and is recorded as answered,
    /// never cut into a false timeout.
    @Test func stoppingTheRecorderLetsThePollInFlightFinish() throws {
        let fixture = try Fixtures.data("healthy/poll-1/e1/varz.json")
        let gatewayz = try Fixtures.data("healthy/poll-1/e1/gatewayz.json")
        let slow = try LoopbackHTTPServer { path in
            .delayed(seconds: 1.2, status: 200, body: [UInt8](path.hasPrefix("/gatewayz") ? gatewayz : path.hasPrefix("/varz") ? fixture : Data("{}".utf8)))
        }
        defer { slow.stop() }
        let path = RecordReplayIntegrationTests.temporaryRecording("inflight")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try GwtopBinary.start(["--headless", "--record", path, "--interval", "0.2", "--timeout", "5", slow.url])
        // The second poll is in flight once its /gatewayz has been asked (the first poll asks four
        // documents): the server holds every answer 1.2 s.
        try #require(waitUntil(within: 15, every: 0.05) { slow.requestPaths.count >= 5 }, "the second poll never started: \(slow.requestPaths)")
        recorder.signal(SIGINT)
        let output = try #require(recorder.wait(upTo: 10), "the recorder ends after its poll")
        #expect(output.status == 0, "\(output.stderr)")
        let lines = output.stderr.split(separator: "\n").filter { $0.contains(" poll ") }
        #expect(lines.count >= 2, "\(output.stderr)")
        #expect(lines.allSatisfy { $0.contains("1/1 endpoints up") }, "no poll was cut short: \(output.stderr)")
        let replay = try GwtopBinary.run(["--replay", path, "--once", "--format", "json"])
        #expect(replay.status == 0 && !replay.stdout.contains("timed out"), "\(replay.stdout)")
    }

    /// What a recording says is untrusted: a warning about it never carries escape sequences to the terminal.
    @Test func warningsFromARecordingAreSanitised() throws {
        let path = RecordReplayIntegrationTests.temporaryRecording("escape")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try GwtopBinary.run(["--headless", "--record", path, "--duration", "0.5s", "--timeout", "0.2", "http://127.0.0.1:1"])
        // A record whose payload decodes to JSON naming an endpoint kind that carries an escape sequence.
        let payload = #"{"format":1,"sequence":9,"started_ns":0,"finished_ns":1,"endpoints":[{"url":"u","observed_ns":1,"responses":[{"kind":"\u001b]0;PWNED\u0007\u001b[2J","elapsed":0}]}]}"#
        let script = """
            import sys, zlib, struct
            payload = sys.argv[2].encode()
            body = zlib.compress(payload)
            header = b"GREC" + struct.pack("<IIIq", len(body), len(payload), zlib.crc32(body) & 0xffffffff, 1900000000000000000)
            header += struct.pack("<I", zlib.crc32(header) & 0xffffffff)
            open(sys.argv[1], "ab").write(header + body)
            """
        let appended = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, path, payload])
        #expect(appended.status == 0, "\(appended.stderr)")
        let output = try GwtopBinary.run(["--replay", path, "--once"])
        #expect(output.stderr.contains("unknown endpoint kind"), "\(output.stderr)")
        #expect(!output.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(output.stderr)")
    }
}
