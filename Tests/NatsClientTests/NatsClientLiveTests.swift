import Foundation
import NatsAuth
import Testing
import TestSupport

@testable import NatsClient

/// The client against real nats-servers of both versions: every way to authenticate, TLS, requests
/// with many replies, and a server restart under a live subscription.
@Suite(.serialized, .enabled(if: LocalSupercluster.shouldRun, "nats-server binaries not installed (CI=true never skips)"))
struct NatsClientLiveTests {
    func settings(_ port: Int, _ authentication: NatsAuthentication, tls: NatsTLSSettings? = nil) -> NatsClientSettings {
        var settings = NatsClientSettings(
            servers: [NatsServerAddress(host: "127.0.0.1", port: port)], authentication: authentication, tls: tls)
        settings.connectTimeout = 5
        settings.reconnectDelay = 0.1...0.5
        return settings
    }

    @Test(arguments: NatsServerProcess.Version.allCases)
    func passwordAndNKeyUsersConnectAndWrongCredentialsAreNamed(version: NatsServerProcess.Version) async throws {
        let nkey = NKeyPair.generate(.user)
        let port = version == .new ? 26_001 : 26_002
        let config = """
            authorization {
              users = [
                {user: "sys", password: "right"}
                {nkey: "\(nkey.publicKey)"}
              ]
            }
            """
        let server = try NatsServerProcess(version, port: port, config: config)
        defer { server.stop() }

        let byPassword = try await NatsClient.connect(settings(port, .userPassword(user: "sys", password: "right")))
        guard case .connected(let address, _) = await byPassword.status else {
            Issue.record("not connected")
            return
        }
        #expect(address == "nats://127.0.0.1:\(port)")
        await byPassword.close()

        let byNKey = try await NatsClient.connect(settings(port, .nkey(seed: nkey.seed)))
        await byNKey.close()

        // The password in the URL works as in other clients, and is the login for every server tried
        // later (the ones the cluster advertises too), not only for the URL it was written in.
        let inURL = NatsClientSettings(servers: [try NatsServerAddress(url: "nats://sys:right@127.0.0.1:\(port)")])
        #expect(inURL.servers.allSatisfy { $0.user == nil && $0.password == nil })
        guard case .userPassword("sys", "right") = inURL.authentication else {
            Issue.record("URL credentials not taken: \(inURL.authentication)")
            return
        }
        await (try NatsClient.connect(inURL)).close()

        for wrong in [
            NatsAuthentication.userPassword(user: "sys", password: "wrong"), .nkey(seed: NKeyPair.generate(.user).seed), .none,
        ] {
            do {
                let client = try await NatsClient.connect(settings(port, wrong))
                await client.close()
                Issue.record("connected with wrong credentials \(wrong)")
            } catch let error as NatsClientError {
                #expect(error.kind == .authorization)
                #expect(error.message.contains("nats://127.0.0.1:\(port)"))
                #expect(error.message.contains("Authorization Violation"))
                #expect(!error.message.contains("wrong"))
            }
        }
    }

    @Test func tokenAuthentication() async throws {
        let server = try NatsServerProcess(.old, port: 26_003, config: "authorization { token: \"t0ken\" }")
        defer { server.stop() }
        await (try NatsClient.connect(settings(26_003, .token("t0ken")))).close()
        await #expect(throws: NatsClientError.self) { try await NatsClient.connect(settings(26_003, .token("other"))) }
    }

    @Test func nothingListeningIsARefusalNamingTheServer() async throws {
        do {
            _ = try await NatsClient.connect(settings(26_009, .none))
            Issue.record("connected to nothing")
        } catch let error as NatsClientError {
            #expect(error.kind == .connectionRefused)
            #expect(error.message == "nats://127.0.0.1:26009: connection refused")
        }
    }

