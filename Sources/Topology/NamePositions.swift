/// Names (of clusters) as small integers, 0, 1, 2… in the order first met, so that work over 25,000
/// connections indexes arrays instead of hashing a name for each. Servers list their connections' remote
/// clusters in much the same order, so the position found at the same place of the list before is tried
/// first (`position(of:at:hints:)`): one comparison of two short strings instead of a hash.
struct NamePositions: Sendable {
    private(set) var names: [String] = []
    private var positionByName: [String: Int] = [:]

    var count: Int { names.count }

    /// `name`'s position; a name not met before gets the next one.
    mutating func position(of name: String) -> Int {
        if let known = positionByName[name] { return known }
        positionByName[name] = names.count
        names.append(name)
        return names.count - 1
    }

    /// `name`'s position if it has one.
    func existingPosition(of name: String) -> Int? { positionByName[name] }

    /// `name`'s position, for the name at `index` of a list: `hints[index]` (what the list before had
    /// there) is tried first, and is set to the answer.
    mutating func position(of name: String, at index: Int, hints: inout [Int]) -> Int {
        if index < hints.count, names[hints[index]] == name { return hints[index] }
        let found = position(of: name)
        if index < hints.count { hints[index] = found } else { hints.append(found) }
        return found
    }
}
