/// The live text mode's report on a terminal (`--plain`): made to fit the window, so that redrawing it
/// never scrolls. A line wider than the window wrapped onto a second row (the report is 100 columns, an SSH
/// window often 80), and the rows it took pushed the summary off the top; one line too many did the same.
public enum PlainFrame {
    /// Each line cut to `columns` (an ellipsis in the last cell), at most `rows` lines, the top kept and the
    /// last row saying how many were left out; no newline after the last line, which would scroll a full
    /// window by one. Colour sequences (`ESC [ … m`) are kept whole and take no room.
    public static func fit(_ frame: String, rows: Int, columns: Int) -> String {
        var lines = frame.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if lines.count > rows, rows > 2 {
            let kept = lines.prefix(rows - 1)
            lines = Array(kept) + ["… \(lines.count - kept.count) more lines (enlarge the window, or use --once)"]
        }
        guard columns > 1 else { return lines.joined(separator: "\n") }
        return lines.map { cut($0, to: columns) }.joined(separator: "\n")
    }

    /// `line` in at most `columns` cells: unchanged if it fits, else its first `columns - 1` cells and "…",
    /// with the colour reset after it if a colour was set.
    static func cut(_ line: String, to columns: Int) -> String {
        let pieces = self.pieces(of: line)
        guard pieces.reduce(0, { $0 + $1.cells }) > columns else { return line }
        var output = ""
        var width = 0
        var coloured = false
        for piece in pieces {
            if piece.isSequence {
                // Colour sequences are kept (those after the cut too, which at worst reset the colour).
                output += piece.text
                coloured = coloured || piece.text != "\u{1B}[0m"
            } else if width + piece.cells <= columns - 1 {
                output += piece.text
                width += piece.cells
            } else {
                width = columns  // the cut: nothing after it that takes room
            }
        }
        return output + "…" + (coloured ? "\u{1B}[0m" : "")
    }

    /// The characters of a line (with their cells) and its control sequences (ESC [, parameters, one
    /// final byte from @ to ~), which take none.
    static func pieces(of line: String) -> [(text: String, cells: Int, isSequence: Bool)] {
        var pieces: [(text: String, cells: Int, isSequence: Bool)] = []
        var rest = line[...]
        while let character = rest.first {
            rest = rest.dropFirst()
            guard character == "\u{1B}", rest.first == "[" else {
                pieces.append((String(character), displayWidth(of: character), false))
                continue
            }
            var sequence = "\u{1B}["
            rest = rest.dropFirst()
            while let next = rest.first {
                sequence.append(next)
                rest = rest.dropFirst()
                if next.unicodeScalars.count == 1, let scalar = next.unicodeScalars.first, (0x40...0x7E).contains(scalar.value) { break }
            }
            pieces.append((sequence, 0, true))
        }
        return pieces
    }
}
