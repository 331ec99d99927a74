import Foundation

/// A direct decoder for `/gatewayz?accs=1`, `/varz` and `/routez`, the documents that grow with the mesh (a
/// server of a 50-cluster supercluster reports ~100 connections with their accounts, and 250 gateway URLs,
/// on every poll; one of a 100-server cluster, 99 routes). It reads the bytes once into the `Gatewayz`,
/// `Varz` and `Routez` values, skipping what gwtop does not use, with none of the Codable machinery's
/// per-field overhead.
///
/// It only ever succeeds on a well-formed document it fully understands; on anything else (a syntax
/// error, an unexpected type, a number that is not a plain integer, invalid UTF-8, nesting deeper than
/// JSONDecoder allows) it gives up and `MonitorDecoder` decodes with JSONDecoder instead, so the
/// result and every error message are exactly those of the Codable path. Tests check both agree.
struct FastMonitorDecoder {
    struct GiveUp: Error {}

    private let bytes: UnsafeRawBufferPointer
    /// The bytes again, as a pointer that is never nil, and their count: read at every step, where the
    /// buffer's own subscript and count each checked for a nil address first.
    private let memory: UnsafePointer<UInt8>
    private let end: Int
    private var index = 0
    private var depth = 0
    /// JSONDecoder refuses documents nested deeper than this; so does the fast path.
    private static let maximumDepth = 512

    static func gatewayz(_ data: Data) -> Gatewayz? {
        gatewayz(data, reusing: ConnectionNames())?.document
    }

    /// A `/gatewayz`, its connections' remote server ids taken from `previous` (the same endpoint's last
    /// document) where the bytes are the same, and this document's ids for the next.
    static func gatewayz(_ data: Data, reusing previous: ConnectionNames) -> (document: Gatewayz, names: ConnectionNames)? {
        data.withUnsafeBytes { buffer -> (document: Gatewayz, names: ConnectionNames)? in
            guard buffer.count > 0 else { return nil }
            var decoder = FastMonitorDecoder(bytes: buffer, previousNames: previous)
            guard let document = try? decoder.gatewayzDocument() else { return nil }
            return (document, decoder.names)
        }
    }

    static func varz(_ data: Data) -> Varz? {
        data.withUnsafeBytes { buffer -> Varz? in
            guard buffer.count > 0 else { return nil }
            var decoder = FastMonitorDecoder(bytes: buffer)
            return try? decoder.varzDocument()
        }
    }

    static func routez(_ data: Data) -> Routez? {
        data.withUnsafeBytes { buffer -> Routez? in
            guard buffer.count > 0 else { return nil }
            var decoder = FastMonitorDecoder(bytes: buffer)
            return try? decoder.routezDocument()
        }
    }

    /// The remote server ids of the endpoint's last `/gatewayz`, in the order met, and this one's so far.
    private let previousNames: ConnectionNames
    private var names: ConnectionNames

    private init(bytes: UnsafeRawBufferPointer, previousNames: ConnectionNames = ConnectionNames()) {
        self.bytes = bytes
        // An empty document is given up on before a decoder is made (it is no JSON).
        memory = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        end = bytes.count
        self.previousNames = previousNames
        names = ConnectionNames(interning: previousNames.interner)
        names.reserveCapacity(previousNames.count)
    }

    // MARK: Document structure

