import RuntimeBase

/// `container-executor.cfg` as Hadoop 3.3.6 reads it (`CE/configuration.c`), quirks included:
/// `#` starts a comment anywhere; `[name]` opens a section and repeated sections merge; keys before any section
/// form the top section (""); a key's value is the text between the first and second `=`; the first occurrence
/// of a key wins; an empty value is skipped; any other line without `=` (a whitespace-only one too) is an error.
public struct ConfigFile: Sendable, Equatable {
    public private(set) var sections: [String: [String: String]] = [:]

    public static let maxBytes = 1 << 20

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "container-executor.cfg line \(line): \(reason)" }
    }

    public init(parsing text: String) throws(ParseError) {
        guard text.utf8.count <= Self.maxBytes else { throw ParseError(line: 0, reason: "file larger than 1 MiB") }
        var section = ""
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.isEmpty || line.first == "#" { continue }
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingWhitespace()
            if trimmed.first == "[", trimmed.last == "]", trimmed.count >= 2 {
                section = String(trimmed.dropFirst().dropLast()).trimmingWhitespace()
                if sections[section] == nil { sections[section] = [:] }
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2 else { throw ParseError(line: lineNumber, reason: "line has no '='") }
            let key = String(parts[0]).trimmingWhitespace()
            let value = String(parts[1]).trimmingWhitespace()
            guard !key.isEmpty else { throw ParseError(line: lineNumber, reason: "empty key") }
            if value.isEmpty { continue }
            if sections[section, default: [:]][key] == nil { sections[section, default: [:]][key] = value }
        }
    }

    public func value(_ key: String, section: String = "") -> String? { sections[section]?[key] }

    /// Comma-separated list values, trimmed, empty entries dropped.
    public func list(_ key: String, section: String = "") -> [String]? {
        value(key, section: section).map { $0.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty } }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
