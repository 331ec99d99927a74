import Foundation

/// A throwaway CA and a server and client certificate signed by it, made with the openssl command:
/// `ca.pem`, `server.pem`/`server.key` (valid for 127.0.0.1), `client.pem`/`client.key`.
public enum TestCertificates {
    public struct Failure: Error, CustomStringConvertible { public let description: String }

    public static func make(in directory: String) throws {
        func openssl(_ arguments: [String]) throws {
            let output = try ProcessRunner.run(
                "/usr/bin/env", ["openssl"] + arguments.map { $0.replacingOccurrences(of: "@", with: directory + "/") })
            guard output.status == 0 else { throw Failure(description: "openssl \(arguments.first ?? ""): \(output.stderr)") }
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "@ca.key", "-out", "@ca.pem", "-days", "2",
                     "-subj", "/CN=gwtop test CA"])
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(
            toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: directory + "/client.ext", atomically: true, encoding: .utf8)
        for (name, subject) in [("server", "/CN=127.0.0.1"), ("client", "/CN=gwtop")] {
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "@\(name).key", "-out", "@\(name).csr", "-subj", subject])
            try openssl(["x509", "-req", "-in", "@\(name).csr", "-CA", "@ca.pem", "-CAkey", "@ca.key", "-CAcreateserial",
                         "-out", "@\(name).pem", "-days", "2", "-extfile", "@\(name).ext"])
        }
    }
}
