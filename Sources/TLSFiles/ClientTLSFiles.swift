public import NIOSSL

/// A client TLS configuration from PEM files: CA certificates to trust instead of the system's, and a
/// client certificate with its key. Shared by the HTTP poller and the NATS client.
public enum ClientTLSFiles {
    public static func configuration(caFile: String?, certificateFile: String?, keyFile: String?) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        if let certificateFile {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
        }
        if let keyFile {
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        }
        return configuration
    }
}