    private mutating func gatewayzDocument() throws -> Gatewayz {
        var serverID: String?
        var now: MonitorTime?
        var name = ""
        var host: String?
        var port: Int?
        var outbound: [String: RemoteGateway] = [:]
        var inbound: [String: [RemoteGateway]] = [:]
        var seen1: UInt64 = 0  // known keys met so far: a repeat gives up
        try object { decoder, key in
            switch key {
            case "server_id":
                try Self.once(&seen1, 0)
                serverID = try decoder.string()
            case "now":
                try Self.once(&seen1, 1)
                now = try decoder.optionalTime()
            case "name":
                try Self.once(&seen1, 2)
                name = try decoder.optionalString() ?? ""
            case "host":
                try Self.once(&seen1, 3)
                host = try decoder.optionalString()
            case "port":
                try Self.once(&seen1, 4)
                port = try decoder.optionalInteger().map { Int($0) }
            case "outbound_gateways":
                try Self.once(&seen1, 5)
                if try decoder.null() { break }
                outbound.reserveCapacity(decoder.previousNames.outboundClusters)
                try decoder.object { decoder, cluster in
                    // Decoded in its place in the map: gathered in a list first, each member was moved
                    // three times.
                    let before = outbound.count
                    try decoder.remoteGateway(into: &outbound[try cluster.string(), default: RemoteGateway(configured: false, connection: nil)])
                    // JSONDecoder and this decoder would settle a repeated key differently: give up.
                    guard outbound.count > before else { throw GiveUp() }
                }
                decoder.names.outboundClusters = outbound.count
            case "inbound_gateways":
                try Self.once(&seen1, 6)
                if try decoder.null() { break }
                inbound.reserveCapacity(decoder.previousNames.inboundClusters)
                try decoder.object { decoder, cluster in
                    var list: [RemoteGateway] = []
                    try decoder.array { decoder in
                        list.append(RemoteGateway(configured: false, connection: nil))
                        try decoder.remoteGateway(into: &list[list.count - 1])
                    }
                    guard inbound.updateValue(list, forKey: try cluster.string()) == nil else { throw GiveUp() }
                }
                decoder.names.inboundClusters = inbound.count
            default: try decoder.skipMember(key)
            }
        }
        skipWhitespace()
        guard index == end, let serverID, let now else { throw GiveUp() }
        return Gatewayz(serverID: serverID, now: now, name: name, host: host, port: port, outboundGateways: outbound, inboundGateways: inbound)
    }

    /// `/routez` lists every route of a server: in a cluster of 100 servers, 99 routes and 31 KB, which
    /// JSONDecoder read at a tenth of this decoder's speed (16 % of a poll's CPU, full polls averaged in,
    /// at 2 × 100 servers).
    private mutating func routezDocument() throws -> Routez {
        var serverID: String?
        var now: MonitorTime?
        var routes: [Routez.Route] = []
        var seen: UInt64 = 0  // known keys met so far: a repeat gives up
        try object { decoder, key in
            switch key {
            case "server_id":
                try Self.once(&seen, 0)
                serverID = try decoder.string()
            case "now":
                try Self.once(&seen, 1)
                now = try decoder.optionalTime()
            case "routes":
                try Self.once(&seen, 2)
                if try decoder.null() { break }
                try decoder.array { decoder in routes.append(try decoder.route()) }
            default: try decoder.skipMember(key)
            }
        }
        skipWhitespace()
        guard index == end, let serverID else { throw GiveUp() }
        return Routez(serverID: serverID, now: now, routes: consume routes)
    }

    private mutating func route() throws -> Routez.Route {
        var rid: UInt64 = 0
        var remoteID: String?
        var remoteName: String?
        var ip: String?
        var port: Int?
        var seen: UInt64 = 0  // known keys met so far: a repeat gives up
        try object { decoder, key in
            switch key {
            case "rid":
                try Self.once(&seen, 0)
                if let value = try decoder.optionalInteger() {
                    guard value >= 0 else { throw GiveUp() }
                    rid = UInt64(value)
                }
            case "remote_id":
                try Self.once(&seen, 1)
                remoteID = try decoder.string()
            case "remote_name":
                try Self.once(&seen, 2)
                remoteName = try decoder.optionalString()
            case "ip":
                try Self.once(&seen, 3)
                ip = try decoder.optionalString()
            case "port":
                try Self.once(&seen, 4)
                port = try decoder.optionalInteger().map { Int($0) }
            default: try decoder.skipMember(key)
            }
        }
        guard let remoteID else { throw GiveUp() }
        var route = Routez.Route(rid: rid, remoteID: remoteID, remoteName: remoteName)
        route.ip = ip
        route.port = port
        return route
    }

