public import Foundation
public import MonitorModel

/// Monitoring documents recorded from real servers by `scripts/record-fixtures.sh`.
public enum Fixtures {
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    public static var repositoryRoot: URL { root.deletingLastPathComponent().deletingLastPathComponent() }

    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(relativePath))
    }

    /// A recorded server's documents (`healthy/poll-1/NAME`) by request path; `/gatewayz` (no accounts
    /// asked) gets the recorded `/gatewayz?accs=1` with every `accounts` list emptied, as a server leaves
    /// them out.
    public static func recordedDocuments(_ name: String) throws -> [String: [UInt8]] {
        var documents: [String: [UInt8]] = try Dictionary(uniqueKeysWithValues: MonitorEndpointKind.fullSet.map { kind in
            (kind.requestPath, Array(try data("healthy/poll-1/\(name)/\(kind.rawValue).json")))
        })
        let full = String(decoding: documents["/gatewayz?accs=1"]!, as: UTF8.self)
        let withoutAccounts = full.replacingOccurrences(of: #""accounts"\s*:\s*\[[^\]]*\]"#, with: #""accounts": []"#, options: .regularExpression)
        documents["/gatewayz"] = Array(withoutAccounts.utf8)
        return documents
    }

    public struct ManifestServer: Decodable, Sendable {
        public let name: String
        public let cluster: String
        public let version: String
        public let monitor_url: String
    }

    struct Manifest: Decodable { let servers: [ManifestServer] }

    public static func servers(topology: String) throws -> [ManifestServer] {
        try JSONDecoder().decode(Manifest.self, from: data("\(topology)/manifest.json")).servers
    }

    /// One recorded poll of a topology as the poller would have produced it.
    public static func poll(topology: String, number: Int, excluding: Set<String> = []) throws -> PollSnapshot {
        var observations: [EndpointObservation] = []
        for server in try servers(topology: topology) where !excluding.contains(server.name) {
            var responses: [RawResponse] = []
            for kind in MonitorEndpointKind.fullSet {
                let path = "\(topology)/poll-\(number)/\(server.name)/\(kind.rawValue).json"
                guard let body = try? data(path) else { continue }
                responses.append(RawResponse(kind: kind, statusCode: 200, body: body))
            }
            observations.append(EndpointObservation(
                endpoint: EndpointIdentity(displayURL: server.monitor_url, name: server.name),
                observedAt: MonitorTime(seconds: Int64(1_800_000_000 + number)), responses: responses))
        }
        return PollSnapshot(
            sequence: number, startedAt: MonitorTime(seconds: Int64(1_800_000_000 + number)),
            finishedAt: MonitorTime(seconds: Int64(1_800_000_000 + number)), observations: observations)
    }

    /// Every recorded document of one endpoint kind, with its path.
    public static func allDocuments(of kind: MonitorEndpointKind) throws -> [(path: String, body: Data)] {
        var result: [(String, Data)] = []
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            if url.lastPathComponent == "\(kind.rawValue).json" {
                result.append((url.path, try Data(contentsOf: url)))
            }
        }
        return result.sorted { $0.0 < $1.0 }
    }
}
