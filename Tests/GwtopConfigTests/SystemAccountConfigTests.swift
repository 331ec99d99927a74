import Foundation
import GwtopConfig
import NatsAuth
import NatsClient
import SystemAccountSource
import Testing

/// The config file's `nats:` section: the system account as a source, with every credential kind.
struct SystemAccountConfigTests {
    func error(_ yaml: String) -> String {
        do {
            _ = try GwtopConfiguration.parse(yaml: yaml, file: "test.yaml")
            return "parsed"
        } catch {
            return "\(error)"
        }
    }

    @Test func sectionWithEachCredentialKind() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-natscfg-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let user = NKeyPair.generate(.user)
        try user.seed.write(toFile: directory + "/sys.nk", atomically: true, encoding: .utf8)

        let withPassword = try GwtopConfiguration.parse(yaml: """
            nats:
              urls: [nats://10.0.0.1:4222, tls://10.0.0.2:4443]
              user: sys
              password: s3cret
            endpoints: [http://10.0.0.9:8222]
            """, file: "test.yaml")
        #expect(withPassword.systemAccount.urls == ["nats://10.0.0.1:4222", "tls://10.0.0.2:4443"])
        #expect(withPassword.endpoints.count == 1, "HTTP endpoints and the system account mix")
        let settings = try withPassword.systemAccount.clientSettings(naming: .configFile)
        #expect(settings.servers.map(\.description) == ["nats://10.0.0.1:4222", "tls://10.0.0.2:4443"])
        guard case .userPassword(let name, let password) = settings.authentication else {
            Issue.record("not user/password")
            return
        }
        #expect(name == "sys" && password == "s3cret")

        let withNKey = try GwtopConfiguration.parse(yaml: "nats:\n  url: nats://h\n  nkey_file: \(directory)/sys.nk\n", file: "t")
        guard case .nkey(let seed) = try withNKey.systemAccount.clientSettings().authentication else {
            Issue.record("not an NKey")
            return
        }
        #expect(try NKeyPair(seed: seed).publicKey == user.publicKey)
        let withToken = try GwtopConfiguration.parse(yaml: "nats: {url: nats://h, token: tk}\n", file: "t")
        #expect(withToken.systemAccount.token == "tk")
    }

    @Test func mistakesNameTheLineAndTheKey() {
        #expect(error("nats:\n  user: sys\n") == "test.yaml:2: nats: the key \"url\" (or \"urls\") is required")
        #expect(error("nats:\n  url: nats://h\n  url2: x\n").hasPrefix("test.yaml:3: unknown key \"url2\" in nats; expected one of:"))
        #expect(error("nats:\n  url: http://h:8222\n") == "test.yaml:2: invalid NATS URL \"http://h:8222\": scheme http (use nats:// or tls://)"
            || error("nats:\n  url: http://h:8222\n").contains("nats.url: invalid NATS URL"))
        #expect(error("nats:\n  url: nats://h\n  user: a\n  token: b\n").contains("give one way to authenticate to NATS, not nats.user/nats.password and nats.token"))
        #expect(error("nats:\n  url: nats://h\n  password: p\n").contains("nats.password needs nats.user"))
        #expect(error("nats:\n  url: nats://h\n  creds_file: /nonexistent.creds\n") == "test.yaml:3: nats.creds_file: cannot read /nonexistent.creds")
        #expect(error("nats:\n  url: nats://h\n  tls: {cert_file: /etc/hostname}\n").contains("nats.tls.cert_file and nats.tls.key_file go together"))
        #expect(error("nats:\n  url: nats://h\n  urls: [nats://i]\n") == "test.yaml:2: nats: give url or urls, not both")
    }

    @Test func aPasswordInAWorldReadableFileIsWarnedAbout() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-natscfg-\(getpid()).yaml").path
        try "nats:\n  url: nats://h\n  user: sys\n  password: pw\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(try GwtopConfiguration.load(path: path).warnings.contains { $0.contains("chmod 600") })
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try GwtopConfiguration.load(path: path).warnings.isEmpty)
    }
}
