import Foundation
import NatsClient
import SyntheticMesh

/// Answers `$SYS.REQ.SERVER.PING.<KIND>` for every synthetic server, through one NATS connection, with
/// the envelope real servers use: so gwtop's system-account path can be measured at a scale no machine
/// runs for real. (All replies come from this one connection rather than from servers across gateways.)
struct SystemAccountResponder {
    let mesh: SyntheticMesh
    let client: NatsClient

    static let kinds = ["VARZ", "GATEWAYZ", "ROUTEZ", "HEALTHZ"]

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for kind in Self.kinds {
                let requests = try await client.subscribe("$SYS.REQ.SERVER.PING." + kind)
                group.addTask {
                    for await request in requests {
                        guard let replyTo = request.replyTo else { continue }
                        // As nats-server: accounts only when the request asks for them.
                        let accounts = String(decoding: request.payload, as: UTF8.self).contains(#""accounts":true"#)
                        try await answer(kind, replyTo: replyTo, accounts: accounts)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func answer(_ kind: String, replyTo: String, accounts: Bool) async throws {
        let now = Date().timeIntervalSince1970
        for server in mesh.servers where !mesh.isDown(server, at: now) {
            let document: [UInt8]
            switch kind {
            case "VARZ": document = mesh.varz(server, now: now)
            case "GATEWAYZ": document = mesh.gatewayz(server, now: now, accounts: accounts)
            case "ROUTEZ": document = mesh.routez(server, now: now)
            default: document = mesh.healthz()
            }
            var envelope = Array(#"{"server":{"name":""#.utf8)
            envelope += Array(mesh.serverName(server).utf8)
            envelope += Array(#"","host":"127.0.0.1","id":""#.utf8)
            envelope += Array(mesh.serverID(server).utf8)
            envelope += Array(#"","cluster":""#.utf8)
            envelope += Array(mesh.clusterName(server.cluster).utf8)
            envelope += Array(#"","ver":"2.15.1"},"data":"#.utf8)
            envelope += document
            envelope += Array("}".utf8)
            try await client.publish(replyTo, payload: Data(envelope))
        }
    }
}
