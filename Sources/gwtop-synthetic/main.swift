import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NatsClient
import SyntheticMesh

// gwtop-synthetic: serves a synthetic supercluster's monitoring endpoints on one port, one path prefix
// per server (`/dc01-s1/varz`, `/dc01-s1/gatewayz`, …), for benchmarks at a scale no laptop runs for real.
//
//   gwtop-synthetic --clusters 50 --servers 5 --port 18222 [--urls FILE] [--nats nats://127.0.0.1:4222]
//                   [--cut dc01:dc02] [--cut dc03:*] [--down dc04-s2] [--faults-after SECONDS]
//
// --cut takes the gateways between two clusters away (`*`: between one and every other), --down stops a
// server answering (the servers that dialled it dial another of its cluster); both repeat, and hold from
// the start, or from --faults-after seconds after it, so a watcher sees the mesh break.
// With --nats it also answers `$SYS.REQ.SERVER.PING.*` for every server through that NATS server (any
// account: the subjects are plain subjects outside the system account), for `gwtop --nats`.
// Counters advance with the wall clock, so rates computed from two polls are real.

final class MonitoringHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: one handler per channel, used only on that channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let mesh: SyntheticMesh
    private var keepAlive = true
    private var path = ""

    init(mesh: SyntheticMesh) { self.mesh = mesh }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            path = head.uri
        case .body:
            break
        case .end:
            respond(context)
        }
    }

    func respond(_ context: ChannelHandlerContext) {
        let now = Date().timeIntervalSince1970
        var body: [UInt8]?
        let pathOnly = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        let parts = pathOnly.split(separator: "/")
        if parts.count == 2, let server = mesh.server(named: String(parts[0])) {
            guard !mesh.isDown(server, at: now) else {
                // A server that is down answers nothing: the connection goes, as close to a refused one as
                // a port shared by every server can come.
                context.close(promise: nil)
                return
            }
            switch parts[1] {
            case "varz": body = mesh.varz(server, now: now)
            case "gatewayz": body = mesh.gatewayz(server, now: now, accounts: path.contains("accs=1") || path.contains("accs=true"))
            case "routez": body = mesh.routez(server, now: now)
            case "healthz": body = mesh.healthz()
            default: break
            }
        }
        let status: HTTPResponseStatus = body == nil ? .notFound : .ok
        let bytes = body ?? Array("not found\n".utf8)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: body == nil ? "text/plain" : "application/json")
        headers.add(name: "Content-Length", value: String(bytes.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        let keepAlive = self.keepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}

do {
    let options = try SyntheticOptions(Array(CommandLine.arguments.dropFirst()))
    if options.helpRequested {
        print(SyntheticOptions.usage)
        exit(0)
    }
    let now = Date().timeIntervalSince1970
    let whole = SyntheticMesh(clusters: options.clusters, serversPerCluster: options.servers, startedAt: now - 3600)
    // Faults from the start began half an hour before it (the mesh has run an hour): connections
    // re-dialled then are that old, as an operator arriving at an outage finds them.
    let faults = try whole.faults(cuts: options.cuts, down: options.downServers, from: options.faultsAfter > 0 ? now + options.faultsAfter : now - 1800)
    let mesh = SyntheticMesh(clusters: options.clusters, serversPerCluster: options.servers, startedAt: now - 3600, faults: faults)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
    let channel = try ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 1024)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.pipeline.configureHTTPServerPipeline().flatMap {
                channel.pipeline.addHandler(MonitoringHandler(mesh: mesh))
            }
        }
        .bind(host: "127.0.0.1", port: options.port).wait()
    let port = channel.localAddress?.port ?? options.port
    let urls = mesh.servers.map { "http://127.0.0.1:\(port)\(mesh.pathPrefix($0))" }
    if let file = options.urlsFile {
        try (urls.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    }
    FileHandle.standardError.write(Data(
        "gwtop-synthetic: \(options.clusters) clusters × \(options.servers) servers, \(mesh.connectionCount) gateway connections, on 127.0.0.1:\(port)\n".utf8))
    if !faults.isEmpty {
        let when = options.faultsAfter > 0 ? "in \(options.faultsAfter)s" : "from the start"
        FileHandle.standardError.write(Data(
            "gwtop-synthetic: faults \(when): \(faults.cutPairs.count) cluster pairs cut, \(faults.downServers.count) servers down\n".utf8))
    }
    if let natsURL = options.natsURL {
        var settings = NatsClientSettings(servers: [try NatsServerAddress(url: natsURL)])
        settings.connectionName = "gwtop-synthetic"
        Task.detached {
            do {
                let client = try await NatsClient.connect(settings)
                FileHandle.standardError.write(Data("gwtop-synthetic: answering $SYS.REQ.SERVER.PING.* through \(natsURL)\n".utf8))
                try await SystemAccountResponder(mesh: mesh, client: client).run()
            } catch {
                FileHandle.standardError.write(Data("gwtop-synthetic: --nats: \(error)\n".utf8))
                exit(2)
            }
        }
    }
    try channel.closeFuture.wait()
} catch {
    FileHandle.standardError.write(Data("gwtop-synthetic: \(error)\n".utf8))
    exit(2)
}