    /// Asked to, the client waits for a server that is not up yet instead of failing.
    @Test func retriesAServerThatIsNotUpYet() async throws {
        let client = try await NatsClient.connect(settings(26_061, .none), retryingUnreachable: true)
        guard case .reconnecting(_, let reason) = await client.status else {
            Issue.record("connected to nothing: \(await client.status)")
            return
        }
        #expect(reason.contains("nats://127.0.0.1:26061: connection refused"))
        let events = try await client.subscribe("later")
        let server = try NatsServerProcess(.new, port: 26_061, config: "")
        defer { server.stop() }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if case .connected = await client.status { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let publisher = try await NatsClient.connect(settings(26_061, .none))
        try await Task.sleep(for: .milliseconds(100))
        try await publisher.publish("later", payload: Data("x".utf8))
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next()?.payload == Data("x".utf8), "the subscription made while waiting works")
        await publisher.close()
        await client.close()
        // Credentials are still checked at once: waiting does not mend them.
        let strict = try NatsServerProcess(.old, port: 26_062, config: "authorization { token: \"t\" }")
        defer { strict.stop() }
        await #expect(throws: NatsClientError.self) {
            try await NatsClient.connect(self.settings(26_062, .token("wrong")), retryingUnreachable: true)
        }
    }

    /// A request answered by several responders collects every reply; with none it returns at once.
    @Test(arguments: NatsServerProcess.Version.allCases)
    func requestCollectsManyReplies(version: NatsServerProcess.Version) async throws {
        let port = version == .new ? 26_011 : 26_012
        let server = try NatsServerProcess(version, port: port, config: "")
        defer { server.stop() }
        let requester = try await NatsClient.connect(settings(port, .none))
        var responders: [NatsClient] = []
        var tasks: [Task<Void, Never>] = []
        for index in 0..<3 {
            let responder = try await NatsClient.connect(settings(port, .none))
            let requests = try await responder.subscribe("svc.ping")
            tasks.append(Task {
                for await request in requests {
                    guard let reply = request.replyTo else { continue }
                    try? await responder.publish(reply, payload: Data("r\(index):".utf8) + request.payload)
                }
            })
            responders.append(responder)
        }
        // SUBs reach the server before the request does: a PING round trip per responder.
        try await Task.sleep(for: .milliseconds(200))

        let started = ContinuousClock.now
        let replies = try await requester.request(
            "svc.ping", payload: Data("x".utf8), collection: ReplyCollection(timeout: .seconds(3), quietPeriod: .milliseconds(300)))
        #expect(Set(replies.map { String(decoding: $0.payload, as: UTF8.self) }) == ["r0:x", "r1:x", "r2:x"])
        #expect(ContinuousClock.now - started < .seconds(2), "ended by the quiet period, not the timeout")

        // With the expected keys all in, it ends without waiting for the quiet period.
        let keyed = ReplyCollection(
            timeout: .seconds(3), quietPeriod: .seconds(2), expectedKeys: ["r0", "r1", "r2"],
            replyKey: { String(String(decoding: $0.payload, as: UTF8.self).prefix(2)) })
        let quick = ContinuousClock.now
        #expect(try await requester.request("svc.ping", collection: keyed).count == 3)
        #expect(ContinuousClock.now - quick < .seconds(1))

        let nobody = ContinuousClock.now
        let none = try await requester.request("nobody.home", collection: ReplyCollection(timeout: .seconds(3)))
        #expect(none.isEmpty)
        #expect(ContinuousClock.now - nobody < .seconds(1), "no responders ends the request at once")

        for task in tasks { task.cancel() }
        for responder in responders { await responder.close() }
        await requester.close()
    }

    /// A fresh client's first requests, sent at once, all get their replies: the inbox SUB is always on
    /// the wire ahead of every request (a review found requests overtaking it under load).
    @Test func concurrentFirstRequestsAllGetReplies() async throws {
        let server = try NatsServerProcess(.new, port: 26_013, config: "")
        defer { server.stop() }
        let responder = try await NatsClient.connect(settings(26_013, .none))
        let requests = try await responder.subscribe("race.*")
        try await responder.flush(timeout: .seconds(2))
        let answering = Task {
            for await request in requests {
                if let reply = request.replyTo { try? await responder.publish(reply, payload: Data("ok".utf8)) }
            }
        }
        defer { answering.cancel() }
        var unanswered = 0
        for _ in 0..<60 {
            let client = try await NatsClient.connect(settings(26_013, .none))
            unanswered += await withTaskGroup(of: Int.self) { group in
                for kind in ["a", "b", "c", "d"] {
                    group.addTask {
                        let replies = try? await client.request(
                            "race." + kind, collection: ReplyCollection(timeout: .seconds(1), quietPeriod: .milliseconds(30)))
                        return replies?.count == 1 ? 0 : 1
                    }
                }
                return await group.reduce(0, +)
            }
            await client.close()
        }
        #expect(unanswered == 0)
        await responder.close()
    }

    /// The server goes away and comes back on the same port: the client reconnects by itself and the
    /// subscription made before delivers again.
    @Test(arguments: NatsServerProcess.Version.allCases)
    func reconnectsAndResubscribes(version: NatsServerProcess.Version) async throws {
        let port = version == .new ? 26_021 : 26_022
        let server = try NatsServerProcess(version, port: port, config: "")
        defer { server.stop() }
        let client = try await NatsClient.connect(settings(port, .none))
        let messages = try await client.subscribe("events.>")
        var iterator = messages.makeAsyncIterator()
        // gwtop's client never receives its own messages (echo off), so another client publishes.
        func publishFromAnotherClient(_ subject: String, _ text: String) async throws {
            let publisher = try await NatsClient.connect(settings(port, .none))
            _ = try await publisher.request("flush", collection: ReplyCollection(timeout: .milliseconds(10)))
            try await publisher.publish(subject, payload: Data(text.utf8))
            _ = try await publisher.request("flush", collection: ReplyCollection(timeout: .milliseconds(10)))
            await publisher.close()
        }
        try await Task.sleep(for: .milliseconds(100))
        try await publishFromAnotherClient("events.one", "1")
        #expect(await iterator.next()?.payload == Data("1".utf8))

        server.stop()
        try await Task.sleep(for: .milliseconds(300))
        guard case .reconnecting = await client.status else {
            Issue.record("status after the server died: \(await client.status)")
            return
        }
        await #expect(throws: NatsClientError.self) { try await client.publish("events.lost") }

        try server.start()
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if case .connected = await client.status { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard case .connected = await client.status else {
            Issue.record("did not reconnect: \(await client.status)")
            return
        }
        try await Task.sleep(for: .milliseconds(100))
        try await publishFromAnotherClient("events.two", "2")
        #expect(await iterator.next()?.payload == Data("2".utf8))
        await client.close()
        #expect(await client.status == .closed)
    }

    /// HPUB arrives as HMSG with its headers; a reader that does not keep up loses the oldest messages,
    /// counted, and the connection stays up.
    @Test(arguments: NatsServerProcess.Version.allCases)
    func headersAndASlowReader(version: NatsServerProcess.Version) async throws {
        let port = version == .new ? 26_051 : 26_052
        let server = try NatsServerProcess(version, port: port, config: "")
        defer { server.stop() }
        var slowSettings = settings(port, .none)
        slowSettings.subscriptionBuffer = 10
        let reader = try await NatsClient.connect(slowSettings)
        let writer = try await NatsClient.connect(settings(port, .none))
        let stream = try await reader.subscribe("load.>")
        let flush = ReplyCollection(timeout: .milliseconds(50))
        _ = try await reader.request("flush", collection: flush)

        try await writer.publish("load.h", payload: Data("body".utf8), headers: [("Gwtop-Test", "yes"), ("X", "1 2")])
        for index in 0..<100 { try await writer.publish("load.n", payload: Data("\(index)".utf8)) }
        _ = try await writer.request("flush", collection: flush)
        try await Task.sleep(for: .milliseconds(300))

        var received: [NatsMessage] = []
        for await message in stream {
            received.append(message)
            if message.payload == Data("99".utf8) { break }
        }
        #expect(received.count == 10, "only the newest 10 were kept")
        #expect(await reader.droppedMessages == 91)
        guard case .connected = await reader.status else {
            Issue.record("a slow reader must not lose the connection")
            return
        }

        // Headers, read promptly.
        let prompt = try await reader.subscribe("hdr")
        _ = try await reader.request("flush", collection: flush)
        try await writer.publish("hdr", payload: Data("body".utf8), headers: [("Gwtop-Test", "yes"), ("X", "1 2")])
        var iterator = prompt.makeAsyncIterator()
        let message = await iterator.next()
        #expect(message?.payload == Data("body".utf8))
        #expect(message?.headers.map(\.name) == ["Gwtop-Test", "X"] && message?.headers.map(\.value) == ["yes", "1 2"])
        await #expect(throws: NatsClientError.self) {
            try await writer.publish("hdr", headers: [("Bad\r\nPUB x 0", "v")])
        }
        await reader.close()
        await writer.close()
    }

    /// TLS to the client port: verified against the test CA (the system roots do not know it), and a
    /// client certificate where the server asks for one.
    @Test func tlsVerifiedByTheGivenCA() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-nats-tls-\(getpid())").path
        try TestCertificates.make(in: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try NatsServerProcess(.new, port: 26_031, config: """
            tls {
              cert_file: "\(directory)/server.pem"
              key_file: "\(directory)/server.key"
            }
            authorization { user: "sys", password: "right" }
            """)
        defer { server.stop() }
        let good = try await NatsClient.connect(settings(
            26_031, .userPassword(user: "sys", password: "right"), tls: NatsTLSSettings(caFile: directory + "/ca.pem")))
        let replies = try await good.request("nobody", collection: ReplyCollection(timeout: .milliseconds(500)))
        #expect(replies.isEmpty)
        await good.close()

        do {
            _ = try await NatsClient.connect(settings(26_031, .userPassword(user: "sys", password: "right")))
            Issue.record("an unknown CA was accepted")
        } catch let error as NatsClientError {
            #expect(error.kind == .tls, "\(error)")
            #expect(error.message.contains("nats://127.0.0.1:26031"))
        }
        #expect(throws: NatsClientError.self) {
            _ = try NatsClient.tlsConfiguration(NatsTLSSettings(caFile: directory + "/missing.pem"))
        }

        let mutual = try NatsServerProcess(.old, port: 26_032, config: """
            tls {
              cert_file: "\(directory)/server.pem"
              key_file: "\(directory)/server.key"
              ca_file: "\(directory)/ca.pem"
              verify: true
            }
            """)
        defer { mutual.stop() }
        let withCertificate = try await NatsClient.connect(settings(26_032, .none, tls: NatsTLSSettings(
            caFile: directory + "/ca.pem", certificateFile: directory + "/client.pem", keyFile: directory + "/client.key")))
        await withCertificate.close()
        do {
            _ = try await NatsClient.connect(settings(26_032, .none, tls: NatsTLSSettings(caFile: directory + "/ca.pem")))
            Issue.record("connected without the client certificate the server requires")
        } catch let error as NatsClientError {
            #expect(error.message.contains("nats://127.0.0.1:26032"), "\(error)")
        }
    }

    /// Decentralised auth: an operator, a system account and a user, all made here, and a creds file.
    @Test func credsFileInOperatorMode() async throws {
        let operatorKey = NKeyPair.generate(.operator)
        let systemAccount = NKeyPair.generate(.account)
        let user = NKeyPair.generate(.user)
        let operatorJWT = JWTIssuer.operatorJWT(operator: operatorKey, name: "gwtop-test", systemAccount: systemAccount.publicKey)
        let accountJWT = JWTIssuer.accountJWT(account: systemAccount, name: "SYS", issuer: operatorKey)
        let userJWT = JWTIssuer.userJWT(user: user, name: "sys-user", issuer: systemAccount)
        let server = try NatsServerProcess(.new, port: 26_041, config: """
            operator: "%DIR%/op.jwt"
            system_account: "\(systemAccount.publicKey)"
            resolver: MEMORY
            resolver_preload: { \(systemAccount.publicKey): "\(accountJWT)" }
            """,
            files: ["op.jwt": operatorJWT, "user.creds": NatsCredentials.format(jwt: userJWT, seed: user)])
        defer { server.stop() }
        let credentials = try NatsCredentials(contentsOfFile: server.path("user.creds"))
        let client = try await NatsClient.connect(settings(26_041, .credentials(jwt: credentials.jwt, seed: credentials.seed.seed)))
        // A system-account user: the server itself answers the PING.
        let replies = try await client.request(
            "$SYS.REQ.SERVER.PING.VARZ", collection: ReplyCollection(timeout: .seconds(3), quietPeriod: .milliseconds(300)))
        #expect(replies.count == 1)
        await client.close()

        let stranger = NKeyPair.generate(.user)
        await #expect(throws: NatsClientError.self) {
            try await NatsClient.connect(self.settings(26_041, .credentials(jwt: userJWT, seed: stranger.seed)))
        }
    }
}