    private mutating func varzDocument() throws -> Varz {
        var serverID: String?
        var varz = Varz(serverID: "", serverName: nil)
        var seen2: UInt64 = 0  // known keys met so far: a repeat gives up
        try object { decoder, key in
            switch key {
            case "server_id":
                try Self.once(&seen2, 0)
                serverID = try decoder.string()
            case "server_name":
                try Self.once(&seen2, 1)
                varz.serverName = try decoder.optionalString()
            case "version":
                try Self.once(&seen2, 2)
                varz.version = try decoder.optionalString()
            case "now":
                try Self.once(&seen2, 3)
                varz.now = try decoder.optionalTime()
            case "start":
                try Self.once(&seen2, 4)
                varz.start = try decoder.optionalTime()
            case "uptime":
                try Self.once(&seen2, 5)
                varz.uptime = try decoder.optionalDuration()
            case "cluster":
                try Self.once(&seen2, 6)
                if try decoder.null() { break }
                var section = ClusterSection(name: nil)
                var seen3: UInt64 = 0  // known keys met so far: a repeat gives up
                try decoder.object { decoder, key in
                    switch key {
                    case "name":
                        try Self.once(&seen3, 0)
                        section.name = try decoder.optionalString()
                    case "addr":
                        try Self.once(&seen3, 1)
                        section.addr = try decoder.optionalString()
                    case "cluster_port":
                        try Self.once(&seen3, 2)
                        section.clusterPort = try decoder.optionalInteger().map { Int($0) }
                    case "urls":
                        try Self.once(&seen3, 3)
                        section.urls = try decoder.optionalStrings() ?? []
                    default: try decoder.skipMember(key)
                    }
                }
                varz.cluster = section
            case "gateway":
                try Self.once(&seen2, 7)
                if try decoder.null() { break }
                varz.gateway = try decoder.gatewaySection()
            case "connections":
                try Self.once(&seen2, 8)
                varz.connections = try decoder.optionalInteger()
            case "routes":
                try Self.once(&seen2, 9)
                varz.routes = try decoder.optionalInteger()
            case "remotes":
                try Self.once(&seen2, 10)
                varz.remotes = try decoder.optionalInteger()
            case "slow_consumers":
                try Self.once(&seen2, 11)
                varz.slowConsumers = try decoder.optionalInteger()
            case "slow_consumer_stats":
                try Self.once(&seen2, 12)
                varz.gatewaySlowConsumers = try decoder.gatewaysCounter()
            case "stale_connection_stats":
                try Self.once(&seen2, 13)
                varz.gatewayStaleConnections = try decoder.gatewaysCounter()
            default: try decoder.skipMember(key)
            }
        }
        skipWhitespace()
        guard index == end, let serverID else { throw GiveUp() }
        varz.serverID = serverID
        return varz
    }

    private mutating func gatewaySection() throws -> GatewaySection {
        var section = GatewaySection(name: nil)
        var seen4: UInt64 = 0  // known keys met so far: a repeat gives up
        try object { decoder, key in
            switch key {
            case "name":
                try Self.once(&seen4, 0)
                section.name = try decoder.optionalString()
            case "host":
                try Self.once(&seen4, 1)
                section.host = try decoder.optionalString()
            case "port":
                try Self.once(&seen4, 2)
                section.port = try decoder.optionalInteger().map { Int($0) }
            case "advertise":
                try Self.once(&seen4, 3)
                section.advertise = try decoder.optionalString()
            case "connect_retries":
                try Self.once(&seen4, 4)
                section.connectRetries = try decoder.optionalInteger().map { Int($0) }
            case "reject_unknown":
                try Self.once(&seen4, 5)
                section.rejectUnknown = try decoder.optionalBool()
            case "auth_timeout":
                try Self.once(&seen4, 6)
                section.authTimeout = try decoder.optionalWholeDouble()
            case "tls_timeout":
                try Self.once(&seen4, 7)
                section.tlsTimeout = try decoder.optionalWholeDouble()
            case "tls_required":
                try Self.once(&seen4, 8)
                section.tlsRequired = try decoder.optionalBool()
            case "tls_verify":
                try Self.once(&seen4, 9)
                section.tlsVerify = try decoder.optionalBool()
            case "tls_cert_not_after":
                try Self.once(&seen4, 10)
                section.tlsCertNotAfter = try decoder.optionalTime()
            case "gateways":
                try Self.once(&seen4, 11)
                if try decoder.null() { break }
                var gateways: [ConfiguredGateway] = []
                try decoder.array { decoder in
                    var name: String?
                    var urls: [String] = []
                    var seen5: UInt64 = 0  // known keys met so far: a repeat gives up
                    try decoder.object { decoder, key in
                        switch key {
                        case "name":
                            try Self.once(&seen5, 0)
                            name = try decoder.string()
                        case "urls":
                            try Self.once(&seen5, 1)
                            urls = try decoder.optionalStrings() ?? []
                        default: try decoder.skipMember(key)
                        }
                    }
                    guard let name else { throw GiveUp() }
                    gateways.append(ConfiguredGateway(name: name, urls: urls))
                }
                section.gateways = gateways
            default: try decoder.skipMember(key)
            }
        }
        return section
    }

