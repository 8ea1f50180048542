import RuntimeBase

/// A strict reader for the part of TOML that Kata's `configuration.toml` uses: `[table]` and `[dotted.table]`
/// headers, `bare_key = value`, comments, and values that are basic or literal strings, integers, floats,
/// booleans and arrays of those (arrays may span lines). Anything else (inline tables, arrays of tables,
/// multi-line strings, dates, quoted or dotted keys, a repeated key or table) is an error naming the line, never
/// silently skipped: a preflight that misread Kata's configuration would pass or refuse for the wrong reason.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    case array([TOMLValue])

    public var stringValue: String? { if case .string(let v) = self { return v }; return nil }
    public var boolValue: Bool? { if case .bool(let v) = self { return v }; return nil }
    /// An integer, or a float with no fractional part (Kata 3.32 reads `default_vcpus` as a float).
    public var integerValue: Int64? {
        switch self {
        case .integer(let v): return v
        case .float(let v) where v.rounded() == v && abs(v) < 9e15: return Int64(v)
        default: return nil
        }
    }
    public var numberValue: Double? {
        switch self {
        case .integer(let v): return Double(v)
        case .float(let v): return v
        default: return nil
        }
    }
    public var arrayValue: [TOMLValue]? { if case .array(let v) = self { return v }; return nil }
}

public struct TOMLDocument: Sendable, Equatable {
    /// Table name ("" for keys before any header) → key → value.
    public var tables: [String: [String: TOMLValue]] = [:]

    public func value(_ key: String, in table: String) -> TOMLValue? { tables[table]?[key] }

    public init(parsing text: String, origin: String) throws(RuntimeError) {
        var parser = TOMLParser(text: Array(text.utf8), origin: origin)
        tables = try parser.parse()
    }
}

struct TOMLParser {
    let text: [UInt8]
    let origin: String
    var index = 0
    var line = 1

    init(text: [UInt8], origin: String) { self.text = text; self.origin = origin }

    func fail(_ message: String) -> RuntimeError {
        RuntimeError(.invalidConfigFile, "\(origin):\(line): \(message)")
    }

    var current: UInt8? { index < text.count ? text[index] : nil }

    mutating func skipSpaces() { while let c = current, c == 0x20 || c == 0x09 { index += 1 } }

    /// Spaces, comments and newlines (inside arrays).
    mutating func skipBlank() {
        while let c = current {
            if c == 0x20 || c == 0x09 || c == 0x0D { index += 1 } else if c == 0x0A { index += 1; line += 1 } else if c == UInt8(ascii: "#") {
                while let d = current, d != 0x0A { index += 1 }
            } else { return }
        }
    }

    /// After a header or a key/value: only spaces, an optional comment, then a newline or the end.
    mutating func endOfLine() throws(RuntimeError) {
        skipSpaces()
        if current == UInt8(ascii: "#") { while let d = current, d != 0x0A { index += 1 } }
        if current == 0x0D { index += 1 }
        guard let c = current else { return }
        guard c == 0x0A else { throw fail("unexpected \(Character(Unicode.Scalar(c))) after the value") }
        index += 1; line += 1
    }

    static func isBare(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    mutating func bareKey() throws(RuntimeError) -> String {
        let start = index
        while let c = current, Self.isBare(c) { index += 1 }
        guard index > start else { throw fail(current == UInt8(ascii: "\"") || current == UInt8(ascii: "'") ? "quoted keys are not supported" : "expected a key") }
        return String(decoding: text[start..<index], as: UTF8.self)
    }

    mutating func parse() throws(RuntimeError) -> [String: [String: TOMLValue]] {
        var tables: [String: [String: TOMLValue]] = ["": [:]]
        var table = ""
        while true {
            skipBlank()
            guard let c = current else { break }
            if c == UInt8(ascii: "[") {
                index += 1
                if current == UInt8(ascii: "[") { throw fail("arrays of tables are not supported") }
                skipSpaces()
                var parts = [try bareKey()]
                skipSpaces()
                while current == UInt8(ascii: ".") { index += 1; skipSpaces(); parts.append(try bareKey()); skipSpaces() }
                guard current == UInt8(ascii: "]") else { throw fail("expected ] to close the table header") }
                index += 1
                table = parts.joined(separator: ".")
                guard tables[table] == nil else { throw fail("table [\(table)] defined twice") }
                tables[table] = [:]
                try endOfLine()
                continue
            }
            let key = try bareKey()
            skipSpaces()
            if current == UInt8(ascii: ".") { throw fail("dotted keys are not supported") }
            guard current == UInt8(ascii: "=") else { throw fail("expected = after \(key)") }
            index += 1
            skipSpaces()
            let value = try parseValue()
            guard tables[table]?[key] == nil else { throw fail("\(key) set twice in [\(table)]") }
            tables[table, default: [:]][key] = value
            try endOfLine()
        }
        return tables
    }

    mutating func parseValue() throws(RuntimeError) -> TOMLValue {
        guard let c = current else { throw fail("missing value") }
        switch c {
        case UInt8(ascii: "\""): return .string(try basicString())
        case UInt8(ascii: "'"): return .string(try literalString())
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "{"): throw fail("inline tables are not supported")
        default: return try scalar()
        }
    }

