import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NatsAuth

/// Parses the server's bytes on the event loop and hands complete operations to the client. PING is
/// answered right here, so a busy reader never gets the connection dropped as stale.
final class NatsInboundHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var parser = NatsProtocolParser()
    private let sink: AsyncThrowingStream<NatsServerOperation, any Error>.Continuation

    init(sink: AsyncThrowingStream<NatsServerOperation, any Error>.Continuation) {
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        parser.append(unwrapInboundIn(data))
        do {
            while let operation = try parser.next() {
                if operation == .ping {
                    var pong = context.channel.allocator.buffer(capacity: 6)
                    pong.writeString("PONG\r\n")
                    context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
                    continue
                }
                sink.yield(operation)
            }
        } catch {
            sink.finish(throwing: error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        sink.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        sink.finish(throwing: error)
        context.close(promise: nil)
    }
}

/// One TCP (or TLS) connection to one server, past the handshake: INFO read, CONNECT sent, first PONG
/// received. It does not reconnect; `NatsClient` does that.
final class NatsConnection: Sendable {
    let channel: any Channel
    let info: NatsServerInfo
    let address: NatsServerAddress
    /// Used by exactly one task at a time: the handshake, then the client's reader task.
    private let reader: OperationReader

    /// An iterator is not Sendable; it is handed from the handshake to the one reader task and never used
    /// by two tasks at once.
    private final class OperationReader: @unchecked Sendable {
        var iterator: AsyncThrowingStream<NatsServerOperation, any Error>.AsyncIterator
        init(_ iterator: AsyncThrowingStream<NatsServerOperation, any Error>.AsyncIterator) { self.iterator = iterator }
    }

    private init(channel: any Channel, info: NatsServerInfo, address: NatsServerAddress, reader: OperationReader) {
        self.channel = channel
        self.info = info
        self.address = address
        self.reader = reader
    }

    /// The next operation from the server; nil when the connection has ended cleanly.
    func nextOperation() async throws -> NatsServerOperation? {
        try await reader.iterator.next()
    }

    /// Queues the commands on the channel now, in the caller's order: two calls made one after the other
    /// (by the client's actor) reach the server in that order, which an `async` send would not promise.
    /// Await the result to learn whether the write went out.
    func enqueue(_ commands: [NatsClientCommand]) throws -> EventLoopFuture<Void> {
        try Self.enqueue(commands, on: channel)
    }

    /// The commands as one buffer, written and flushed on `channel`.
    private static func enqueue(_ commands: [NatsClientCommand], on channel: any Channel) throws -> EventLoopFuture<Void> {
        var buffer = channel.allocator.buffer(capacity: 256)
        for command in commands { try command.write(into: &buffer) }
        return channel.writeAndFlush(buffer)
    }

    /// The outcome of an `enqueue`, as a client error naming the server.
    func completion(of write: EventLoopFuture<Void>) async throws {
        do {
            try await write.get()
        } catch {
            throw NatsClientError(.disconnected, "\(address): write failed: \(error)")
        }
    }

    func close() {
        channel.close(promise: nil)
    }

    /// Dials, upgrades to TLS when asked, authenticates, and waits for the first PONG, all within
    /// `settings.connectTimeout`.
    static func open(
        _ address: NatsServerAddress, settings: NatsClientSettings, tls: TLSConfiguration?, group: any EventLoopGroup
    ) async throws -> NatsConnection {
        let (stream, sink) = AsyncThrowingStream<NatsServerOperation, any Error>.makeStream()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(settings.connectTimeout * 1000)))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NatsInboundHandler(sink: sink))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: address.host, port: address.port).get()
        } catch {
            throw describeConnectFailure(error, address: address)
        }
        let timedOut = NIOLockedValueBox(false)
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(settings.connectTimeout * 1000))) {
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        let reader = OperationReader(stream.makeAsyncIterator())
        do {
            let info = try await handshake(channel: channel, reader: reader, address: address, settings: settings, tls: tls)
            return NatsConnection(channel: channel, info: info, address: address, reader: reader)
        } catch {
            channel.close(promise: nil)
            if timedOut.withLockedValue({ $0 }) {
                throw NatsClientError(
                    .timeout, "\(address): no answer to the NATS handshake within \(formatSeconds(settings.connectTimeout))")
            }
            throw error
        }
    }

    private static func handshake(
        channel: any Channel, reader: OperationReader, address: NatsServerAddress, settings: NatsClientSettings,
        tls: TLSConfiguration?
    ) async throws -> NatsServerInfo {
        func next() async throws -> NatsServerOperation? {
            do {
                return try await reader.iterator.next()
            } catch let error as NatsProtocolError {
                throw NatsClientError(.protocolError, "\(address): \(error.message)")
            } catch let error as NIOSSLError {
                throw NatsClientError(.tls, "\(address): TLS handshake failed: \(error)")
            } catch let error as BoringSSLError {
                throw NatsClientError(.tls, "\(address): TLS handshake failed: \(error)")
            } catch {
                throw NatsClientError(.disconnected, "\(address): connection failed during the handshake: \(error)")
            }
        }
        guard case .info(let info) = try await next() else {
            throw NatsClientError(.protocolError, "\(address): the server did not start with INFO (is this a NATS client port?)")
        }
        let wantsTLS = address.requiresTLS || settings.tls != nil
        if info.tlsRequired == true || wantsTLS {
            guard info.tlsRequired == true || info.tlsAvailable == true else {
                throw NatsClientError(.tls, "\(address): TLS was asked for but the server does not offer it")
            }
            let configuration = tls ?? TLSConfiguration.makeClientConfiguration()
            let context = try NIOSSLContext(configuration: configuration)
            // An IP address is not a valid SNI name; NIOSSL then checks the certificate against the IP.
            let isIP = address.host.contains(":") || address.host.allSatisfy { $0.isNumber || $0 == "." }
            let hostname = isIP ? nil : address.host
            try await channel.eventLoop.submit {
                let handler = try NIOSSLClientHandler(context: context, serverHostname: hostname)
                try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            }.get()
        }
        var fields = NatsConnectFields(name: settings.connectionName, tlsRequired: info.tlsRequired == true || wantsTLS)
        try authenticate(&fields, with: settings.authentication, nonce: info.nonce, address: address)
        do {
            try await enqueue([.connect(fields), .ping], on: channel).get()
        } catch let error as NatsClientError {
            throw error
        } catch {
            // A failed TLS handshake closes the channel under the write; the reader holds the real reason.
            _ = try await next()
            throw NatsClientError(.disconnected, "\(address): could not send CONNECT: \(error)")
        }
        while true {
            switch try await next() {
            case .pong: return info
            case .ok, .info, .message: continue
            case .ping: continue
            case .error(let text): throw describeServerError(text, address: address)
            case nil:
                throw NatsClientError(.disconnected, "\(address): the server closed the connection during the handshake")
            }
        }
    }

    static func authenticate(
        _ fields: inout NatsConnectFields, with authentication: NatsAuthentication, nonce: String?, address: NatsServerAddress
    ) throws {
        func signedNonce(_ seed: String) throws -> (publicKey: String, signature: String) {
            guard let nonce else {
                throw NatsClientError(
                    .authorization, "\(address): the server sent no nonce to sign, so it does not accept NKey or JWT users")
            }
            let pair: NKeyPair
            do {
                pair = try NKeyPair(seed: seed)
            } catch {
                throw NatsClientError(.credentials, "\(address): \(error)")
            }
            return (pair.publicKey, pair.signNonce(nonce))
        }
        switch authentication {
        case .none: break
        case .userPassword(let user, let password):
            fields.user = user
            fields.pass = password
        case .token(let token):
            fields.authToken = token
        case .nkey(let seed):
            let signed = try signedNonce(seed)
            fields.nkey = signed.publicKey
            fields.sig = signed.signature
        case .credentials(let jwt, let seed):
            fields.jwt = jwt
            fields.sig = try signedNonce(seed).signature
        }
    }

    static func describeServerError(_ text: String, address: NatsServerAddress) -> NatsClientError {
        let lowered = text.lowercased()
        if lowered.contains("authorization") || lowered.contains("authentication") || lowered.contains("user authentication") {
            return NatsClientError(.authorization, "\(address): the server refused the credentials ('\(text)')")
        }
        if lowered.contains("tls") || lowered.contains("secure connection") {
            return NatsClientError(.tls, "\(address): '\(text)'")
        }
        return NatsClientError(.protocolError, "\(address): the server said '\(text)'")
    }

    static func describeConnectFailure(_ error: any Error, address: NatsServerAddress) -> NatsClientError {
        if case ChannelError.connectTimeout = error {
            return NatsClientError(.timeout, "\(address): connect timed out")
        }
        let text = "\(error)"
        if text.contains("refused") || text.contains("ECONNREFUSED") {
            return NatsClientError(.connectionRefused, "\(address): connection refused")
        }
        return NatsClientError(.connectionRefused, "\(address): cannot connect: \(text)")
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.2f s", seconds)
}