    /// `{"clients": 0, "gateways": 3, …}` → the gateways count.
    private mutating func gatewaysCounter() throws -> Int64? {
        if try null() { return nil }
        var gateways: Int64?
        var seen6: UInt64 = 0  // known keys met so far: a repeat gives up
        try object { decoder, key in
            switch key {
            case "gateways":
                try Self.once(&seen6, 0)
                gateways = try decoder.optionalInteger()
            default: try decoder.skipMember(key)
            }
        }
        return gateways
    }

    private mutating func optionalStrings() throws -> [String]? {
        if try null() { return nil }
        var strings: [String] = []
        try array { decoder in strings.append(try decoder.string()) }
        return strings
    }

    /// A Double field given as a plain integer (what nats-server prints for whole seconds); any other
    /// number gives up, so rounding is never a question.
    private mutating func optionalWholeDouble() throws -> Double? {
        guard let value = try optionalInteger() else { return nil }
        guard value.magnitude < 1 << 53 else { throw GiveUp() }
        return Double(value)
    }

    /// Decoded in the place that holds it (`gateway` starts empty: not configured, no connection, no
    /// accounts), its connection too. With its connection a remote gateway is about 330 bytes, and each
    /// step that returned it — the connection into an optional, that into the gateway, the gateway into a
    /// list or a pair — copied them all, for each of 24,500 connections a poll at 250 servers.
    private mutating func remoteGateway(into gateway: inout RemoteGateway) throws {
        var seen7: UInt64 = 0  // known keys met so far: a repeat gives up
        try object { decoder, key in
            switch key {
            case "configured":
                try Self.once(&seen7, 0)
                gateway.configured = try decoder.optionalBool() ?? false
            case "connection":
                try Self.once(&seen7, 1)
                if try decoder.null() { break }
                gateway.connection = GatewayConnectionInfo(cid: 0)
                try decoder.connection(into: &gateway.connection!)
            case "accounts":
                try Self.once(&seen7, 2)
                if try decoder.null() { break }
                try decoder.array { decoder in gateway.accounts.append(try decoder.account()) }
            default: try decoder.skipMember(key)
            }
        }
    }

    /// Decoded into `info` (a connection with nothing set but a `cid` of 0), in its place (see `remoteGateway`).
    private mutating func connection(into info: inout GatewayConnectionInfo) throws {
        var cid: UInt64?
        var seen8: UInt64 = 0  // known keys met so far: a repeat gives up
        try object { decoder, key in
            switch key {
            case "cid":
                try Self.once(&seen8, 0)
                guard let value = try decoder.optionalInteger(), value >= 0 else { throw GiveUp() }
                cid = UInt64(value)
            case "ip":
                try Self.once(&seen8, 3)
                info.ip = try decoder.optionalString()
            case "port":
                try Self.once(&seen8, 4)
                info.port = try decoder.optionalInteger().map { Int($0) }
            case "start":
                try Self.once(&seen8, 5)
                info.start = try decoder.optionalTime()
            case "last_activity":
                try Self.once(&seen8, 6)
                info.lastActivity = try decoder.optionalTime()
            case "rtt":
                try Self.once(&seen8, 7)
                info.rtt = try decoder.optionalDuration()
            case "uptime":
                try Self.once(&seen8, 8)
                info.uptime = try decoder.optionalDuration()
            case "idle":
                try Self.once(&seen8, 9)
                info.idle = try decoder.optionalDuration()
            case "pending_bytes":
                try Self.once(&seen8, 10)
                info.pendingBytes = try decoder.optionalInteger() ?? 0
            case "in_msgs":
                try Self.once(&seen8, 11)
                info.inMsgs = try decoder.optionalInteger() ?? 0
            case "out_msgs":
                try Self.once(&seen8, 12)
                info.outMsgs = try decoder.optionalInteger() ?? 0
            case "in_bytes":
                try Self.once(&seen8, 13)
                info.inBytes = try decoder.optionalInteger() ?? 0
            case "out_bytes":
                try Self.once(&seen8, 14)
                info.outBytes = try decoder.optionalInteger() ?? 0
            case "subscriptions":
                try Self.once(&seen8, 15)
                info.subscriptions = try decoder.optionalInteger() ?? 0
            case "name":
                try Self.once(&seen8, 16)
                info.name = try decoder.optionalConnectionName()
            case "tls_version":
                try Self.once(&seen8, 17)
                info.tlsVersion = try decoder.optionalString()
            case "tls_cipher_suite":
                try Self.once(&seen8, 18)
                info.tlsCipherSuite = try decoder.optionalString()
            case "tls_first":
                try Self.once(&seen8, 19)
                info.tlsFirst = try decoder.optionalBool()
            case "stalls":
                try Self.once(&seen8, 20)
                info.stalls = try decoder.optionalInteger()
            default: try decoder.skipMember(key)
            }
        }
        guard let cid else { throw GiveUp() }
        info.cid = cid
    }

