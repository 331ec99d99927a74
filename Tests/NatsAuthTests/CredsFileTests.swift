import Foundation
import Testing
@testable import NatsAuth

@Suite struct CredsFileTests {
    static let seed = NKeyTests.userSeed
    static let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVIn0.c2ln"

    // Laid out as nsc and the nats-server docs write creds files.
    static let sample = """
        -----BEGIN NATS USER JWT-----
        \(jwt)
        ------END NATS USER JWT------

        ************************* IMPORTANT *************************
        NKEY Seed printed below can be used to sign and prove identity.
        NKEYs are sensitive and should be treated as secrets.

        -----BEGIN USER NKEY SEED-----
        \(seed)
        ------END USER NKEY SEED------

        *************************************************************

        """

    @Test func parsesSample() throws {
        let creds = try NatsCredentials.parse(Self.sample)
        #expect(creds.jwt == Self.jwt)
        #expect(creds.seed.publicKey == NKeyTests.userPublic)
    }

    @Test func parsesCRLFAndIndentation() throws {
        let crlf = Self.sample.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try NatsCredentials.parse(crlf).jwt == Self.jwt)
        let indented = Self.sample.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "   \t" + $0 }.joined(separator: "\n")
        #expect(try NatsCredentials.parse(indented).seed.publicKey == NKeyTests.userPublic)
    }

    @Test func fiveOrSixDashes() throws {
        let text = """
            -----BEGIN NATS USER JWT-----
            \(Self.jwt)
            -----END NATS USER JWT-----
            ------BEGIN USER NKEY SEED------
            \(Self.seed)
            ------END USER NKEY SEED------
            """
        let creds = try NatsCredentials.parse(text)
        #expect(creds.jwt == Self.jwt)
        #expect(creds.seed.publicKey == NKeyTests.userPublic)
    }

    @Test func formatRoundTrips() throws {
        let user = NKeyPair.generate(.user)
        let text = NatsCredentials.format(jwt: Self.jwt, seed: user)
        #expect(text.hasPrefix("-----BEGIN NATS USER JWT-----\n\(Self.jwt)\n------END NATS USER JWT------\n"))
        #expect(text.contains("-----BEGIN USER NKEY SEED-----\n\(user.seed)\n------END USER NKEY SEED------\n"))
        let creds = try NatsCredentials.parse(text)
        #expect(creds.jwt == Self.jwt)
        #expect(creds.seed.publicKey == user.publicKey)
    }

    @Test func missingBlocksNamed() {
        let noSeed = """
            -----BEGIN NATS USER JWT-----
            \(Self.jwt)
            ------END NATS USER JWT------
            """
        #expect(throws: NKeyError("creds file /x/y.creds has no user NKey seed block")) {
            try NatsCredentials.parse(noSeed, path: "/x/y.creds")
        }
        let noJWT = """
            -----BEGIN USER NKEY SEED-----
            \(Self.seed)
            ------END USER NKEY SEED------
            """
        #expect(throws: NKeyError("creds file /x/y.creds has no user JWT block")) {
            try NatsCredentials.parse(noJWT, path: "/x/y.creds")
        }
        #expect(throws: NKeyError("creds text has no user JWT block")) {
            try NatsCredentials.parse("")
        }
    }

    @Test func badSeedReportedWithoutSecret() {
        var corrupt = Array(Self.seed)
        corrupt[30] = corrupt[30] == "A" ? "B" : "A"
        let text = Self.sample.replacingOccurrences(of: Self.seed, with: String(corrupt))
        #expect(throws: NKeyError("creds file a.creds: bad user NKey seed: not a valid NKey seed: checksum mismatch")) {
            try NatsCredentials.parse(text, path: "a.creds")
        }
        let account = NKeyTests.typedVectors[1].1
        let wrongType = Self.sample.replacingOccurrences(of: Self.seed, with: account)
        #expect(throws: NKeyError("creds text: bad user NKey seed: expected a user seed (SU...), got an account seed (SA...)")) {
            try NatsCredentials.parse(wrongType)
        }
    }

    @Test func notAJWT() {
        let text = Self.sample.replacingOccurrences(of: Self.jwt, with: "nodots")
        #expect(throws: NKeyError("creds text: the user JWT block does not hold a JWT (expected three dot-separated parts)")) {
            try NatsCredentials.parse(text)
        }
    }

    @Test func readsFileAndNamesMissingFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("natsauth-test-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("user.creds").path
        try Self.sample.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try NatsCredentials(contentsOfFile: path).jwt == Self.jwt)
        let missing = dir.appendingPathComponent("nope.creds").path
        #expect(throws: NKeyError("creds file \(missing) does not exist")) {
            try NatsCredentials(contentsOfFile: missing)
        }
    }

    @Test func descriptionHidesSeed() throws {
        let creds = try NatsCredentials.parse(Self.sample)
        let tail = String(Self.seed.dropFirst(2))
        for text in ["\(creds)", String(reflecting: creds), dumped(creds)] {
            #expect(!text.contains(tail))
        }
    }
}

@Suite struct NKeyFileTests {
    @Test func bareSeed() throws {
        #expect(try NKeyFile.parse(NKeyTests.userSeed + "\n").publicKey == NKeyTests.userPublic)
        #expect(try NKeyFile.parse("\r\n  \(NKeyTests.userSeed)  \r\n").publicKey == NKeyTests.userPublic)
    }

    @Test func decoratedSeed() throws {
        // A creds file works as an nkey file too: the decoration's "Seed" word is skipped.
        #expect(try NKeyFile.parse(CredsFileTests.sample).publicKey == NKeyTests.userPublic)
    }

    @Test func errors() throws {
        #expect(throws: NKeyError("nkey file k.nk has no NKey seed (a 58-character word starting with S)")) {
            try NKeyFile.parse("UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4\n", path: "k.nk")
        }
        let account = NKeyTests.typedVectors[1].1
        #expect(throws: NKeyError("nkey text: bad NKey seed: expected a user seed (SU...), got an account seed (SA...)")) {
            try NKeyFile.parse(account)
        }
        #expect(try NKeyFile.parse(account, expecting: nil).type == .account)
    }
}
