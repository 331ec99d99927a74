import Synchronization

/// One String for each remote server id, shared by every endpoint's documents. A supercluster of 250
/// servers has 24,500 gateway connections but only 250 server ids: each connection's remote id, one
/// 56-byte String object per connection, was a cache miss at nearly every step of a poll (compared with
/// the id the endpoint's last document had there, retained into the model, hashed into the remote
/// lookup, compared in the diagnosis, released with the document), so the pipeline waited on memory
/// rather than computed. Held here once, the ids stay in the cache and equal ids are one object (two
/// Strings with the same storage compare equal without reading it).
///
/// Only an id the endpoint's last document did not have at that place is looked up here (each decode
/// shares its endpoint's last ids first, without a lock): the first poll, a new connection, a restart.
/// Ids that no document names any longer stay until `capacity` is reached; the table then starts
/// afresh, so a server sending a new id in every document cannot make it grow past that. Nor can it
/// fill the table with long strings: only an id of up to `longestID` bytes is held (a server id is 56).
///
/// Only ASCII ids are held (a server id is base32). Strings compare equal when their Unicode is
/// canonically equivalent, so a table keyed by String would hand one server's "é" as two bytes to another
/// that wrote it as "e" and a combining accent: equal values, other bytes. ASCII has no such pairs, and
/// its equal Strings are equal bytes.
public final class ServerIDInterner: Sendable {
    private let table = Mutex<[String: String]>([:])
    public let capacity: Int
    public static let longestID = 64

    public init(capacity: Int = 32_768) {
        self.capacity = max(1, capacity)
    }

    /// The String already held for `id`'s bytes, else `id` itself, held from now on if it is ASCII and no
    /// longer than `longestID`.
    public func canonical(_ id: String) -> String {
        // Checked eight bytes at a time, as the decoder checks its strings (a String with no contiguous
        // UTF-8 of its own, which the decoder never makes, is not held).
        guard id.utf8.count <= Self.longestID,
            id.utf8.withContiguousStorageIfAvailable({ FastMonitorDecoder.isASCII(UnsafeRawBufferPointer($0)) }) == true
        else { return id }
        return table.withLock { table in
            if let known = table[id] { return known }
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[id] = id
            return id
        }
    }

    /// How many ids are held.
    public var count: Int { table.withLock { $0.count } }
}