    private mutating func account() throws -> AccountInterest {
        var name: String?
        var account = AccountInterest(name: "")
        var seen9: UInt64 = 0  // known keys met so far: a repeat gives up
        try object { decoder, key in
            switch key {
            case "name":
                try Self.once(&seen9, 0)
                name = try decoder.string()
            case "interest_mode":
                try Self.once(&seen9, 1)
                account.interestMode = try decoder.optionalString()
            case "no_interest_count":
                try Self.once(&seen9, 2)
                account.noInterestCount = try decoder.optionalInteger()
            case "interest_only_threshold":
                try Self.once(&seen9, 3)
                account.interestOnlyThreshold = try decoder.optionalInteger()
            case "num_subs":
                try Self.once(&seen9, 4)
                account.numSubs = try decoder.optionalInteger()
            case "num_queue_subs":
                try Self.once(&seen9, 5)
                account.numQueueSubs = try decoder.optionalInteger()
            default: try decoder.skipMember(key)
            }
        }
        guard let name else { throw GiveUp() }
        account.name = name
        return account
    }

    // MARK: Values

    /// An object key as the bytes between its quotes: compared with the names gwtop knows without
    /// making a String; made into one (UTF-8 checked) only for map keys and unknown names.
    struct Key {
        let raw: UnsafeRawBufferPointer

        func string() throws -> String {
            guard let text = FastMonitorDecoder.makeString(raw) else { throw GiveUp() }
            return text
        }

        static func ~= (pattern: StaticString, key: Key) -> Bool {
            guard pattern.utf8CodeUnitCount == key.raw.count else { return false }
            guard let base = key.raw.baseAddress, key.raw.count > 0 else { return true }
            return memcmp(pattern.utf8Start, base, key.raw.count) == 0
        }
    }

    private mutating func optionalTime() throws -> MonitorTime? {
        if try null() { return nil }
        let raw = try rawString()
        guard let time = MonitorTime.parse(raw) else { throw GiveUp() }
        return time.isGoZeroTime ? nil : time
    }

    private mutating func optionalDuration() throws -> Double? {
        if try null() { return nil }
        let raw = try rawString()
        if let seconds = NatsDuration.parse(raw) { return seconds }
        guard let text = Self.makeString(raw), let seconds = try? NatsDuration.seconds(parsing: text) else {
            throw GiveUp()
        }
        return seconds
    }

    private mutating func optionalString() throws -> String? {
        if try null() { return nil }
        return try string()
    }

    /// A connection's remote server id. A server's connections are, poll after poll, the same ones in the
    /// same order, so the id met at the same place in the endpoint's last document is usually this one:
    /// when its bytes are these, that String is shared rather than a new one made. Each id is 56 bytes,
    /// too long to be held inline, so every new one was an allocation (24,500 a poll at 250 servers,
    /// freed with the poll before), and strings that share storage compare equal without reading it (the
    /// history and the diagnosis compare and look up these ids for every connection).
    ///
    /// nats-server lists remote gateways sorted by cluster, but each cluster's inbound connections in no
    /// particular order (it walks a Go map), so an id not at its old place is looked for near it, by the
    /// first eight bytes the names keep beside the strings (no string is read until those match). An id
    /// not there is the one every endpoint shares, when the names have a `ServerIDInterner`.
    private mutating func optionalConnectionName() throws -> String? {
        if try null() { return nil }
        let (raw, escaped) = try scanString()
        guard !escaped, raw.count > Self.longestInlineString else {
            guard let text = escaped ? try Self.unescaped(raw) : Self.makeString(raw) else { throw GiveUp() }
            names.append(text, prefix: 0)
            return text
        }
        let prefix = raw.loadUnaligned(as: UInt64.self)
        if let shared = previousNames.id(matching: raw, prefix: prefix, near: names.count) {
            names.append(shared, prefix: prefix)
            return shared
        }
        guard let made = Self.makeString(raw) else { throw GiveUp() }
        let text = previousNames.interner?.canonical(made) ?? made
        names.append(text, prefix: prefix)
        return text
    }

