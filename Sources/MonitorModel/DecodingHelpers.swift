/// Decoding helpers shared by the endpoint mirrors: NATS durations and RFC 3339 times arrive as strings.
extension KeyedDecodingContainer {
    func decodeDurationIfPresent(forKey key: Key) throws -> Double? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        do {
            return try NatsDuration.seconds(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(error)")
        }
    }

    func decodeTimeIfPresent(forKey key: Key) throws -> MonitorTime? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        do {
            let time = try MonitorTime(rfc3339: text)
            return time.isGoZeroTime ? nil : time
        } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(error)")
        }
    }

    func decodeTime(forKey key: Key) throws -> MonitorTime {
        guard let time = try decodeTimeIfPresent(forKey: key) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "zero time")
        }
        return time
    }
}

/// A JSON object key that is not known in advance (map keys such as cluster names).
struct AnyCodingKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
