/// The live text mode's report on a terminal (`--plain`, or `--format json` to a terminal): made to fit
/// the window, so that redrawing it never scrolls. A line wider than the window wrapped onto a second row
/// (the text report is 100 columns, an SSH window often 80), and the rows it took pushed the summary off
/// the top; one line too many did the same.
public enum PlainFrame {
    /// Each line cut to `columns` (an ellipsis in the last cell), at most `rows` lines, the top kept and, with
    /// three rows or more, the last row saying how many were left out; no newline after the last line, which
    /// would scroll a full window by one. Escape sequences are kept whole and take no room.
    public static func fit(_ frame: String, rows: Int, columns: Int) -> String {
        // Only the lines shown are made into strings: a JSON report at 250 servers is a million lines.
        var lines = frame.split(separator: "\n", maxSplits: max(1, rows), omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        if lines.count > rows {
            let rest = lines.removeLast()
            let more = rest.utf8.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) } - (rest.hasSuffix("\n") ? 1 : 0)
            if rows > 2 {
                let kept = lines.prefix(rows - 1)
                lines = Array(kept) + ["… \(lines.count - kept.count + more) more lines (enlarge the window, or use --once)"]
            } else {
                lines = Array(lines.prefix(max(0, rows)))
            }
        }
        guard columns >= 1 else { return lines.joined(separator: "\n") }
        return lines.map { cut(String($0), to: columns) }.joined(separator: "\n")
    }

    /// `line` in at most `columns` cells: unchanged if it fits, else its first `columns - 1` cells and "…",
    /// with the colour reset after it if a sequence was met.
    static func cut(_ line: String, to columns: Int) -> String {
        let pieces = self.pieces(of: line)
        guard pieces.reduce(0, { $0 + $1.cells }) > columns else { return line }
        var output = ""
        var width = 0
        var sequences = false
        for piece in pieces {
            if piece.isSequence {
                // Kept, those after the cut too: zero width, and at worst they set a colour for the "…".
                output += piece.text
                sequences = true
            } else if width + piece.cells <= columns - 1 {
                output += piece.text
                width += piece.cells
            } else {
                width = columns  // the cut: nothing after it that takes room
            }
        }
        return output + "…" + (sequences ? "\u{1B}[0m" : "")
    }

    /// A line as its escape sequences, which take no room, and the characters between them with their
    /// cells. Read scalar by scalar: a sequence's last byte and a combining mark after it (a server name
    /// that starts with one, printed bold) are one Character, which must not hide where the sequence ends.
    /// CSI (ESC [ parameters, one final byte from @ to ~), OSC (ESC ] … BEL or ESC \) and two-byte escapes;
    /// an unfinished one runs to the end of the line.
    static func pieces(of line: String) -> [(text: String, cells: Int, isSequence: Bool)] {
        var pieces: [(text: String, cells: Int, isSequence: Bool)] = []
        var text = String.UnicodeScalarView()
        func endText() {
            guard !text.isEmpty else { return }
            for character in String(text) { pieces.append((String(character), displayWidth(of: character), false)) }
            text = String.UnicodeScalarView()
        }
        let scalars = Array(line.unicodeScalars)
        var index = 0
        while index < scalars.count {
            guard scalars[index] == "\u{1B}" else {
                text.append(scalars[index])
                index += 1
                continue
            }
            endText()
            var sequence = String.UnicodeScalarView([scalars[index]])
            index += 1
            if index < scalars.count {
                let kind = scalars[index]
                sequence.append(kind)
                index += 1
                switch kind {
                case "[":
                    while index < scalars.count {
                        let scalar = scalars[index]
                        sequence.append(scalar)
                        index += 1
                        if (0x40...0x7E).contains(scalar.value) { break }
                    }
                case "]":
                    while index < scalars.count {
                        let scalar = scalars[index]
                        sequence.append(scalar)
                        index += 1
                        if scalar == "\u{07}" { break }
                        if scalar == "\\", sequence.count >= 2, sequence[sequence.index(sequence.endIndex, offsetBy: -2)] == "\u{1B}" { break }
                    }
                default:
                    break  // a two-byte escape
                }
            }
            pieces.append((String(sequence), 0, true))
        }
        endText()
        return pieces
    }
}