    mutating func basicString() throws(RuntimeError) -> String {
        index += 1
        if current == UInt8(ascii: "\""), index + 1 < text.count, text[index + 1] == UInt8(ascii: "\"") { throw fail("multi-line strings are not supported") }
        var bytes: [UInt8] = []
        while true {
            guard let c = current, c != 0x0A else { throw fail("unterminated string") }
            index += 1
            if c == UInt8(ascii: "\"") { break }
            guard c == UInt8(ascii: "\\") else { bytes.append(c); continue }
            guard let e = current else { throw fail("unterminated string") }
            index += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(e)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let width = e == UInt8(ascii: "u") ? 4 : 8
                guard index + width <= text.count, let code = UInt32(String(decoding: text[index..<index + width], as: UTF8.self), radix: 16),
                      let scalar = Unicode.Scalar(code) else { throw fail("bad \\u escape") }
                index += width
                bytes += Array(String(Character(scalar)).utf8)
            default: throw fail("unknown escape \\\(Character(Unicode.Scalar(e)))")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func literalString() throws(RuntimeError) -> String {
        index += 1
        if current == UInt8(ascii: "'"), index + 1 < text.count, text[index + 1] == UInt8(ascii: "'") { throw fail("multi-line strings are not supported") }
        let start = index
        while let c = current, c != UInt8(ascii: "'") {
            guard c != 0x0A else { throw fail("unterminated string") }
            index += 1
        }
        guard current != nil else { throw fail("unterminated string") }
        defer { index += 1 }
        return String(decoding: text[start..<index], as: UTF8.self)
    }

    mutating func array() throws(RuntimeError) -> TOMLValue {
        index += 1
        var items: [TOMLValue] = []
        while true {
            skipBlank()
            guard let c = current else { throw fail("unterminated array") }
            if c == UInt8(ascii: "]") { index += 1; return .array(items) }
            items.append(try parseValue())
            skipBlank()
            if current == UInt8(ascii: ",") { index += 1; continue }
            guard current != nil else { throw fail("unterminated array") }
            guard current == UInt8(ascii: "]") else { throw fail("expected , or ] in an array") }
        }
    }

    mutating func scalar() throws(RuntimeError) -> TOMLValue {
        let start = index
        while let c = current, !(c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: ",") || c == UInt8(ascii: "]") || c == UInt8(ascii: "#")) { index += 1 }
        let word = String(decoding: text[start..<index], as: UTF8.self)
        if word == "true" { return .bool(true) }
        if word == "false" { return .bool(false) }
        let digits = word.filter { $0 != "_" }
        if word.contains("__") || word.hasPrefix("_") || word.hasSuffix("_") { throw fail("bad number \(word)") }
        if let value = Int64(digits) { return .integer(value) }
        let allowed = Set("0123456789+-.eE")
        if !digits.isEmpty, digits.allSatisfy({ allowed.contains($0) }), digits.contains(where: \.isNumber), let value = Double(digits) {
            return .float(value)
        }
        throw fail(word.isEmpty ? "missing value" : "unsupported value \(word) (dates, hex/octal numbers, inf and nan are not read)")
    }
}
