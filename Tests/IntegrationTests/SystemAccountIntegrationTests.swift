import Foundation
import MonitorModel
import NatsAuth
import NatsClient
import Recording
import Synchronization
import TestSupport
import Testing

/// gwtop through one NATS connection in the system account of a real supercluster (both server
/// versions in it): every server found from one URL, the same picture as from the HTTP endpoints, a
/// killed server reported silent, credentials checked, and gateway changes seen at once.
@Suite(.serialized, .enabled(if: LocalSupercluster.shouldRun, "nats-server binaries not installed (CI=true never skips)"))
struct SystemAccountIntegrationTests {
    static func json(_ output: ProcessRunner.Output) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)\(output.stderr)")
    }

    /// What must be the same whichever way the documents came: servers, their links by gid, problems.
    struct Picture: Equatable, CustomStringConvertible {
        var servers: Set<String> = []
        var links: Set<String> = []
        var problems: [String] = []

        init(_ report: [String: Any]) {
            for cluster in report["clusters"] as? [[String: Any]] ?? [] {
                for server in cluster["servers"] as? [[String: Any]] ?? [] {
                    let name = server["name"] as? String ?? "?"
                    servers.insert("\(cluster["name"] ?? "?")/\(name) \(server["id"] ?? "?") v\(server["version"] ?? "?") reachable=\(server["reachable"] ?? "?")")
                    for direction in ["outbound", "inbound"] {
                        for link in server[direction] as? [[String: Any]] ?? [] {
                            links.insert("\(name) \(direction) \(link["remote_cluster"] ?? "?") \(link["remote_server_name"] ?? "?") gid:\(link["gid"] ?? "?")")
                        }
                    }
                }
            }
            problems = (report["problems"] as? [[String: Any]] ?? []).map { "\($0["kind"] ?? "?") \($0["server"] ?? "-")" }.sorted()
        }

        var description: String { "servers \(servers.sorted())\nlinks \(links.sorted())\nproblems \(problems)" }
    }

    /// `gwtop --headless --record` through e1 in the system account at 0.5 s: `settle` seconds, then
    /// `incident`, then `after` seconds, then SIGINT. Returns the recorder's output.
    static func record(
        _ cluster: LocalSupercluster, login: LocalSupercluster.SystemAccount, to path: String, options: [String] = [],
        settle: Double, after: Double, until seen: ((Substring) -> Bool)? = nil, incident: () throws -> Void
    ) throws -> ProcessRunner.Output {
        let recorder = try GwtopBinary.start([
            "--headless", "--record", path, "--interval", "0.5", "--timeout", "1",
            "--nats", cluster.server("e1").client_url, "--user", login.user, "--password", login.password,
        ] + options)
        var recorderOutput: ProcessRunner.Output?
        defer { if recorderOutput == nil { recorder.signal(SIGKILL); _ = recorder.wait() } }
        Thread.sleep(forTimeInterval: settle)
        try incident()
        // What the incident leads to, as the recorder says it saw it after the incident was over (a line
        // from before could show the state before it): a slow machine waits longer instead of stopping
        // the recorder too soon.
        if let seen {
            let linesBefore = recorder.standardErrorLines.count
            #expect(recorder.waitForStandardErrorLine(after: linesBefore, within: 30, seen), "\(recorder.standardError.suffix(3000))")
        }
        Thread.sleep(forTimeInterval: after)
        recorder.signal(SIGINT)
        recorderOutput = recorder.wait(upTo: 10)
        return try #require(recorderOutput, "the recorder ends on SIGINT")
    }

    @Test func everyServerFromOneURLGivesWhatTheHTTPEndpointsGive() throws {
        let nkey = NKeyPair.generate(.user)
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 26200, systemAccount: true, systemNKey: nkey.publicKey)
        defer { cluster.stop() }
        let login = try #require(cluster.systemAccount)
        let seedFile = cluster.directory + "/sys.nk"
        try nkey.seed.write(toFile: seedFile, atomically: true, encoding: .utf8)

        // The mesh is formed (the script waited for it); gids are stable from here on. Its connections are
        // let grow older than the 5 s grace first: a connection younger than that, with no RTT yet, counts
        // as unconfirmed unless the poll before saw it, and through NATS a reply that misses the first
        // poll's quiet period (a busy machine: seen once in CI) would then show it missing in one picture
        // and not the other. Both pictures are of the settled mesh.
        Thread.sleep(forTimeInterval: 5.5)
        let overHTTP = Picture(try Self.json(try GwtopBinary.run(["--once", "--format", "json", "--interval", "0.3"] + cluster.monitorURLs)))
        #expect(overHTTP.servers.count == 5 && overHTTP.links.count == 20, "\(overHTTP)")
        // Through NATS a request ends 300 ms after the last reply, so a machine that stalls gwtop or a
        // server that long misses a reply for that run: each picture gets three tries to match (a
        // difference that is real shows in all three).
        func throughNATS(_ arguments: [String]) throws -> ProcessRunner.Output {
            var output = try GwtopBinary.run(arguments)
            func matches(_ output: ProcessRunner.Output) -> Bool {
                guard output.status == 0, let report = try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
                else { return false }
                return Picture(report) == overHTTP
            }
            for _ in 0..<2 where !matches(output) {
                output = try GwtopBinary.run(arguments)
            }
            return output
        }
        // Through an old (2.9.10) server with a password, and through a new one with an NKey.
        let byPassword = try throughNATS([
            "--once", "--format", "json", "--interval", "0.3", "--nats", cluster.server("e2").client_url,
            "--user", login.user, "--password", login.password,
        ])
        #expect(byPassword.status == 0, "\(byPassword.stderr)")
        let passwordPicture = Picture(try Self.json(byPassword))
        #expect(passwordPicture == overHTTP, "through NATS:\n\(passwordPicture)\nover HTTP:\n\(overHTTP)")
        let byNKey = try throughNATS([
            "--once", "--format", "json", "--interval", "0.3", "--nats", cluster.server("w1").client_url, "--nkey", seedFile,
        ])
        #expect(byNKey.status == 0, "\(byNKey.stderr)")
        let nkeyPicture = Picture(try Self.json(byNKey))
        #expect(nkeyPicture == overHTTP, "through NATS:\n\(nkeyPicture)\nover HTTP:\n\(overHTTP)")
        // Each discovered server is named under the NATS URL it was reached through.
        let urls = (try Self.json(byNKey)["clusters"] as? [[String: Any]] ?? []).flatMap { $0["servers"] as? [[String: Any]] ?? [] }
            .compactMap { $0["url"] as? String }
        #expect(Set(urls) == Set(["e1", "e2", "w1", "w2", "c1"].map { "\(cluster.server("w1").client_url)#\($0)" }))

        // Mixed with an HTTP endpoint: that server is shown once, from its HTTP endpoint.
        let mixed = try Self.json(try throughNATS([
            "--once", "--format", "json", "--interval", "0.3", "--nats", cluster.server("e1").client_url, "--nkey", seedFile,
            cluster.server("c1").monitor_url,
        ]))
        #expect(Picture(mixed) == overHTTP)
        let c1 = (mixed["clusters"] as? [[String: Any]] ?? []).flatMap { $0["servers"] as? [[String: Any]] ?? [] }
            .filter { $0["name"] as? String == "c1" }
        #expect(c1.count == 1 && c1.first?["url"] as? String == cluster.server("c1").monitor_url)

        // The text report and the check work the same way.
        let check = try GwtopBinary.run(["--check", "--interval", "0.3", "--nats", cluster.server("c1").client_url, "--nkey", seedFile])
        #expect(check.stdout.contains("5/5 endpoints up") || check.stdout.contains("endpoints=5"), "\(check.stdout)")
    }

    @Test func wrongCredentialsNameTheServerAndTheReason() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 26300, systemAccount: true)
        defer { cluster.stop() }
        let url = cluster.server("e1").client_url
        let wrong = try GwtopBinary.run(["--once", "--nats", url, "--user", "sys", "--password", "not-the-password"])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains(url.replacingOccurrences(of: "localhost", with: "127.0.0.1")), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("refused the credentials") && wrong.stderr.contains("Authorization Violation"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("not-the-password"))
        #expect(wrong.stdout.isEmpty)
        // As a monitoring plugin: UNKNOWN, exit 3.
        let check = try GwtopBinary.run(["--check", "--nats", url, "--user", "sys", "--password", "not-the-password"])
        #expect(check.status == 3 && check.stdout.hasPrefix("GWTOP UNKNOWN"), "\(check.stdout)\(check.stderr)")
        // A user of another account gets no answer from the servers: said plainly, not shown as an empty mesh.
        let app = try GwtopBinary.run(["--once", "--interval", "0.3", "--timeout", "1", "--nats", url, "--user", "app", "--password", "app"])
        #expect(app.stdout.contains("the user must be in the system account"), "\(app.stdout)\(app.stderr)")
        #expect(app.stdout.contains("CRITICAL"), "\(app.stdout)")
        // Nothing listening: shown as down (and retried), as an HTTP endpoint would be.
        let down = try GwtopBinary.run(["--check", "--interval", "0.3", "--nats", "nats://127.0.0.1:26399", "--user", "sys", "--password", "x"])
        #expect(down.status == 2 && down.stdout.contains("nats://127.0.0.1:26399") && down.stdout.contains("connection refused"), "\(down.stdout)\(down.stderr)")
        let missing = try GwtopBinary.run(["--once", "--nats", url, "--creds", "/nonexistent/sys.creds"])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/sys.creds"), "\(missing.stderr)")
    }

    /// Through the system account too, polls between full ones ask only `/gatewayz` without accounts
    /// (both server versions answer a GATEWAYZ request without accounts), and a restarted
    /// server is asked the rest at once: every frame of the recording is complete.
    @Test func pollsBetweenFullOnesAskLessAndARestartAsksTheRest() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 27000, systemAccount: true)
        defer { cluster.stop() }
        let login = try #require(cluster.systemAccount)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-it-sys-frequent-\(getpid()).gwtoprec").path
        try? FileManager.default.removeItem(atPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Only the first poll is full (the next would come after 30 s): the restart lands between full polls.
        let output = try Self.record(cluster, login: login, to: path, options: ["--full-every", "30"], settle: 2.2, after: 1,
                                     until: { $0.contains("5/5 endpoints up") }) {
            try cluster.restart("w2")
        }
        #expect(output.status == 0, "\(output.stderr)")

        let recording = try Recording(path: path)
        let polls = try (0..<recording.count).map { try recording.poll(at: $0) }
        #expect(polls.first?.isFull == true && polls.count >= 8, "\(polls.map(\.isFull))")
        let frequentAnswers = polls.dropFirst().filter { !$0.isFull }.flatMap(\.endpoints)
            .filter { $0.responses.map(\.kind) == [.gatewayzLinks] && $0.responses[0].failure == nil }
        #expect(frequentAnswers.count >= 20, "most answers between full polls are /gatewayz alone")
        for answer in frequentAnswers {
            let body = String(decoding: answer.responses[0].body, as: UTF8.self)
            #expect(body.contains("server_id") && !body.contains("\"accounts\""), "\(answer.endpoint.displayURL)")
        }
        // w2 came back with a new id between full polls (the only scheduled one is the first): the poll
        // that saw it asked it for everything at once (and the servers with new connections to it too).
        func w2ID(_ poll: RecordedPoll) -> String? {
            guard let varz = poll.endpoints.first(where: { $0.endpoint.name == "w2" })?.responses.first(where: { $0.kind == .varz }),
                let object = try? JSONSerialization.jsonObject(with: varz.body) as? [String: Any]
            else { return nil }
            return object["server_id"] as? String
        }
        let firstID = try #require(w2ID(polls[0]))
        let restartPoll = polls.dropFirst().first { w2ID($0).map { $0 != firstID } ?? false }
        #expect(restartPoll.flatMap(w2ID) != nil && restartPoll.flatMap(w2ID) != firstID,
                "\(polls.map { $0.endpoints.map { "\($0.endpoint.name ?? "?"):\($0.responses.map(\.kind.rawValue))" } })")
        // No frame is missing what was carried: every answering server has its version in every record.
        var carried = CarriedDocuments()
        for poll in polls {
            for observation in poll.snapshot(carrying: &carried).observations {
                guard let failure = observation.failure else {
                    #expect(observation.snapshot?.varz.version != nil)
                    continue
                }
                #expect(failure.reason == .silent || observation.endpoint.name == "w2", "\(observation.endpoint.displayURL): \(failure.message)")
            }
        }
        let replay = try Self.json(try GwtopBinary.run(["--replay", path, "--once", "--format", "json"]))
        let servers = (replay["clusters"] as? [[String: Any]] ?? []).flatMap { $0["servers"] as? [[String: Any]] ?? [] }
        #expect(servers.filter { $0["reachable"] as? Bool == true && $0["version"] is String }.count == 5, "\(Picture(replay))")
    }

    /// Through NATS the dashboard asks every server without accounts, and the selected server its own on
    /// its own subject, at every poll: a listener in the system account sees every request gwtop sends.
    @Test func theDashboardAsksTheSelectedServersAccountsOnItsOwnSubject() async throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 27400, systemAccount: true)
        defer { cluster.stop() }
        let login = try #require(cluster.systemAccount)
        let listener = try await NatsClient.connect(NatsClientSettings(
            servers: [try NatsServerAddress(url: cluster.server("w1").client_url)],
            authentication: .userPassword(user: login.user, password: login.password)))
        let requests = try await listener.subscribe("$SYS.REQ.SERVER.*.GATEWAYZ")
        try await listener.flush(timeout: .seconds(2))
        let seen = SeenRequests()
        let listening = Task { for await request in requests { seen.append(request.subject, String(decoding: request.payload, as: UTF8.self)) } }
        // The listener is closed on every way out, before the cluster stops (it would go on reconnecting).
        let outcome = Result { try Self.watchTheDashboardsRequests(cluster, login: login, seen: seen) }
        listening.cancel()
        await listener.close()
        try outcome.get()
    }

    static func watchTheDashboardsRequests(_ cluster: LocalSupercluster, login: LocalSupercluster.SystemAccount, seen: SeenRequests) throws {
        let session = try TmuxSession(
            command: "\(GwtopBinary.path) --log \(TemporaryFiles.path("gwtop-it-sys-selected-\(getpid()).log")) --interval 0.4 --timeout 1 --full-every 1 "
                + "--nats \(cluster.server("e1").client_url) --user \(login.user) --password \(login.password)",
            width: 120, height: 40)
        defer { session.close() }
        func everyServer() -> [String] { seen.all.filter { $0.subject == "$SYS.REQ.SERVER.PING.GATEWAYZ" }.map(\.body) }
        func ownSubject() -> [(subject: String, body: String)] { seen.all.filter { $0.subject != "$SYS.REQ.SERVER.PING.GATEWAYZ" } }
        // Every gateway up, so c1's first row is a connection, not a missing one.
        _ = try session.waitFor("every server and link up", timeout: 20) { $0.contains("5/5 servers up") && $0.contains("10/10 links") }
        // On the first row, a cluster: nobody's accounts.
        #expect(waitUntil(within: 10) { everyServer().count >= 3 })
        #expect(ownSubject().isEmpty, "\(ownSubject())")

        // On c1's first connection (central, c1, its connections), then into it.
        try session.send("j", "j")
        #expect(waitUntil(within: 10) { ownSubject().count >= 3 }, "\(seen.all)")
        let asked = ownSubject()
        #expect(Set(asked.map(\.subject)).count == 1 && asked.allSatisfy { $0.body == #"{"accounts":true}"# }, "\(asked)")
        try session.send("Enter")
        let screen = try session.waitFor("the accounts table", timeout: 10) { $0.contains("ACCOUNT") && $0.contains("MODE") }
        #expect(screen.contains("central │ c1 │") && !screen.contains("not asked yet"), "\(screen)")
        // The request every server answers never asked for accounts, on full polls (every second here) or
        // between them.
        #expect(waitUntil(within: 10) { everyServer().count >= 8 })
        #expect(everyServer().allSatisfy { !$0.contains("accounts") }, "\(everyServer())")
    }

    /// A monitoring login allowed only the requests every server answers (`$SYS.REQ.SERVER.PING.>`): the
    /// selected server's own accounts request is refused by the server, so the dashboard shows every server
    /// as usual, the connection's pane says why it has no accounts, and the request is not made again
    /// before the next full poll. Connected to each server version in turn: the one connected to is the
    /// one that refuses the request.
    @Test(arguments: [("e1", 27450), ("e2", 27500)])
    func aLoginAllowedOnlyThePingRequestsSeesWhyAccountsAreMissing(connectedTo server: String, basePort: Int) throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: basePort, systemAccount: true)
        defer { cluster.stop() }
        let login = try #require(cluster.systemAccount)
        let log = TemporaryFiles.path("gwtop-it-sys-ping-\(server)-\(getpid()).log")
        // At 1 s, the next full poll (at 30 s by the clock, or after 60 polls) is far beyond the test.
        let session = try TmuxSession(
            command: "\(GwtopBinary.path) --log \(log) --interval 1 --timeout 1 --full-every 30 "
                + "--nats \(cluster.server(server).client_url) --user \(login.ping_user) --password \(login.ping_password)",
            width: 120, height: 40)
        defer { session.close() }
        // Every gateway up, so c1's first row is a connection, not a missing one.
        _ = try session.waitFor("every server and link up", timeout: 20) { $0.contains("5/5 servers up") && $0.contains("10/10 links") }
        // c1's first connection, then into it.
        try session.send("j", "j")
        try session.send("Enter")
        let screen = try session.waitFor("the reason accounts are missing", timeout: 10) { $0.contains("until the next full poll") }
        #expect(screen.contains("accounts not had (no reply to $SYS.REQ.SERVER.N") && screen.contains("central │ c1 │"), "\(screen)")
        #expect(screen.contains("5/5 servers up"))
        func refusals() -> Int {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "Permissions Violation for Publish").count - 1
        }
        #expect(refusals() == 1, "asked once")
        // Polls go on every second; the server is not asked its accounts again before the next full poll.
        Thread.sleep(forTimeInterval: 3)
        #expect(refusals() == 1, "not asked again at every poll")
        #expect(try session.screen().contains("until the next full poll"), "the reason stays while the cursor does")
    }

    /// The refusal holds for the server id asked: the selected server restarted (a new id) is asked again
    /// on its new subject, not left with the old id's reason until the next full poll.
    @Test func aRestartedServerIsAskedItsAccountsAgainByItsNewID() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 27550, systemAccount: true)
        defer { cluster.stop() }
        let login = try #require(cluster.systemAccount)
        let log = TemporaryFiles.path("gwtop-it-sys-ping-restart-\(getpid()).log")
        let session = try TmuxSession(
            command: "\(GwtopBinary.path) --log \(log) --interval 1 --timeout 1 --full-every 30 "
                + "--nats \(cluster.server("e1").client_url) --user \(login.ping_user) --password \(login.ping_password)",
            width: 120, height: 40)
        defer { session.close() }
        _ = try session.waitFor("every server and link up", timeout: 20) { $0.contains("5/5 servers up") && $0.contains("10/10 links") }
        // c1's first connection: c1 is the selected server.
        try session.send("j", "j")
        /// The server ids asked and refused, in order (from the refusals in gwtop's log).
        func refusedIDs() -> [String] {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.components(separatedBy: "Permissions Violation for Publish to \"$SYS.REQ.SERVER.").dropFirst()
                .map { String($0.prefix { $0 != "." }) }
        }
        #expect(waitUntil(within: 10) { refusedIDs().count == 1 }, "\(refusedIDs())")
        let before = try #require(refusedIDs().first)
        try cluster.restart("c1")
        // While c1 was away its connections left the tree and the cursor with them: back to c1's first
        // row below the server, again until that row is a connection of the restarted c1 (not asked
        // before the next full poll if the refusal held for the old id).
        let askedAgain = waitUntil(within: 20, every: 2) {
            try? session.send("g", "j", "j")
            return refusedIDs().count >= 2
        }
        #expect(askedAgain, "asked again after the restart: \(refusedIDs())\n\((try? session.screen()) ?? "")")
        let ids = refusedIDs()
        #expect(ids.count == 2 && ids[1] != before && ids[1].count == 56, "the new id, once: \(ids)")
    }

    /// A server killed while gwtop watches: it does not vanish from the picture, it is `server_silent`;
    /// the recording of the session replays the same.
    @Test func killedServerBecomesSilentAndTheRecordingSaysSo() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 26400, systemAccount: true)
        defer { cluster.stop() }
        let login = try #require(cluster.systemAccount)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-it-silent-\(getpid()).gwtoprec").path
        try? FileManager.default.removeItem(atPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try Self.record(cluster, login: login, to: path, settle: 3, after: 2, until: { $0.contains("4/5 endpoints up") }) { try cluster.kill("w2") }
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stderr.contains("5/5 endpoints up") && output.stderr.contains("4/5 endpoints up"), "\(output.stderr)")

        let replay = try GwtopBinary.run(["--replay", path, "--once", "--format", "json"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let report = try Self.json(replay)
        let problems = report["problems"] as? [[String: Any]] ?? []
        let silent = try #require(problems.first { $0["kind"] as? String == "server_silent" }, "\(problems)")
        #expect(silent["server"] as? String == "w2" && silent["cluster"] as? String == "west" && silent["severity"] as? String == "critical")
        #expect(!problems.contains { $0["kind"] as? String == "endpoint_unreachable" }, "silent, not unreachable: \(problems)")
        // Still in the tree, in its cluster.
        let west = (report["clusters"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "west" }
        let w2 = (west?["servers"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "w2" }
        #expect(w2?["reachable"] as? Bool == false, "\(String(describing: west))")
        let events = report["events"] as? [[String: Any]] ?? []
        #expect(events.contains { $0["kind"] as? String == "gateway_disconnected" && $0["remote_cluster"] as? String == "west" }, "\(events)")
        let check = try GwtopBinary.run(["--replay", path, "--check"])
        #expect(check.status == 2 && check.stdout.contains("server_silent"), "\(check.stdout)")
    }

    /// The server gwtop is connected to dies, then the next one freezes (SIGSTOP: no FIN, the socket
    /// stays open): each time gwtop moves to another server with the login the URL gave, and only the
    /// dead or frozen server is missing from the picture.
    @Test func failoverKeepsTheLoginAndAFrozenServerIsLeftBehind() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 26800, systemAccount: true)
        defer { cluster.stop() }
        let login = try #require(cluster.systemAccount)
        let log = cluster.directory + "/gwtop.log"
        let seed = cluster.server("e1").client_url.replacingOccurrences(of: "nats://", with: "nats://\(login.user):\(login.password)@")
        let watcher = try GwtopBinary.start(["--headless", "--interval", "0.5", "--timeout", "1", "--nats", seed, "--log", log])
        defer { watcher.signal(SIGKILL); _ = watcher.wait() }
        func lastStatus() -> String { watcher.standardError.split(separator: "\n").last { $0.contains(" poll ") }.map(String.init) ?? "" }
        func connectedTo() -> String? {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").last(where: { $0.contains("connected to NATS") }),
                let range = line.range(of: "server_name=") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != " " })
        }
        func waitFor(_ what: String, seconds: Double, _ condition: () -> Bool) {
            let held = waitUntil(within: seconds, condition)
            #expect(held, "\(what): \(lastStatus())")
        }
        waitFor("first polls", seconds: 10) { lastStatus().contains("5/5 endpoints up") }
        #expect(connectedTo() == "e1")
        #expect(lastStatus().contains("via e1"), "the status line names the server the data comes through")

        try cluster.kill("e1")
        waitFor("after e1 died", seconds: 15) { lastStatus().contains("4/5 endpoints up") && connectedTo() != "e1" }
        let second = try #require(connectedTo())
        try cluster.kill(second, signal: "STOP")
        defer { try? cluster.kill(second, signal: "CONT") }
        waitFor("after \(second) froze", seconds: 20) { lastStatus().contains("3/5 endpoints up") && ![second, "e1"].contains(connectedTo()) }
        let logText = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(!logText.contains(login.password), "the password reached the log")
    }

    /// With a 30 s interval, a gateway reconnect still shows within seconds: the servers' STATSZ
    /// announcement brings the next poll forward.
    @Test func gatewayReconnectIsPolledAtOnceWhateverTheInterval() throws {
        let cluster = try LocalSupercluster(topology: "healthy", basePort: 26600, systemAccount: true)
        defer { cluster.stop() }
        let login = try #require(cluster.systemAccount)
        let watcher = try GwtopBinary.start([
            "--headless", "--interval", "30", "--timeout", "1",
            "--nats", cluster.server("e1").client_url, "--user", login.user, "--password", login.password,
        ])
        defer { watcher.signal(SIGKILL); _ = watcher.wait() }
        func polls() -> [Substring] { watcher.standardError.split(separator: "\n").filter { $0.contains(" poll ") } }
        let firstPoll = Date().addingTimeInterval(10)
        while polls().isEmpty && Date() < firstPoll { Thread.sleep(forTimeInterval: 0.1) }
        #expect(!polls().isEmpty, "\(watcher.standardError)")
        // Servers just started publish STATSZ at 1, 2, 4, 8 s… which brings polls forward too; what
        // matters is that the restart's gateway changes appear (as events) long before the 30 s interval.
        Thread.sleep(forTimeInterval: 1)
        let before = polls().count
        try cluster.kill("w2")
        try cluster.restart("w2")
        let restarted = Date()
        func changesSeen() -> Bool {
            polls().dropFirst(before).contains { !$0.contains("+0 events") }
        }
        while !changesSeen() && Date().timeIntervalSince(restarted) < 15 { Thread.sleep(forTimeInterval: 0.1) }
        let waited = Date().timeIntervalSince(restarted)
        #expect(changesSeen(), "the restart did not show within 15 s: \(watcher.standardError)")
        #expect(waited < 10, "the restart showed \(waited) s after it happened")
    }
}

/// Requests a listener has seen, in order.
final class SeenRequests: Sendable {
    private let requests = Mutex<[(subject: String, body: String)]>([])

    func append(_ subject: String, _ body: String) { requests.withLock { $0.append((subject, body)) } }

    var all: [(subject: String, body: String)] { requests.withLock { $0 } }
}