    /// Strings of up to 15 UTF-8 bytes are held inside the String value itself: nothing to share.
    static let longestInlineString = 15

    /// Whether `text`'s UTF-8 is exactly `raw` (a String's bytes are always valid UTF-8, so equal bytes
    /// make an equal String).
    @inline(__always)
    static func sameBytes(_ text: String, _ raw: UnsafeRawBufferPointer) -> Bool {
        text.utf8.count == raw.count
            && text.utf8.withContiguousStorageIfAvailable { utf8 in
                raw.count == 0 || memcmp(utf8.baseAddress!, raw.baseAddress!, raw.count) == 0
            } == true
    }

    private mutating func optionalBool() throws -> Bool? {
        if try null() { return nil }
        if literal("true") { return true }
        if literal("false") { return false }
        throw GiveUp()
    }

    /// A plain JSON integer that fits in Int64; anything else (fractions, exponents) gives up.
    private mutating func optionalInteger() throws -> Int64? {
        if try null() { return nil }
        skipWhitespace()
        var negative = false
        if index < end, memory[index] == 0x2D { negative = true; index += 1 }
        let start = index
        // Eighteen digits cannot overflow an Int64, so they are summed without checks (seven counters of
        // each of 25,000 connections a poll); a nineteenth and more are summed again, checked.
        var unchecked: UInt64 = 0
        while index < end {
            let digit = memory[index] &- 0x30
            guard digit < 10 else { break }
            unchecked = unchecked &* 10 &+ UInt64(digit)
            index += 1
        }
        let digits = index - start
        guard digits > 0, !(digits > 1 && memory[start] == 0x30) else { throw GiveUp() }
        var value = Int64(truncatingIfNeeded: unchecked)
        if digits > 18 {
            value = 0
            for offset in start..<index {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int64(memory[offset] - 0x30))
                guard !overflow1, !overflow2 else { throw GiveUp() }
                value = sum
            }
        }
        if index < end, memory[index] == 0x2E || memory[index] == 0x65 || memory[index] == 0x45 { throw GiveUp() }
        return negative ? -value : value
    }

    @inline(__always)
    private mutating func null() throws -> Bool {
        skipWhitespace()
        // Asked before every optional value, nearly all of them not null: one byte says so.
        guard index < end, memory[index] == 0x6E else { return false }
        return literal("null")
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        skipWhitespace()
        let count = word.utf8CodeUnitCount
        guard index + count <= end else { return false }
        let pointer = word.utf8Start
        for offset in 0..<count where memory[index + offset] != pointer[offset] { return false }
        // A literal must end there ("nullx" is not null).
        if index + count < end {
            let next = memory[index + count]
            if (next >= 0x61 && next <= 0x7A) || (next >= 0x30 && next <= 0x39) { return false }
        }
        index += count
        return true
    }

    /// A string literal's bytes between the quotes, and whether it holds escapes. Control characters
    /// (not allowed raw in JSON) give up.
    @inline(__always)
    private mutating func scanString() throws -> (raw: UnsafeRawBufferPointer, escaped: Bool) {
        skipWhitespace()
        guard index < end, memory[index] == 0x22 else { throw GiveUp() }
        index += 1
        let start = index
        var escaped = false
        while true {
            // Eight bytes at a time while none of them ends the string, escapes or is a control character
            // (ids, addresses and times are long runs of plain bytes); then straight to the first one that
            // does, rather than byte by byte (keys are short: most of one is such a tail).
            index = ByteScan.firstStop(in: bytes, from: index, where: Self.stringStops)
            guard index < end else { throw GiveUp() }
            let byte = memory[index]
            if byte == 0x22 {
                index += 1
                return (UnsafeRawBufferPointer(rebasing: bytes[start..<index - 1]), escaped)
            }
            if byte < 0x20 { throw GiveUp() }
            if byte == 0x5C {
                escaped = true
                index += 1
            }
            index += 1
        }
    }

    /// The bytes of a string without escapes (times, durations and keys never have any; one that does
    /// gives up).
    private mutating func rawString() throws -> UnsafeRawBufferPointer {
        let (raw, escaped) = try scanString()
        guard !escaped else { throw GiveUp() }
        return raw
    }

    /// A string without escapes becomes a String straight from the bytes (validated UTF-8); one with
    /// escapes is decoded escape by escape.
    private mutating func string() throws -> String {
        let (raw, escaped) = try scanString()
        let text = escaped ? try Self.unescaped(raw) : Self.makeString(raw)
        guard let text else { throw GiveUp() }
        return text
    }

    private static func unescaped(_ raw: UnsafeRawBufferPointer) throws -> String? {
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var index = 0
        func hex4() throws -> UInt32 {
            guard index + 4 <= raw.count else { throw GiveUp() }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = raw[index]
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw GiveUp()
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }
        while index < raw.count {
            let byte = raw[index]
            index += 1
            guard byte == 0x5C else {
                output.append(byte)
                continue
            }
            guard index < raw.count else { throw GiveUp() }
            let escape = raw[index]
            index += 1
            switch escape {
            case 0x22, 0x5C, 0x2F: output.append(escape)
            case 0x62: output.append(0x08)
            case 0x66: output.append(0x0C)
            case 0x6E: output.append(0x0A)
            case 0x72: output.append(0x0D)
            case 0x74: output.append(0x09)
            case 0x75:
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard index + 1 < raw.count, raw[index] == 0x5C, raw[index + 1] == 0x75 else { throw GiveUp() }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw GiveUp() }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw GiveUp()
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw GiveUp() }
                output.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: throw GiveUp()
            }
        }
        return String(validating: output, as: UTF8.self)
    }

    // MARK: Containers

    /// Calls `body` for each member with the decoder positioned at its value; `body` must consume it.
    @inline(__always)
    private mutating func object(_ body: (inout FastMonitorDecoder, Key) throws -> Void) throws {
        try container(open: 0x7B, close: 0x7D) { decoder in
            let key = Key(raw: try decoder.rawString())
            decoder.skipWhitespace()
            guard decoder.index < decoder.end, decoder.memory[decoder.index] == 0x3A else { throw GiveUp() }
            decoder.index += 1
            // The one space nats-server writes after a colon, passed here rather than in a call.
            if decoder.index + 1 < decoder.end, decoder.memory[decoder.index] == 0x20, decoder.memory[decoder.index + 1] > 0x20 {
                decoder.index += 1
            }
            try body(&decoder, key)
        }
    }

    @inline(__always)
    private mutating func array(_ body: (inout FastMonitorDecoder) throws -> Void) throws {
        try container(open: 0x5B, close: 0x5D, body)
    }

    /// `open` element (`,` element)* `close`, counting depth as JSONDecoder does.
    @inline(__always)
    private mutating func container(open: UInt8, close: UInt8, _ element: (inout FastMonitorDecoder) throws -> Void) throws {
        skipWhitespace()
        guard index < end, memory[index] == open else { throw GiveUp() }
        index += 1
        depth += 1
        guard depth <= Self.maximumDepth else { throw GiveUp() }
        skipWhitespace()
        if index < end, memory[index] == close {
            index += 1
            depth -= 1
            return
        }
        while true {
            try element(&self)
            skipWhitespace()
            guard index < end else { throw GiveUp() }
            if memory[index] == 0x2C { index += 1; continue }
            if memory[index] == close { index += 1; depth -= 1; return }
            throw GiveUp()
        }
    }

    /// Marks a known key as met; a second time gives up (a repeated key is valid JSON, but which value
    /// counts is JSONDecoder's business).
    @inline(__always)
    static func once(_ seen: inout UInt64, _ bit: Int) throws {
        let mask: UInt64 = 1 << UInt64(bit)
        guard seen & mask == 0 else { throw GiveUp() }
        seen |= mask
    }

    /// A member gwtop does not use: its key must still be valid UTF-8 and its value valid JSON.
    private mutating func skipMember(_ key: Key) throws {
        guard Self.isValidUTF8(key.raw) else { throw GiveUp() }
        try skipValue()
    }

    /// A string gwtop does not keep, checked as making it would check it (a String was made and dropped).
    private mutating func skipString() throws {
        let (raw, escaped) = try scanString()
        if escaped {
            guard try Self.unescaped(raw) != nil else { throw GiveUp() }
        } else {
            guard Self.isValidUTF8(raw) else { throw GiveUp() }
        }
    }

    /// Whether bytes without escapes make a String: plain ASCII is looked at eight bytes at a time;
    /// anything else goes through the full UTF-8 check.
    static func isValidUTF8(_ raw: UnsafeRawBufferPointer) -> Bool {
        if isASCII(raw) { return true }
        return makeString(raw) != nil
    }

    /// Any JSON value, checked for syntax (JSONDecoder rejects a document with an error anywhere, so
    /// the fast path must too).
    private mutating func skipValue() throws {
        skipWhitespace()
        guard index < end else { throw GiveUp() }
        switch memory[index] {
        case 0x22: try skipString()
        case 0x7B:
            try object { decoder, key in try decoder.skipMember(key) }
        case 0x5B: try array { decoder in try decoder.skipValue() }
        case 0x74: guard literal("true") else { throw GiveUp() }
        case 0x66: guard literal("false") else { throw GiveUp() }
        case 0x6E: guard literal("null") else { throw GiveUp() }
        default: try skipNumber()
        }
    }

    private mutating func skipNumber() throws {
        if index < end, memory[index] == 0x2D { index += 1 }
        let start = index
        while index < end, memory[index] >= 0x30, memory[index] <= 0x39 { index += 1 }
        guard index > start, !(index - start > 1 && memory[start] == 0x30) else { throw GiveUp() }
        if index < end, memory[index] == 0x2E {
            index += 1
            let fraction = index
            while index < end, memory[index] >= 0x30, memory[index] <= 0x39 { index += 1 }
            guard index > fraction else { throw GiveUp() }
        }
        if index < end, memory[index] == 0x65 || memory[index] == 0x45 {
            index += 1
            if index < end, memory[index] == 0x2B || memory[index] == 0x2D { index += 1 }
            let exponent = index
            while index < end, memory[index] >= 0x30, memory[index] <= 0x39 { index += 1 }
            guard index > exponent else { throw GiveUp() }
        }
    }

    /// Most calls find no whitespace at all (a value right after a key's `:` and space, a `,` right
    /// after a value): that answer is inlined, and only a real run goes to the loop.
    @inline(__always)
    private mutating func skipWhitespace() {
        guard index < end, memory[index] <= 0x20 else { return }
        skipWhitespaceRun()
    }

    private mutating func skipWhitespaceRun() {
        // nats-server's indented JSON has two kinds of run: one space after a key's colon (passed in
        // `object` without a call) and, nearly every call here, a newline and a line's indentation (up to
        // 16 spaces at 250 servers).
        if memory[index] == 0x0A {
            var position = index + 1
            while position + 8 <= end {
                let notSpaces = ByteScan.word(bytes, at: position) ^ Self.eightSpaces
                if notSpaces != 0 {
                    position += ByteScan.firstFlagged(notSpaces)
                    if memory[position] > 0x20 {
                        index = position
                        return
                    }
                    break
                }
                position += 8
            }
        }
        while true {
            // Indented JSON (nats-server's) is a third spaces: a line's indentation is skipped eight
            // bytes at a time, and the rest of it in one step, to the word's first byte not a space.
            index = ByteScan.firstStop(in: bytes, from: index) { $0 ^ Self.eightSpaces }
            guard index < end else { return }
            let byte = memory[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    /// A String from the bytes of a JSON string without escapes, or nil if they are not UTF-8. Plain
    /// ASCII (names, ids, addresses: nearly every string) is copied as it is; only other bytes go
    /// through the general UTF-8 check, whose generic code looks up type metadata on every call.
    static func makeString(_ raw: UnsafeRawBufferPointer) -> String? {
        let utf8 = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
        if isASCII(raw) { return String(decoding: utf8, as: UTF8.self) }
        return String(validating: utf8, as: UTF8.self)
    }

    /// No byte with its high bit set, eight bytes at a time.
    @inline(__always)
    static func isASCII(_ raw: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        var highBitsSeen: UInt64 = 0
        while offset + 8 <= raw.count {
            highBitsSeen |= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < raw.count {
            highBitsSeen |= UInt64(raw[offset])
            offset += 1
        }
        return highBitsSeen & highBits == 0
    }

    // MARK: Eight bytes at a time

    private static let eightSpaces: UInt64 = 0x2020_2020_2020_2020
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The bytes of `word` (its first byte lowest) a string scan must stop at — a quote, a backslash or a
    /// byte below 0x20 — as the high bit of each; zero when there is none. A byte of 0x80 or more is plain
    /// here: UTF-8 is checked when the String is made. The first flag is exact (see `ByteScan`).
    @inline(__always)
    static func stringStops(_ word: UInt64) -> UInt64 {
        ByteScan.matches(word, 0x22) | ByteScan.matches(word, 0x5C) | ByteScan.below(word, 0x20)
    }
}
