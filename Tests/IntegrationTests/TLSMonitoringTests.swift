import Foundation
import TestSupport
import Testing

/// Monitoring over https against a real nats-server (2.15.1) whose `https` port uses a CA this test
/// generates and requires client certificates.
@Suite(.serialized, .enabled(if: LocalSupercluster.shouldRun, "nats-server binaries not installed (CI=true never skips)"))
struct TLSMonitoringTests {
    struct Binaries: Decodable {
        struct Binary: Decodable { let path: String }
        let new: Binary
    }

    @Test func verifiedCAClientCertificatesAndInsecureMode() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gwtop-tls-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try TestCertificates.make(in: directory)
        let binaries = try JSONDecoder().decode(Binaries.self, from: Data(
            try ProcessRunner.run("/usr/bin/env", ["python3", LocalSupercluster.script, "server-binaries"]).stdout.utf8))
        let httpsPort = 25_610
        try """
            server_name: "tls1"
            listen: "127.0.0.1:25600"
            https: "127.0.0.1:\(httpsPort)"
            tls {
              cert_file: "\(directory)/server.pem"
              key_file: "\(directory)/server.key"
              ca_file: "\(directory)/ca.pem"
              verify: true
            }
            """.write(toFile: directory + "/server.conf", atomically: true, encoding: .utf8)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: binaries.new.path)
        server.arguments = ["-c", directory + "/server.conf"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: children of the test runner inherit an ignored SIGTERM.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let ready = try waitUntil(within: 20) {
            try ProcessRunner.run("/usr/bin/env", [
                "curl", "-sf", "--cacert", directory + "/ca.pem", "--cert", directory + "/client.pem", "--key", directory + "/client.key",
                "https://127.0.0.1:\(httpsPort)/varz",
            ]).status == 0
        }
        try #require(ready, "nats-server's https monitoring port never answered")
        let url = "https://127.0.0.1:\(httpsPort)"

        func run(_ tls: String, _ extra: [String] = []) throws -> ProcessRunner.Output {
            let config = directory + "/gwtop-\(UUID().uuidString).yaml"
            try "endpoints:\n  - url: \(url)\n    tls:\n\(tls)".write(toFile: config, atomically: true, encoding: .utf8)
            return try GwtopBinary.run(["--timeout", "2", "--interval", "0.2", "--config", config] + extra)
        }
        let clientCertificate = "      cert_file: \(directory)/client.pem\n      key_file: \(directory)/client.key\n"

        // The test CA and a client certificate: verified and reachable.
        var output = try run("      ca_file: \(directory)/ca.pem\n" + clientCertificate, ["--once", "--format", "json"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("\"name\": \"tls1\""), "\(output.stdout)")
        #expect(output.stdout.contains("\"reachable\": true") && output.stdout.contains("\"tls_insecure\": false"))

        // The system trust store does not know the test CA.
        output = try GwtopBinary.run(["--check", "--timeout", "2", "--interval", "0.2", url])
        #expect(output.status == 2)
        #expect(output.stdout.contains("endpoint_unreachable: \(url) unreachable: TLS"), "\(output.stdout)")

        // nats-server's https port does not ask for client certificates, so they are proven against an
        // openssl s_server that requires one (-Verify): with the certificate the TLS session is set up
        // and the (HTML) answer fails to decode; without it the handshake itself fails.
        let strictPort = 25_620
        let strict = Process()
        strict.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        strict.arguments = ["openssl", "s_server", "-quiet", "-accept", "127.0.0.1:\(strictPort)", "-cert", directory + "/server.pem",
                            "-key", directory + "/server.key", "-CAfile", directory + "/ca.pem", "-Verify", "1", "-www"]
        strict.standardOutput = FileHandle.nullDevice
        strict.standardError = FileHandle.nullDevice
        strict.standardInput = FileHandle.nullDevice
        try strict.run()
        defer { kill(strict.processIdentifier, SIGKILL); strict.waitUntilExit() }
        try #require(waitUntil(within: 20) { NatsServerProcess.accepts(strictPort) }, "openssl s_server never listened on \(strictPort)")
        func runStrict(_ tls: String) throws -> ProcessRunner.Output {
            let config = directory + "/strict-\(UUID().uuidString).yaml"
            try "endpoints:\n  - url: https://127.0.0.1:\(strictPort)\n    tls:\n\(tls)".write(toFile: config, atomically: true, encoding: .utf8)
            return try GwtopBinary.run(["--check", "--timeout", "2", "--interval", "0.2", "--config", config])
        }
        output = try runStrict("      ca_file: \(directory)/ca.pem\n" + clientCertificate)
        #expect(output.stdout.contains("unreachable: /varz: not JSON"), "client certificate accepted: \(output.stdout)")
        output = try runStrict("      ca_file: \(directory)/ca.pem\n")
        #expect(output.stdout.contains("unreachable: TLS"), "no client certificate: \(output.stdout)")

        // insecure: reachable without the CA, and marked wherever the endpoint is shown.
        output = try run("      insecure: true\n" + clientCertificate, ["--once"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("INSECURE TLS (certificate not verified)"), "\(output.stdout)")
        output = try run("      insecure: true\n" + clientCertificate, ["--once", "--format", "json"])
        #expect(output.stdout.contains("\"tls_insecure\": true"))
    }
}
